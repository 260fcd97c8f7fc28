// Package wechattest is for tests only: it gives them a fake web WeChat for
// the real github.com/eatmoreapple/openwechat to talk to, through the
// Transport that Server.Transport returns (wechat.Options.Transport puts it
// into openwechat's Bot.Caller.Client.HTTPClient()).
//
// A Server is web WeChat as far as openwechat uses it: the QR login (a test
// scans or lets a code expire), the session and its expiry, the sync loop,
// the contact list with friends and saved groups, group member lists, and
// sending, and the download of a picture (in full, or its thumbnail).
// Every login is a new generation and every UserName carries it, as
// the real ones change at every login. A test injects a group text message
// from a member, or a private message from a person, or a picture either
// way (SayPicture, PrivatePicture), and reads back what was sent, with its
// ToUserName and content, and how many pictures were downloaded.
//
// Package wechattest imports none of huzhu's packages, so the tests of
// package wechat and of the command line can both use it.
package wechattest
