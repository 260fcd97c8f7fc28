// Package handlers holds huzhu's commands, one file per domain (stations,
// issues, …). Each handler parses its arguments, checks the sender's role,
// changes the store and replies. Every command is registered once, in
// routes.go, with its slash and Chinese names.
//
// A big domain (funds, polls, shifts, dogs, items) is three files: the
// commands (funds.go), the reading of their arguments with its keyword
// tables (funds_parse.go), and its scheduler jobs: job kinds, scheduling
// and firing (funds_jobs.go). What several domains share has its own file:
// text.go (clipping, quoting, cutting words), dates.go (dates in the
// reader's language and date-argument errors), notify.go (speaking to a
// group, a person or every group) and roles.go (/role and the role checks).
//
// For a station with no bot in its groups, the station's web page calls
// codes.go (household codes: RedeemCode, WebHousehold) and paste.go (the
// texts the bot would post, ready to paste by hand, and the day's list);
// subpackages serve it without the chat machinery: icalfeed (a household's
// calendar feed), slips (printable household-code slips with QR codes) and
// privacycheck (the privacy rule as tests check group texts).
//
// Package handlers imports bot, bot/numerals, bot/calendar, bot/i18n,
// bot/store and scheduler; it never knows which platform a message came
// from.
package handlers
