package wechat

import (
	"errors"

	"github.com/huzhu-station/huzhu/bot"
)

var _ bot.Readier = (*Platform)(nil)

// Ready reports whether the account is logged in: nil then, else why not
// (waiting for the QR code to be scanned, or logged out by WeChat).
func (p *Platform) Ready() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.sess == nil {
		return errors.New("wechat: not logged in")
	}
	return nil
}
