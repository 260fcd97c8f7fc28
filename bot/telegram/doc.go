// Package telegram is the Telegram platform: a bot.Platform over the Bot API
// through github.com/go-telegram/bot (imported as tgbot). It reads updates by
// long polling, or from a webhook when one is configured, so that several
// huzhu instances can sit behind one load balancer; it turns them into
// bot.Messages, serves each chat's messages in order and different chats in
// parallel, and sends bot.Outgoing messages with inline keyboards and
// mentions.
//
// It owns the Telegram specifics: identity (a person is "telegram:<numeric
// user id>", a chat "telegram:<numeric chat id>"), commands addressed as
// /cmd@botname, mentions, photos, button presses (each answered once: with
// its handler's note, an alert only the presser sees, see Telegram.Toast;
// or without one once served), who can be messaged privately, the Bot
// API's errors (429 becomes *bot.RetryAfterError, 403
// becomes bot.ErrUnreachable) and groups that become supergroups. What it
// must remember across restarts and instances it keeps through the Records
// interface, which the store implements.
//
// Updates are kept in an intake (package intake) before they are confirmed
// to Telegram, and served from there: huzhu polls getUpdates itself, moving
// the offset past a batch only once the batch is kept, and answers a webhook
// request only once its update is kept.
//
// Package telegram imports only packages bot and bot/intake of huzhu's
// packages.
package telegram
