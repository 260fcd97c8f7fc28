package wechat

import (
	"context"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/eatmoreapple/openwechat"

	"github.com/huzhu-station/huzhu/bot"
)

// mentionEnd is the character WeChat puts after a name picked from the
// mention list, "@张阿姨\u2005…"; it is how the end of a name with spaces is
// known.
const mentionEnd = "\u2005"

// translate turns a WeChat message into a bot.Message, or returns nil when
// the message is not served (see the package documentation). A picture
// becomes a message with the picture attached and no text, when it is
// wanted (see Photos). It runs on
// openwechat's message loop, the only goroutine that may use the Bot's
// contact caches.
func (p *Platform) translate(ctx context.Context, msg *openwechat.Message) *bot.Message {
	switch {
	case msg.IsSendBySelf():
		return nil
	case msg.IsSystem():
		if msg.IsRenameGroup() {
			p.followRename(ctx, msg)
		}
		return nil
	case !msg.IsText() && !msg.IsPicture():
		p.log.Debug("wechat: neither text nor picture, ignored", "type", int(msg.MsgType))
		return nil
	}
	id := msg.MsgId
	if msg.NewMsgId != 0 {
		id = strconv.FormatInt(msg.NewMsgId, 10)
	}
	var m *bot.Message
	var err error
	switch {
	case msg.IsSendByGroup():
		m, err = p.groupMessage(ctx, msg)
	case msg.IsSendByFriend():
		m, err = p.privateMessage(ctx, msg)
	default:
		return nil // official accounts, the file helper
	}
	if err != nil {
		p.log.Error("wechat: message not read", "err", redact(err))
		return nil
	}
	if m != nil && msg.IsPicture() {
		m = p.picture(ctx, msg, m)
	}
	if m != nil {
		m.ID = id
		m.Time = p.opts.Clock.Now()
	}
	return m
}

func (p *Platform) groupMessage(ctx context.Context, msg *openwechat.Message) (*bot.Message, error) {
	g, err := msg.Sender() // the group, with its member list
	if err != nil {
		return nil, err
	}
	self := msg.Owner().UserName
	gid, err := p.ids.group(ctx, observeGroup(g, self))
	if err != nil {
		return nil, err
	}
	chat := bot.Chat{Platform: PlatformName, ID: gid, Kind: bot.Group, Title: g.NickName}

	var botNames []string
	if me := g.MemberList.SearchByUserName(1, self).First(); me != nil && me.DisplayName != "" {
		botNames = append(botNames, me.DisplayName)
	}
	botNames = append(botNames, msg.Owner().NickName)
	var text string
	var addressed bool
	if msg.IsText() { // a picture's content is its description, not words
		text, addressed = cutBotMention(msg.Content, botNames)
		addressed = addressed || msg.IsAt()
	}

	if !p.serves(ctx, chat, text) {
		return nil, nil
	}
	member, err := msg.SenderInGroup()
	if err != nil {
		return nil, err
	}
	o := p.observeMember(msg, member, gid)
	uid, err := p.ids.person(ctx, o)
	if err != nil {
		return nil, err
	}
	m := &bot.Message{
		Chat:           chat,
		Sender:         bot.User{Platform: PlatformName, ID: uid, Name: o.name()},
		AddressedToBot: addressed,
	}
	for _, name := range mentionedNames(text) {
		u := findMember(g.MemberList, name, self)
		if u == nil {
			continue
		}
		mid, err := p.ids.person(ctx, p.observeMember(msg, u, gid))
		if err != nil {
			return nil, err
		}
		m.Mentions = append(m.Mentions, bot.User{Platform: PlatformName, ID: mid, Name: name})
	}
	m.Text = strings.TrimSpace(strings.ReplaceAll(text, mentionEnd, " "))
	return m, nil
}

// serves reports whether a message in chat is served: the group is bound,
// or text could bind it.
func (p *Platform) serves(ctx context.Context, chat bot.Chat, text string) bool {
	bound, err := p.opts.Chats.IsBound(ctx, chat.Key())
	if err != nil {
		p.log.Warn("wechat: cannot tell whether a group is bound; serving only set-up commands", "chat", chat.Key(), "err", err)
	}
	return bound || p.setup(strings.ReplaceAll(text, mentionEnd, " "))
}

func (p *Platform) privateMessage(ctx context.Context, msg *openwechat.Message) (*bot.Message, error) {
	u, err := msg.Sender()
	if err != nil {
		return nil, err
	}
	o := person{UserName: u.UserName, Nick: u.NickName, Attr: u.AttrStatus, Uin: u.Uin, Remark: u.RemarkName}
	uid, err := p.ids.person(ctx, o)
	if err != nil {
		return nil, err
	}
	sender := bot.User{Platform: PlatformName, ID: uid, Name: o.name()}
	m := &bot.Message{Chat: sender.PrivateChat(), Sender: sender, AddressedToBot: true}
	if msg.IsText() {
		m.Text = strings.TrimSpace(strings.ReplaceAll(msg.Content, mentionEnd, " "))
	}
	return m, nil
}

// observeMember is what the login shows of a group member: the member list
// entry, and the remark when they are also the account's friend.
func (p *Platform) observeMember(msg *openwechat.Message, u *openwechat.User, gid string) person {
	o := person{UserName: u.UserName, Nick: u.NickName, Attr: u.AttrStatus, Uin: u.Uin,
		Group: gid, Display: u.DisplayName}
	if contacts, err := msg.Owner().Members(); err == nil {
		if c, ok := contacts.GetByUserName(u.UserName); ok && c.IsFriend() {
			o.Remark = c.RemarkName
			if o.Attr == 0 {
				o.Attr = c.AttrStatus
			}
		}
	}
	return o
}

func observeGroup(g *openwechat.User, self string) group {
	o := group{UserName: g.UserName, Name: g.NickName}
	for _, m := range g.MemberList {
		if m.UserName != self {
			o.Roster = append(o.Roster, memberPrint(m.NickName, m.AttrStatus))
		}
	}
	return o
}

// followRename records a group's new name from the system message WeChat
// posts in it: `"张三"修改群名为“新名字”`.
func (p *Platform) followRename(ctx context.Context, msg *openwechat.Message) {
	gid, ok := p.ids.known(msg.FromUserName)
	if !ok {
		return // not seen yet this login: it is matched by members when it speaks
	}
	_, name, _ := strings.Cut(msg.Content, "修改群名为")
	name = strings.Trim(strings.TrimSpace(name), "“”\"")
	if name == "" {
		return
	}
	if err := p.ids.renameGroup(ctx, gid, name); err != nil {
		p.log.Error("wechat: group rename not recorded", "chat", gid, "err", err)
		return
	}
	p.log.Info("wechat: group renamed", "chat", gid, "name", name)
}

// cutBotMention removes a leading "@name" of the bot (its group nickname or
// its own) from text and reports whether there was one.
func cutBotMention(text string, names []string) (string, bool) {
	t := strings.TrimSpace(text)
	for _, n := range names {
		if n == "" {
			continue
		}
		rest, ok := strings.CutPrefix(t, "@"+n)
		if !ok {
			continue
		}
		if rest == "" || strings.HasPrefix(rest, mentionEnd) || strings.HasPrefix(rest, " ") {
			return strings.TrimSpace(strings.TrimPrefix(rest, mentionEnd)), true
		}
	}
	return text, false
}

// mentionedNames returns the names mentioned in text as "@name\u2005". A
// name typed by hand, without the list, has no end mark and is not
// reported: where it ends cannot be known.
func mentionedNames(text string) []string {
	var names []string
	for {
		at := strings.IndexByte(text, '@')
		if at < 0 {
			return names
		}
		text = text[at+1:]
		end := strings.Index(text, mentionEnd)
		if end < 0 {
			return names
		}
		name := text[:end]
		if strings.ContainsRune(name, '@') {
			continue // "@@" or an e-mail before a real mention: start again at the next @
		}
		// A name picked from the list never starts with a space; "@ x" is
		// just an at sign.
		if r, _ := utf8.DecodeRuneInString(name); name != "" && !unicode.IsSpace(r) {
			names = append(names, name)
		}
		text = text[end+len(mentionEnd):]
	}
}

// findMember returns the member of a group called name: by group nickname
// first, then by nickname; never the bot itself.
func findMember(members openwechat.Members, name, self string) *openwechat.User {
	for _, byDisplay := range []bool{true, false} {
		for _, u := range members {
			n := u.NickName
			if byDisplay {
				n = u.DisplayName
			}
			if u.UserName != self && n == name {
				return u
			}
		}
	}
	return nil
}

// CouldSetUpStation reports whether text, written in a group bound to no
// station, could create or link one: 建站 or 关联, /station create or link
// (also 新建, 创建, 关联), after an optional "/" or "#" and an optional
// leading @-mention. It errs towards yes: the router decides.
func CouldSetUpStation(text string) bool {
	t := bot.Normalize(text)
	if strings.HasPrefix(t, "@") {
		_, rest, ok := strings.Cut(t, " ")
		if !ok {
			return false
		}
		t = strings.TrimSpace(rest)
	}
	t = strings.TrimSpace(strings.TrimLeft(t, "/#"))
	if strings.HasPrefix(t, "建站") || strings.HasPrefix(t, "关联") {
		return true
	}
	word, rest, _ := strings.Cut(t, " ")
	if !strings.EqualFold(word, "station") {
		return false
	}
	sub, _, _ := strings.Cut(strings.TrimSpace(rest), " ")
	switch strings.ToLower(sub) {
	case "create", "link", "新建", "创建", "关联":
		return true
	}
	return false
}
