// Package bot is the platform-neutral core of huzhu: the Message a chat
// platform delivers, the Handler that serves it, the Router that maps command
// names (slash and Chinese) to handlers, middleware, the Sender used to speak,
// the Platform interface with its optional capabilities, the outbox a
// served message's replies wait in until sent (Courier), and the helpers that
// turn what residents type (full-width punctuation, Chinese numerals, room
// forms, amounts) into values.
//
// Package bot imports none of huzhu's other packages; everything else points
// toward it.
package bot
