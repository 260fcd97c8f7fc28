package telegram_test

import (
	"context"
	"log/slog"
	"os"

	"github.com/huzhu-station/huzhu/bot"
	"github.com/huzhu-station/huzhu/bot/telegram"
)

// ExampleNew wires Telegram the way `huzhu run` does: sends go through a
// Pacer kept within Telegram's limits, and the Dispatcher asks the platform
// who can be reached privately. (It is compiled, not run: Run needs
// Telegram.)
func ExampleNew() {
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	tg, err := telegram.New(telegram.Options{
		Token: os.Getenv("TELEGRAM_TOKEN"),
		// WebhookURL and WebhookSecret switch from polling to a webhook.
		Log: log,
		// Records: a *store.Store, so every instance shares what is learnt.
	})
	if err != nil {
		log.Error("telegram", "err", err)
		return
	}
	disp := bot.NewDispatcher(log)
	disp.Add(tg.Name(), bot.NewPacer(tg, telegram.Limits, bot.SystemClock{}, nil), tg)

	var handler bot.Handler // the handler chain, handlers.New(…).Handler(…)
	in := &bot.Bot{Handler: handler, Sender: disp, Log: log}
	if err := tg.Run(context.Background(), in); err != nil {
		log.Error("telegram stopped", "err", err)
	}
}
