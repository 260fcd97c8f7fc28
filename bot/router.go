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
// "建站 阳光站" arrive as the command with Args "create 阳光站".
type Command struct {
	Name    string
	Aliases []string
	Handler Handler
}

// Router finds the command a message asks for and serves it. Commands are
// registered once at start-up; a message that names no command goes to the
// NotFound handler when it was meant for the bot (a private chat, a mention)
// and is ignored in a group, where residents chat freely.
type Router struct {
	commands map[string]*Command
	// slash maps every lower-cased name usable after "/" to its command.
	slash map[string]keyword
	// keywords are the names usable without a slash, longest first so the
	// longest match wins (登记犬只 before 登记).
	keywords []keyword
	notFound Handler
	botNames []string
}

type keyword struct {
	name string
	cmd  *Command
	// sub is put in front of the arguments: the subcommand an alias stands for.
	sub string
}

// expand returns the arguments the handler sees for what followed k.
func (k keyword) expand(rest string) string {
	rest = trimArgs(rest)
	if k.sub == "" {
		return rest
	}
	return strings.TrimSpace(k.sub + " " + rest)
}

// NewRouter returns an empty Router. botNames are the names people use to
// mention the bot (@huzhu_bot); a leading mention is removed before parsing.
func NewRouter(botNames ...string) *Router {
	return &Router{
		commands: map[string]*Command{},
		slash:    map[string]keyword{},
		botNames: botNames,
	}
}

// Handle registers h under name and aliases. It panics on an empty or
// duplicate name, since that is a programming error found at start-up.
func (r *Router) Handle(name string, aliases []string, h Handler) {
	if name == "" || h == nil {
		panic("bot: Handle needs a name and a handler")
	}
	cmd := &Command{Name: name, Aliases: aliases, Handler: h}
	for _, n := range append([]string{name}, aliases...) {
		n, sub, _ := strings.Cut(Normalize(n), "=")
		key := strings.ToLower(n)
		if _, taken := r.slash[key]; n == "" || taken {
			panic(fmt.Sprintf("bot: command name %q registered twice or empty", n))
		}
		k := keyword{name: n, cmd: cmd, sub: sub}
		r.slash[key] = k
		if !isASCIIWord(n) {
			r.keywords = append(r.keywords, k)
		}
	}
	r.commands[name] = cmd
	sort.SliceStable(r.keywords, func(i, j int) bool {
		return len(r.keywords[i].name) > len(r.keywords[j].name)
	})
}

// HandleFunc registers f like Handle.
func (r *Router) HandleFunc(name string, aliases []string, f HandlerFunc) {
	r.Handle(name, aliases, f)
}

// NotFound sets the handler for messages meant for the bot that name no
// command.
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
// command, it was meant for the bot (a private chat, a slash, a mention), or
// it carries an attachment a command may take (a photo sent after a
// report). It fills in m.Command, so whatever wraps the router can name the
// command. Ordinary chat in a group is not wanted: the middleware is never
// run for it, so it costs nothing and counts toward no limit.
func (r *Router) Wants(m *Message) bool {
	cmd, _, explicit := r.Match(m.Text)
	if cmd != nil {
		m.Command = cmd.Name
		return true
	}
	return m.IsPrivate() || m.AddressedToBot || explicit || len(m.Attachments) > 0
}

// ServeMessage parses m.Text, fills in m.Command and m.Args, and calls the
// command's handler.
func (r *Router) ServeMessage(ctx context.Context, resp Responder, m *Message) error {
	cmd, args, explicit := r.Match(m.Text)
	if explicit {
		m.AddressedToBot = true
	}
	if cmd == nil {
		if (m.IsPrivate() || m.AddressedToBot) && r.notFound != nil {
			m.Args = args
			return r.notFound.ServeMessage(ctx, resp, m)
		}
		return nil
	}
	m.Command, m.Args = cmd.Name, args
	return cmd.Handler.ServeMessage(ctx, resp, m)
}

// Match returns the command text names, the normalised arguments after the
// name, and whether the text was explicitly addressed to the bot (a slash, a
// leading # or a mention of the bot). cmd is nil when no command matches.
func (r *Router) Match(text string) (cmd *Command, args string, explicit bool) {
	t := Normalize(text)
	t, explicit = r.cutBotMention(t)
	if rest, ok := strings.CutPrefix(t, "#"); ok {
		t, explicit = strings.TrimSpace(rest), true
	}
	if rest, ok := strings.CutPrefix(t, "/"); ok {
		name, after, _ := strings.Cut(rest, " ")
		name, _, _ = strings.Cut(name, "@") // /report@huzhu_bot
		if k, ok := r.slash[strings.ToLower(name)]; ok {
			return k.cmd, k.expand(after), true
		}
		// "/报事楼道漏水": a keyword glued to its text after a slash.
		if c, a := r.matchKeyword(rest, true); c != nil {
			return c, a, true
		}
		return nil, t, true
	}
	if c, a := r.matchKeyword(t, explicit); c != nil {
		return c, a, explicit
	}
	return nil, t, explicit
}

// matchKeyword finds the longest keyword t starts with. Unless glued is
// set (the text was addressed to the bot with a slash, # or mention), the
// keyword must end at a boundary, so words in ordinary chat are not taken
// for commands.
func (r *Router) matchKeyword(t string, glued bool) (*Command, string) {
	for _, k := range r.keywords {
		rest, ok := strings.CutPrefix(t, k.name)
		if !ok {
			continue
		}
		if next, _ := utf8.DecodeRuneInString(rest); glued || rest == "" || isBoundary(next) {
			return k.cmd, k.expand(rest)
		}
	}
	// English names typed without a slash ("help", "report ...").
	name, after, _ := strings.Cut(t, " ")
	if k, ok := r.slash[strings.ToLower(name)]; ok && isASCIIWord(name) {
		return k.cmd, k.expand(after)
	}
	return nil, ""
}

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

func isASCIIWord(s string) bool {
	for _, c := range s {
		if c > unicode.MaxASCII || unicode.IsSpace(c) {
			return false
		}
	}
	return s != ""
}
