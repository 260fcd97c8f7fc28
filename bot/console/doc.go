// Package console is the terminal platform: a group chat on stdin and stdout,
// served by the same handlers and store as Telegram and WeChat. People use it
// to try huzhu locally and to give demos; tests feed it transcript files and
// compare what the bot printed with a golden file.
//
// It owns the console's line grammar (NAME: TEXT, NAME> TEXT, :directives,
// @mentions, <photo:FILE>), the format of the bot's printed messages, and the
// console's fake-clock controls. The grammar is described in COMMANDS.md.
//
// Package console imports only package bot of huzhu's packages; the command
// line wires it to a store, a router and a scheduler.
package console
