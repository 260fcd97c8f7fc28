// Package wechat is the bot.Platform for a personal WeChat account, logged in
// to web WeChat through github.com/eatmoreapple/openwechat (v1.4.10, desktop
// mode). It owns the login (QR code in the terminal, hot login from the
// session kept in the store, a new login when WeChat ends the session), the
// translation of WeChat messages to bot.Message and back, pacing, and the
// stable identities described below.
//
// # Logging in
//
// Run first tries the session stored by the last run (no scan). When WeChat
// refuses it, Run asks the phone to confirm the login (push login, when the
// account's uin is known) and prints a QR code in the terminal; expired codes
// are replaced until someone scans. When WeChat ends a running session (ret
// 1100, 1101 or 1102: logged out on the phone, or expired), Run logs it,
// alerts the configured admin chat, which may be on any platform, and logs
// in again the same way; the alert carries the QR link, so the phone's owner
// can scan it from another screen. Only one instance is logged in to an
// account at a time: Run holds a lease on it in the store.
//
// # Which messages are served
//
// Private messages from friends are always served. In a group, everything is
// served once the group is bound to a station (or linked as an office group),
// as ChatLookup reports; in any other group only text that could create or
// link a station (建站, 关联, /station create|link, optionally after an
// @-mention of the bot) is served, so a group can bind itself and the bot
// otherwise ignores groups it has no business in. The bot's own messages,
// system messages and messages that are neither text nor a picture are
// ignored.
//
// # Pictures
//
// A WeChat message is a text or a picture, never both, so a photo for a
// report always comes right after it. A picture is served only when
// Options.Photos says it is awaited: its sender reported a problem a moment
// ago in the same chat (see Photos). Only then is it downloaded, so any
// other picture in a group costs a few reads of the store and no download.
// Web WeChat hands a picture out only for a while and only to the login
// that received it, so its handle cannot be kept as Telegram's file id is:
// the picture's bytes are kept through Photos, named by their SHA-256, and
// the bot.Attachment's Ref is PhotoRefPrefix and that name. A picture is
// kept up to MaxPhotoBytes; a larger one (sent as 原图) is kept as WeChat's
// thumbnail of it, and one whose thumbnail is larger still, or that cannot
// be downloaded or kept, is logged and handed on with no Ref, so its sender
// is asked to send it again.
//
// # Stable identities
//
// Web WeChat names every contact and group by a UserName ("@1f3a…", "@@9c…"
// for groups) that changes at every login, so huzhu never sees one: chats
// and users carry stable ids ("g12", "u31") that this package maps to and
// from the UserNames of the current login. bot.Chat.ID and bot.User.ID are
// always stable ids; Send maps them back.
//
// Inside one login a UserName is exact, so the map UserName → stable id is
// kept per login session (keyed by its wxsid) and survives a restart that
// hot-logs in to the same session. At a new login every UserName is resolved
// again, when it is first seen, from what survives a login, strongest first:
//
//  1. the contact's uin, where web WeChat discloses it (rarely);
//  2. the remark the bot account gave a friend (set by the operator, so it is
//     the way to pin an identity by hand, e.g. "3-2-301 张阿姨");
//  3. the nickname, narrowed to identities that do not contradict what is
//     seen: a different AttrStatus (a per-account number web WeChat reports
//     for every member), uin or remark rules a candidate out, and so does
//     being bound to another UserName in this login; among those left, the
//     ones already seen in this group, then the ones with this group
//     nickname (群昵称), are preferred;
//  4. when no nickname matches, the group nickname in this group together
//     with the same non-zero AttrStatus (the resident renamed themselves but
//     kept the 群昵称 the compound asks for, such as "3-2-301 张").
//
// Exactly one candidate is a match; none is a new identity. Two or more is a
// collision (two 张阿姨 with the same AttrStatus and 群昵称): the newcomer gets
// a new identity rather than someone else's household and roles, the log
// says so and the admin chat is told to have one of them change their group
// nickname or to give them distinct remarks. Groups are matched the same way
// by name; when a name matches several groups, or none because the group was
// renamed while the bot was away, the member lists decide (the group whose
// members, by nickname and AttrStatus, overlap most, above a threshold), and
// a group with a known name but hardly any of its members (another
// compound's "3幢") is a new group. Renames seen while logged in are
// followed. Send finds a group that has not spoken since the login by its
// name in the contact list, so groups should be saved to contacts
// (保存到通讯录) for reminders to reach them right after a new login.
//
// A resident who changes both nickname and group nickname while the bot is
// logged out, with no remark set, is seen as a new person and has to bind
// their room again; a remark prevents that.
//
// Package wechat imports only package bot of huzhu's packages; the records
// behind identities and sessions are kept through the Store interface, which
// *store.Store implements.
package wechat
