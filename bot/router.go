package bot

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Command is one command the Router knows: its canonical name, which is also
// its slash form (/report), and the other names people type for it (报事).
// An alias may stand for the command with a subcommand: "建站=create" makes
// "建站 阳光站" arrive as the command with Args "create 阳光站". An alias
// ending in "…" ("报事…") takes text glued to it: see Router.
type Command struct {
	Name    string
	Aliases []string
	Handler Handler
	// Shape is what follows the command's keyword on a line in a group
	// that is a command and not chat (see Router).
	Shape ArgShape
}

// Takes sets what follows the command's keyword in a group (ArgAny when
// not set), and returns c.
func (c *Command) Takes(s ArgShape) *Command {
	c.Shape = s
	return c
}

// ArgShape is the kind of argument a command's keyword is followed by when
// a line in a group is a command attempt rather than chat.
type ArgShape int

const (
	// ArgAny is nothing, or text that is not a question (本站, 投 古铜).
	ArgAny ArgShape = iota
	// ArgText is text that is not a question (报事 楼道灯坏了); the
	// keyword alone is a command the sender may be unsure of: see
	// Message.Unsure.
	ArgText
	// ArgNumber is a number first, or a word and then a number (同问12,
	// 受理 3, 认捐 三百元, 取消 会议 2); the keyword alone is a command
	// the sender may be unsure of.
	ArgNumber
	// ArgWord is nothing, or at most two short words (清单, 帮助 报事,
	// 班表 巡逻队).
	ArgWord
)

// Router finds the command a message asks for and serves it. Commands are
// registered once at start-up; a message that names no command goes to the
// NotFound handler when it was meant for the bot (a private chat, a mention)
// and is ignored in a group, where residents chat freely.
//
// How a line becomes a command:
//
//   - The line is normalised for parsing (Normalize), and a line that names
//     no command is read again with its first characters converted from
//     traditional to simplified (報事 is 报事). Message.Args is that parsing
//     form; Message.RawArgs is the same part as the resident typed it.
//   - A slash, a leading # or a mention of the bot makes a line explicit: the
//     keyword may be glued to anything after it (#报事楼道漏水).
//   - Otherwise a keyword must end at a space, a separator (： ，) or a number
//     (同问12, 认捐300). Keywords registered with a trailing "…" are
//     distinctive words rarely used in chat (报事, 认捐, 登记犬只, 劝导): they
//     also take Chinese text glued to them (报事楼道灯坏了), unless that text
//     reads like chat: a question (报事有用吗), or a particle first
//     (报事的人多吗). Common words (通知, 取消, 帮助, 同问) glued to Chinese
//     stay chat.
//   - In a group, a line that is not explicit must also look like the
//     command (its ArgShape): 同问，我家也漏水 (a common keyword, then a
//     comma), +1 我也觉得 (no number), 通知：明天停水吗？ (a question) and
//     帮助，谁会修电脑 are chat and never reach the middleware.
//   - A line that names no command but starts with a keyword one homophone
//     away (抱事, 报是, 认娟), followed by what that command takes, goes to
//     the NotFound handler with Message.Suggestion set to the corrected
//     line: the bot asks 「你是想发…吗？」 with a button rather than act on
//     a guess. Only keywords of two or more characters are corrected, and in
//     a group only when the keyword is followed by a space, a separator or a
//     number, never glued text.
type Router struct {
	commands map[string]*Command
	// slash maps every lower-cased name usable after "/" to its command.
	slash map[string]keyword
	// keywords are the names usable without a slash, longest first so the
	// longest match wins (登记犬只 before 登记).
	keywords []keyword
	// longest is the most runes a keyword has.
	longest int
	// near holds the first and the second characters of the keywords: a
	// line that starts with neither is no near miss of any.
	near     [2]map[rune]bool
	notFound Handler
	botNames []string
}

type keyword struct {
	name string
	cmd  *Command
	// sub is put in front of the arguments: the subcommand an alias stands for.
	sub string
	// glued is set for a distinctive keyword that takes Chinese text glued
	// to it (报事楼道灯坏了).
	glued bool
	runes []rune // name's
}

// NewRouter returns an empty Router. botNames are the names people use to
// mention the bot (@huzhu_bot); a leading mention is removed before parsing.
func NewRouter(botNames ...string) *Router {
	return &Router{
		commands: map[string]*Command{},
		slash:    map[string]keyword{},
		near:     [2]map[rune]bool{{}, {}},
		botNames: botNames,
	}
}

// Handle registers h under name and aliases and returns the command, whose
// ArgShape may then be set (Takes). It panics on an empty or duplicate name,
// since that is a programming error found at start-up.
func (r *Router) Handle(name string, aliases []string, h Handler) *Command {
	if name == "" || h == nil {
		panic("bot: Handle needs a name and a handler")
	}
	cmd := &Command{Name: name, Aliases: aliases, Handler: h}
	for _, n := range append([]string{name}, aliases...) {
		n, sub, _ := strings.Cut(Normalize(n), "=")
		n, glued := strings.CutSuffix(n, "…")
		key := strings.ToLower(n)
		if _, taken := r.slash[key]; n == "" || taken {
			panic(fmt.Sprintf("bot: command name %q registered twice or empty", n))
		}
		k := keyword{name: n, cmd: cmd, sub: sub, glued: glued, runes: []rune(n)}
		r.slash[key] = k
		if !isASCIIWord(n) {
			r.keywords = append(r.keywords, k)
			r.longest = max(r.longest, len(k.runes))
			for i := 0; i < 2 && i < len(k.runes); i++ {
				r.near[i][k.runes[i]] = true
			}
		}
	}
	r.commands[name] = cmd
	sort.SliceStable(r.keywords, func(i, j int) bool {
		return len(r.keywords[i].name) > len(r.keywords[j].name)
	})
	return cmd
}

// HandleFunc registers f like Handle.
func (r *Router) HandleFunc(name string, aliases []string, f HandlerFunc) *Command {
	return r.Handle(name, aliases, f)
}

// NotFound sets the handler for messages meant for the bot that name no
// command, and for near misses (Message.Suggestion).
func (r *Router) NotFound(h Handler) { r.notFound = h }

// Commands returns the registered commands sorted by name.
func (r *Router) Commands() []Command {
	out := make([]Command, 0, len(r.commands))
	for _, c := range r.commands {
		out = append(out, *c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Wants reports whether the router would do anything with m: it names a
// command, it was meant for the bot (a private chat, a slash, a mention), it
// is a near miss of a command, or it carries an attachment a command may
// take (a photo sent after a report). It fills in m.Command, so whatever
// wraps the router can name the command. Ordinary chat in a group is not
// wanted: the middleware is never run for it, so it costs nothing and
// counts toward no limit.
func (r *Router) Wants(m *Message) bool {
	p := r.route(m)
	if p.cmd != nil {
		m.Command = p.cmd.Name
		return true
	}
	return m.IsPrivate() || m.AddressedToBot || p.explicit || p.suggestion != "" || len(m.Attachments) > 0
}

// ServeMessage parses m.Text, fills in m.Command, m.Args, m.RawArgs,
// m.Unsure and m.Suggestion, and calls the command's handler.
func (r *Router) ServeMessage(ctx context.Context, resp Responder, m *Message) error {
	p := r.route(m)
	if p.explicit {
		m.AddressedToBot = true
	}
	m.Args, m.RawArgs, m.Unsure, m.Suggestion = p.args, p.raw, p.unsure, p.suggestion
	if p.cmd == nil {
		if (m.IsPrivate() || m.AddressedToBot || p.suggestion != "") && r.notFound != nil {
			return r.notFound.ServeMessage(ctx, resp, m)
		}
		return nil
	}
	m.Command = p.cmd.Name
	return p.cmd.Handler.ServeMessage(ctx, resp, m)
}

// Match returns the command text names, the normalised arguments after the
// name, and whether the text was explicitly addressed to the bot (a slash, a
// leading # or a mention of the bot). cmd is nil when no command matches.
// It reads text as a private chat would; in a group the router also asks
// that the arguments have the command's shape.
func (r *Router) Match(text string) (cmd *Command, args string, explicit bool) {
	p := r.parse(text, false)
	return p.cmd, p.args, p.explicit
}

// parsed is what the router made of one line.
type parsed struct {
	cmd      *Command
	args     string // for parsing: normalised, simplified
	raw      string // the same part as typed
	explicit bool
	// after is what followed the keyword (normalised, before any
	// subcommand is put in front), and sep the rune right after it.
	after string
	sep   rune
	key   keyword
	// unsure and suggestion: see Message.
	unsure     bool
	suggestion string
}

// route parses m's text and applies the group rules: in a group a line that
// is not explicit is a command only when what follows the keyword has the
// command's shape.
func (r *Router) route(m *Message) parsed {
	group := m.Chat.Kind == Group && !m.AddressedToBot && !m.IsPress()
	memo := routeMemo{by: r, text: m.Text, group: group}
	if m.routed.by == memo.by && m.routed.text == memo.text && m.routed.group == memo.group {
		return m.routed.p
	}
	memo.p = r.routeText(m.Text, group)
	m.routed = memo
	return memo.p
}

// routeMemo is a Router's reading of a message's text under the group rules
// or without them (see Message.routed). A copy of the message with another
// text, or one now addressed to the bot, is read again.
type routeMemo struct {
	by    *Router
	text  string
	group bool
	p     parsed
}

// routeText is route for text, read under the group rules when group is set.
func (r *Router) routeText(text string, group bool) parsed {
	p := r.parse(text, group)
	if p.cmd == nil || p.explicit || !group {
		return p
	}
	switch fits(p.key, p.sep, p.after) {
	case shapeChat:
		return parsed{args: p.args, raw: p.raw}
	case shapeUnsure:
		p.unsure = true
	}
	return p
}

// parse reads text as a command. group asks near misses to be stricter.
func (r *Router) parse(text string, group bool) parsed {
	norm, tidy := normalizeAligned(text)
	t, explicit := r.cutBotMention(norm)
	if rest, ok := strings.CutPrefix(t, "#"); ok {
		t, explicit = strings.TrimSpace(rest), true
	}
	p := r.parseLine(t, explicit)
	if p.cmd == nil {
		if s, ok := simplifyPrefix(t, r.longest); ok {
			if q := r.parseLine(s, explicit); q.cmd != nil {
				p = q
				// The arguments are parsed simplified too (評價 1 滿意).
				if whole, ok := simplify(t); ok {
					if w := r.parseLine(whole, explicit); w.cmd == q.cmd {
						p = w
					}
				}
			}
		}
	}
	p.explicit = p.explicit || explicit
	typed := p.args // what the arguments stand for in the typed line
	if p.cmd != nil {
		typed = p.after
	}
	p.raw = tailRunes(tidy, utf8.RuneCountInString(typed))
	if p.key.sub != "" {
		p.raw = strings.TrimSpace(p.key.sub + " " + p.raw)
	}
	if p.cmd == nil && !p.explicit {
		p.suggestion = r.nearMiss(t, tidy, group)
	}
	return p
}

// parseLine finds the command in t, a normalised line with any mention or
// # removed.
func (r *Router) parseLine(t string, explicit bool) parsed {
	if rest, ok := strings.CutPrefix(t, "/"); ok {
		name, after, _ := strings.Cut(rest, " ")
		name, _, _ = strings.Cut(name, "@") // /report@huzhu_bot
		if k, ok := r.slash[strings.ToLower(name)]; ok {
			return k.parsed(after, ' ', true)
		}
		// "/报事楼道漏水": a keyword glued to its text after a slash.
		if p, ok := r.matchKeyword(rest, true); ok {
			p.explicit = true
			return p
		}
		return parsed{args: t, explicit: true}
	}
	if p, ok := r.matchKeyword(t, explicit); ok {
		return p
	}
	return parsed{args: t}
}

// parsed returns what k followed by rest (after the separator sep) stands for.
func (k keyword) parsed(rest string, sep rune, explicit bool) parsed {
	args := trimArgs(rest)
	if k.sub != "" {
		args = strings.TrimSpace(k.sub + " " + args)
	}
	return parsed{cmd: k.cmd, args: args, key: k, after: trimArgs(rest), sep: sep, explicit: explicit}
}

// matchKeyword finds the longest keyword t starts with. Unless glued is
// set (the text was addressed to the bot with a slash, # or mention), the
// keyword must end at a boundary, or be distinctive and followed by text
// that does not read like chat, so words in ordinary chat are not taken for
// commands.
func (r *Router) matchKeyword(t string, glued bool) (parsed, bool) {
	for _, k := range r.keywords {
		rest, ok := strings.CutPrefix(t, k.name)
		if !ok {
			continue
		}
		if k.takes(rest, glued) {
			next, _ := utf8.DecodeRuneInString(rest)
			return k.parsed(rest, next, false), true
		}
	}
	// English names typed without a slash ("help", "report ...").
	name, after, _ := strings.Cut(t, " ")
	if k, ok := r.slash[strings.ToLower(name)]; ok && isASCIIWord(name) {
		return k.parsed(after, ' ', false), true
	}
	return parsed{}, false
}

// takes reports whether rest, what follows k on a line, leaves k a command.
func (k keyword) takes(rest string, glued bool) bool {
	next, _ := utf8.DecodeRuneInString(rest)
	switch {
	case glued || rest == "" || isBoundary(next):
		return true
	case k.glued:
		return !readsAsChat(rest)
	}
	return false
}

// shape is how a line in a group fits its command: not at all (chat), as
// a keyword alone the sender may be unsure of, or as a clear attempt.
type shape int

const (
	shapeChat shape = iota
	shapeUnsure
	shapeClear
)

// fits tells how after, what followed k's keyword (sep first), fits k's
// command in a group.
func fits(k keyword, sep rune, after string) shape {
	if !k.glued && (sep == ',' || sep == ';') {
		return shapeChat // 同问，我家也漏水
	}
	if after == "" {
		if k.sub == "" && (k.cmd.Shape == ArgText || k.cmd.Shape == ArgNumber) {
			return shapeUnsure // 报事, 同问: what, which?
		}
		return shapeClear
	}
	fields := strings.Fields(after)
	if k.cmd.Shape == ArgNumber {
		for i, f := range fields {
			if i < 2 && startsWithNumber(f) {
				return shapeClear // 评价 1 还可以吧
			}
		}
		return shapeChat // +1 我也觉得
	}
	if isQuestion(after) && !(k.glued && (sep == ' ' || sep == ':') && isComplaint(after)) {
		return shapeChat // 通知：明天停水吗？
	}
	if k.cmd.Shape == ArgWord && (len(fields) > 2 || utf8.RuneCountInString(after) > maxWordRunes ||
		strings.ContainsAny(after, ",.;!。") || readsAsChat(after)) {
		return shapeChat
	}
	return shapeClear
}

// maxWordRunes is the most runes the words after an ArgWord keyword have
// (班表 垃圾分类督导队).
const maxWordRunes = 10

// startsWithNumber reports whether s begins with a number as residents
// write one: 12, #12, -5 (a wrong one, still meant as a number), 三百元,
// 第2号, or a number with the one-character mark of its kind (会1, 票3,
// F2).
func startsWithNumber(s string) bool {
	s = strings.TrimLeft(s, "#-+")
	r, size := utf8.DecodeRuneInString(s)
	if IsLatinDigit(r) || strings.ContainsRune(chineseNumberStarts, r) {
		return true
	}
	if !unicode.IsLetter(r) {
		return false
	}
	digits := strings.TrimLeftFunc(s[size:], IsLatinDigit)
	after, _ := utf8.DecodeRuneInString(digits)
	return len(digits) < len(s[size:]) && (digits == "" || !unicode.IsLetter(after))
}

// chineseNumberStarts are the characters a number written in Chinese
// begins with.
const chineseNumberStarts = "零〇一二三四五六七八九十百千万两壹贰叁肆伍陆柒捌玖拾第"

// readsAsChat reports whether text glued to a keyword reads like the rest
// of a sentence in chat rather than a command's argument: a question (报事
// 情况怎么样), or a particle first (报事的人多吗, 劝导一下吧).
func readsAsChat(text string) bool {
	if isQuestion(text) || strings.ContainsRune("吧啊呀嘛", lastRune(text)) {
		return true
	}
	for _, p := range chatOpeners {
		if strings.HasPrefix(text, p) {
			return true
		}
	}
	for _, w := range questionWords {
		if strings.Contains(text, w) {
			return true // 报事情况怎么样
		}
	}
	return false
}

// isComplaint reports whether text, ending in a question mark, is a
// complaint said with feeling rather than a question: 电梯又坏了？ asks no
// one anything, 电梯坏了吗？ and 要怎么写？ do. After a distinctive keyword
// and a space or a colon (报事 3号楼电梯又坏了？) it is the command's text.
func isComplaint(text string) bool {
	if lastRune(text) != '?' {
		return false // 吗, 呢: a question
	}
	t := strings.TrimRight(text, "? ")
	if t == "" || isQuestion(t) {
		return false
	}
	for _, w := range questionWords {
		if strings.Contains(t, w) {
			return false
		}
	}
	return true
}

// questionWords make a sentence a question without a question mark.
var questionWords = []string{"怎么", "怎样", "什么", "多少", "如何", "哪", "谁"}

// isQuestion reports whether text ends as a question does (明天停水吗？).
func isQuestion(text string) bool {
	return strings.ContainsRune("?吗呢么", lastRune(text))
}

func lastRune(s string) rune {
	r, _ := utf8.DecodeLastRuneInString(s)
	return r
}

// chatOpeners are what a keyword is followed by in a sentence, never in a
// command: 报事的, 报事了, 劝导一下.
var chatOpeners = []string{"的", "了", "过", "着", "得", "吗", "呢", "吧", "啊", "一下", "不", "没", "是", "都", "也", "还", "就", "完", "好"}

// cutBotMention removes a leading "@botname" and reports whether it was there.
func (r *Router) cutBotMention(t string) (string, bool) {
	if !strings.HasPrefix(t, "@") {
		return t, false
	}
	for _, n := range r.botNames {
		if rest, ok := cutPrefixFold(t[1:], n); ok {
			return strings.TrimSpace(rest), true
		}
	}
	return t, false
}

func cutPrefixFold(s, prefix string) (string, bool) {
	if len(s) < len(prefix) || !strings.EqualFold(s[:len(prefix)], prefix) {
		return s, false
	}
	return s[len(prefix):], true
}

// isBoundary reports whether r may follow a keyword: Chinese keywords are
// typed with no space before a number (同问12) or after a colon (报事:…),
// but a keyword followed by more Chinese is just a word in a sentence.
func isBoundary(r rune) bool {
	return unicode.IsSpace(r) || unicode.IsDigit(r) || strings.ContainsRune(":,;#[(@+-", r)
}

// trimArgs removes the spaces and separators between a command and its
// arguments, however they alternate ("报事: :楼道漏水").
func trimArgs(s string) string {
	return strings.TrimSpace(strings.TrimLeftFunc(s, func(r rune) bool {
		return unicode.IsSpace(r) || strings.ContainsRune(":,;", r)
	}))
}

// tailRunes returns the last n runes of s.
func tailRunes(s string, n int) string {
	if n <= 0 {
		return ""
	}
	i := len(s)
	for ; n > 0 && i > 0; n-- {
		_, size := utf8.DecodeLastRuneInString(s[:i])
		i -= size
	}
	return s[i:]
}

func isASCIIWord(s string) bool {
	for _, c := range s {
		if c > unicode.MaxASCII || unicode.IsSpace(c) {
			return false
		}
	}
	return s != ""
}
