// Package bot is the platform-neutral core of huzhu: the Message a chat
// platform delivers, the Handler that serves it, the Router that maps command
// names (slash and Chinese) to handlers, middleware, the Sender used to speak,
// the Platform interface with its optional capabilities, the outbox a served
// message's replies wait in until sent (Courier), and Normalize, which
// folds what residents type (full-width letters and digits, Chinese
// punctuation, invisible characters) into the one form commands are parsed
// from. The readers of Chinese values live beside it: bot/numerals (numbers,
// amounts, rooms) and bot/calendar (dates, times, schedules).
//
// Package bot imports none of huzhu's other packages; everything else points
// toward it.
package bot
