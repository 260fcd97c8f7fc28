// Package web serves a station's pages over HTTP: the governance list
// (小区治理清单) with its filters and photos, one problem with its timeline
// and what was opened about it, campaigns and their public ledgers, polls,
// meetings, the week's rota with its gaps, the dog team's lending stock and
// the month's figures. Pages are rendered on the server (html/template,
// embedded), Chinese by default, for a phone's screen first.
//
// Every page is reached through a link the bot gives privately, whose
// token the store keeps only hashed (store.WebLink). What a link shows
// depends on its kind, checked on every request:
//
//   - a station link (`本站 网页`, from the head; `本站 网页 重置` ends the
//     old ones) shows what is public to the station and nothing personal:
//     no rooms, no names tied to money, votes or complaints, no reporter of
//     a private report. The public pages read exactly what the station's
//     group reads: their words come from the same handlers (handlers.Render
//     as the group), and the lists built here go through publicIssue, the
//     one place that strips a problem of its personal fields;
//   - a resident's link (`网页`, privately; it expires after
//     handlers.ResidentLinkDays) shows the public pages and lets its owner
//     vote, answer a meeting notice, sign up for or cancel a shift, pledge
//     and report a problem with a photo. An action is the chat command it
//     stands for (投 票3 2, 报名 班1 …), served as a private message from
//     its owner through the same handler chain the platforms use, so the
//     rules, the records and the chat's confirmation are the chat's own;
//   - a staff link (`网页` from anyone holding a role) shows what staff read
//     in a private chat, as long as they still hold a role, and acts as a
//     resident's does;
//   - an administrator's link (`网页` from a subdistrict administrator)
//     shows every station's figures side by side.
//
// A station link also serves a household acting with its code
// (household.go): the slip's link (?c=CODE) or 「输入住户码」 redeems it,
// the phone keeps a session cookie, and 「我家」 shows the household's own
// records and the messages its web person was sent (Inbox, the web
// platform's Sender). A staff link adds 住户码 and the printable slips,
// and 「复制到群里」 with the day's list (staff.go).
//
// On Telegram the page also opens as a Mini App: /tg checks the initData
// Telegram signs with the bot's token (ValidateInitData) and sends its user
// on to a personal page.
//
// A wrong, expired or revoked token gets 404, and a client that keeps
// trying gets 429 (per address); query parameters are checked; no page may
// be kept by a shared cache (Cache-Control: private, no-store), and no
// address leaks to another site (Referrer-Policy: no-referrer).
//
// Package web imports handlers (for Render and the link path) with its
// icalfeed and slips, bot, bot/store, bot/numerals, bot/i18n and
// bot/calendar, and no platform: how a platform
// names the pictures the store keeps is given in Options by cmd, the only
// package that imports this one.
package web
