// Package handlers holds huzhu's commands, one file per domain (stations,
// issues, …). Each handler parses its arguments, checks the sender's role,
// changes the store and replies. Every command is registered once, in
// routes.go, with its slash and Chinese names.
//
// Package handlers imports bot, bot/i18n, bot/store and scheduler; it never
// knows which platform a message came from.
package handlers
