package telegram

import (
	"errors"

	"github.com/huzhu-station/huzhu/bot"
)

var _ bot.Readier = (*Telegram)(nil)

// Ready reports whether Run is reading updates, having learnt who the bot
// is from Telegram (getMe): nil then, else why not.
func (t *Telegram) Ready() error {
	if t.me.Load() == nil {
		return errors.New("telegram: not connected yet (getMe)")
	}
	if t.run.Load() == nil {
		return errors.New("telegram: not reading updates")
	}
	return nil
}
