// Package telegramtest is for tests only: it gives them a fake Telegram Bot
// API server on loopback for the real github.com/go-telegram/bot library to
// talk to (through bot.WithServerURL, which telegram.Options.APIURL sets).
//
// A Server reads the library's multipart requests as Telegram would, hands
// the updates a test pushes to getUpdates (holding an empty poll briefly, so
// tests never wait for the library's minute-long poll; an update is handed
// out again until a later offset confirms it), records every
// sendMessage with its chat id, text, entities and inline keyboard, answers
// button presses, remembers the last setWebhook (and, when its URL is on
// loopback, posts the pushed updates to it as Telegram does, again and again
// until one is answered 200), and answers sendMessage with
// scripted failures (429 with retry_after, 403, a group that became a
// supergroup) when told to. The functions beside it build the updates
// Telegram sends: text messages in a group or private chat, photos with a
// caption, and button presses.
//
// Package telegramtest imports none of huzhu's packages, so the tests of
// package telegram and of the command line can both use it.
package telegramtest
