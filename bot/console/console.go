package console

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode"

	"github.com/huzhu-station/huzhu/bot"
)

// PlatformName is the console's platform name, used in its chat and user
// keys ("console:张阿姨").
const PlatformName = "console"

// MaxLineBytes is the longest input line read whole; longer lines are cut
// there and a note is printed.
const MaxLineBytes = 64 << 10

var (
	_ bot.Platform = (*Console)(nil)
	_ bot.Toaster  = (*Console)(nil)
)

// Options configures a Console.
type Options struct {
	// In is read line by line; Out receives the bot's messages and the
	// console's own notes.
	In  io.Reader
	Out io.Writer
	// Interactive is true when In is a terminal: a banner and a "> " prompt
	// are printed, and nothing is drained at end of input.
	Interactive bool
	// Clock stamps messages and answers :now. Required.
	Clock bot.Clock
	// FakeClock, when not nil, enables :advance. It should be the same
	// object as Clock.
	FakeClock *bot.FakeClock
	// Group is the name of the group lines are spoken in until :chat
	// switches; "group" when empty.
	Group string
	// BotName is how people mention the bot; a message starting with
	// @BotName is addressed to it. "huzhu" when empty.
	BotName string
	// AfterAdvance, when not nil, is called after :advance moved the clock
	// and before the next line is read, so whatever fell due (reminders,
	// scheduled notices) is sent first.
	AfterAdvance func(ctx context.Context, now time.Time)
	// NextDue, when not nil, tells when the next reminder falls due. :advance
	// then stops the clock at each due time on its way, so reminders fire at
	// their own minute (and the transcript shows which), not all at the end.
	NextDue func(ctx context.Context) (time.Time, bool)
	// Drain, when not nil, is called at the end of non-interactive input
	// and should return once the replies and reminders the input caused are
	// sent.
	Drain func(ctx context.Context)
	// Echo prints every input line that is not blank, after "> ", before
	// what it causes, so a piped conversation reads as one: each line
	// beside the bot's answers. The "> " is the interactive prompt's, so
	// the output reads as if it had been typed.
	Echo bool
	// ImageDir, when set, makes the console a bot.PhotoSender: a message's
	// picture is written there as NAME.png and its path printed under the
	// text. When empty, pictures are dropped and the text stands alone.
	ImageDir string
	// RunID, when set, is put in front of every message id. Ids restart at
	// c1 in every process, and the store remembers served ids for a day, so
	// a console run against a kept store needs ids of its own.
	RunID string
}

// Console is a group chat in the terminal. Send is safe for concurrent use;
// Run must not be called twice at once.
type Console struct {
	opts Options
	loc  *time.Location

	// mu serialises every write to Out, since the scheduler sends from its
	// own goroutines while Run prints notes.
	mu        sync.Mutex
	prompting bool // a "> " prompt is showing and waits for input

	// unreachable are the people private messages cannot reach, as on
	// Telegram before someone presses Start; guarded by mu.
	unreachable map[string]bool

	// Run's state, used only on Run's goroutine.
	group   string
	speaker string
	private bool
}

// New returns a Console. It panics when In, Out or Clock is missing, since
// that is a wiring mistake found at start-up.
func New(opts Options) *Console {
	if opts.Clock == nil && opts.FakeClock != nil {
		opts.Clock = opts.FakeClock
	}
	if opts.In == nil || opts.Out == nil || opts.Clock == nil {
		panic("console: Options.In, Out and Clock are required")
	}
	if opts.Group == "" {
		opts.Group = "group"
	}
	if opts.BotName == "" {
		opts.BotName = "huzhu"
	}
	return &Console{opts: opts, loc: shanghai(), group: opts.Group}
}

// Name returns "console".
func (c *Console) Name() string { return PlatformName }

// messageSeq numbers messages across every Console in the process, so ids
// stay unique for the dedupe middleware even when tests run several.
var messageSeq atomic.Uint64

// scanned is one line read from In, or the error that ended reading.
type scanned struct {
	text string
	cut  bool
	err  error
}

// Run reads lines until end of input or until ctx is done, serving each
// message through in before the next line is read. At the end of
// non-interactive input it calls Options.Drain and returns nil; when ctx is
// done it returns ctx.Err().
func (c *Console) Run(ctx context.Context, in bot.Receiver) error {
	lines := make(chan scanned)
	stop := make(chan struct{})
	defer close(stop)
	// A blocked Read cannot be interrupted, so reading happens on its own
	// goroutine and Run can still return when ctx is done.
	go c.read(lines, stop)

	if c.opts.Interactive {
		if err := c.print(banner(c.group)); err != nil {
			return err
		}
	}
	for {
		if c.opts.Interactive {
			if err := c.prompt(); err != nil {
				return err
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case l, ok := <-lines:
			if !ok {
				return c.finish(ctx)
			}
			if l.err != nil {
				return fmt.Errorf("console: read: %w", l.err)
			}
			if err := c.handle(ctx, in, l); err != nil {
				return err
			}
		}
	}
}

func (c *Console) finish(ctx context.Context) error {
	if c.opts.Interactive {
		c.mu.Lock()
		c.prompting = false // Ctrl-D ends the prompt's line
		c.mu.Unlock()
		return c.print("\n")
	}
	if c.opts.Drain != nil {
		c.opts.Drain(ctx)
	}
	return nil
}

func (c *Console) read(lines chan<- scanned, stop <-chan struct{}) {
	defer close(lines)
	split := &lineSplitter{max: MaxLineBytes}
	sc := bufio.NewScanner(c.opts.In)
	sc.Buffer(make([]byte, 0, 4096), MaxLineBytes+1)
	sc.Split(split.split)
	first := true
	for sc.Scan() {
		text := sc.Text()
		if first {
			text, first = strings.TrimPrefix(text, "\uFEFF"), false // a byte-order mark from a Windows editor
		}
		select {
		case lines <- scanned{text: text, cut: split.cut}:
		case <-stop:
			return
		}
	}
	if err := sc.Err(); err != nil {
		select {
		case lines <- scanned{err: err}:
		case <-stop:
		}
	}
}

// handle serves one input line. It returns only errors writing to Out.
func (c *Console) handle(ctx context.Context, in bot.Receiver, s scanned) error {
	c.mu.Lock()
	c.prompting = false // the person pressed Enter
	c.mu.Unlock()
	if c.opts.Echo && strings.TrimSpace(s.text) != "" {
		if err := c.print("> " + s.text + "\n"); err != nil {
			return err
		}
	}
	if s.cut {
		if err := c.note(fmt.Sprintf("line longer than %d bytes, cut", MaxLineBytes)); err != nil {
			return err
		}
	}
	l := ParseLine(s.text)
	switch l.Kind {
	case Directive:
		return c.directive(ctx, in, l)
	case GroupLine, PrivateLine:
		c.speaker, c.private = l.Name, l.Kind == PrivateLine
	case Continued:
		if c.speaker == "" {
			return c.note("start a line with NAME: to speak, e.g. 张阿姨: 报事 3幢楼道灯坏了")
		}
	default:
		return nil
	}
	m := c.message(l.Text)
	if m == nil {
		return nil // "张阿姨:" alone only picks the speaker
	}
	in.Receive(ctx, m)
	return nil
}

// message builds the message the current speaker sends with text, or nil
// when there is nothing to send.
func (c *Console) message(text string) *bot.Message {
	ct := parseContent(text, c.opts.BotName)
	if ct.text == "" && len(ct.attachments) == 0 {
		return nil
	}
	sender := user(c.speaker)
	chat := bot.Chat{Platform: PlatformName, ID: c.group, Kind: bot.Group, Title: c.group}
	if c.private {
		chat = sender.PrivateChat()
		c.setReachable(c.speaker, true) // writing to the bot opens the private chat, as Start does
	}
	m := &bot.Message{
		ID:             c.opts.RunID + "c" + strconv.FormatUint(messageSeq.Add(1), 10),
		Chat:           chat,
		Sender:         sender,
		Text:           ct.text,
		Time:           c.opts.Clock.Now(),
		Attachments:    ct.attachments,
		AddressedToBot: ct.addressed,
	}
	for _, name := range ct.mentions {
		m.Mentions = append(m.Mentions, user(name))
	}
	return m
}

func user(name string) bot.User {
	return bot.User{Platform: PlatformName, ID: name, Name: name}
}

const help = `directives:
  :chat NAME      speak in group NAME from now on (created on first use)
  :now            print the bot's clock
  :advance 25h    move the fake clock (also 90m, 3d, 1d12h); what falls due is sent
  :unreachable NAME  private messages to NAME fail, as on Telegram before
                  Start, until NAME writes privately (NAME> …)
  :press NAME: DATA  NAME presses a button whose data is DATA (what the
                  button stands for, e.g. /vote 1 2) in the current group;
                  :press NAME> DATA presses one in NAME's private chat
  :help           this list
  NAME: TEXT speaks in the group, NAME> TEXT privately to the bot,
  a line with neither continues the last speaker; // starts a comment`

// pressUsage is the note for a :press without a speaker and data.
const pressUsage = "usage: :press NAME: DATA (in the group) or :press NAME> DATA (privately), e.g. :press 张阿姨: /vote 1 2"

// press serves ":press NAME: DATA": NAME presses a button whose data is
// DATA, in the current group or (NAME> DATA) in their private chat, as a
// Telegram button press arrives. The speaker typing lines stays as it was.
func (c *Console) press(ctx context.Context, in bot.Receiver, arg string) error {
	l := ParseLine(arg)
	if (l.Kind != GroupLine && l.Kind != PrivateLine) || l.Text == "" {
		return c.note(pressUsage)
	}
	sender := user(l.Name)
	chat := bot.Chat{Platform: PlatformName, ID: c.group, Kind: bot.Group, Title: c.group}
	if l.Kind == PrivateLine {
		chat = sender.PrivateChat()
	}
	seq := strconv.FormatUint(messageSeq.Add(1), 10)
	in.Receive(ctx, &bot.Message{
		ID:             c.opts.RunID + "c" + seq,
		Chat:           chat,
		Sender:         sender,
		Text:           l.Text,
		Time:           c.opts.Clock.Now(),
		AddressedToBot: true,
		Press:          c.opts.RunID + "p" + seq,
	})
	return nil
}

// maxSteps bounds how many due times one :advance stops at, so a reminder
// that keeps failing cannot hold the console in a loop.
const maxSteps = 10_000

// stepTo moves the fake clock to each due time up to target in turn, lets
// what is due there fire, and returns the last time it stopped at (zero if
// none).
func (c *Console) stepTo(ctx context.Context, target time.Time) (time.Time, error) {
	var last time.Time
	if c.opts.NextDue == nil || c.opts.AfterAdvance == nil {
		return last, nil
	}
	for range maxSteps {
		due, ok := c.opts.NextDue(ctx)
		if !ok || due.After(target) || !due.After(last) {
			break
		}
		if due.After(c.opts.FakeClock.Now()) {
			c.opts.FakeClock.Set(due)
		}
		last = c.opts.FakeClock.Now()
		if err := c.note("now: " + c.formatTime(last)); err != nil {
			return last, err
		}
		c.opts.AfterAdvance(ctx, last)
	}
	return last, nil
}

func (c *Console) directive(ctx context.Context, in bot.Receiver, l Line) error {
	switch strings.ToLower(l.Name) {
	case "chat":
		if l.Text == "" || strings.ContainsFunc(l.Text, unicode.IsSpace) {
			return c.note("usage: :chat NAME, e.g. :chat 3幢楼栋群")
		}
		c.group = l.Text
		return nil
	case "now":
		return c.note("now: " + c.formatTime(c.opts.Clock.Now()))
	case "advance":
		if c.opts.FakeClock == nil {
			return c.note(":advance needs --fake-clock")
		}
		d, err := parseAdvance(l.Text)
		if err != nil {
			return c.note(fmt.Sprintf(":advance %s: %v; e.g. :advance 25h, :advance 3d, :advance 90m", l.Text, err))
		}
		target := c.opts.FakeClock.Now().Add(d)
		last, err := c.stepTo(ctx, target)
		if err != nil {
			return err
		}
		c.opts.FakeClock.Set(target)
		if !last.Equal(target) {
			if err := c.note("now: " + c.formatTime(target)); err != nil {
				return err
			}
		}
		if c.opts.AfterAdvance != nil {
			c.opts.AfterAdvance(ctx, target)
		}
		return nil
	case "unreachable":
		if l.Text == "" || strings.ContainsFunc(l.Text, unicode.IsSpace) {
			return c.note("usage: :unreachable NAME, e.g. :unreachable 王阿姨")
		}
		c.setReachable(l.Text, false)
		return nil
	case "press":
		return c.press(ctx, in, l.Text)
	case "help":
		return c.note(help)
	default:
		return c.note(fmt.Sprintf("unknown directive :%s; :help lists them", l.Name))
	}
}

// maxAdvance bounds :advance so adding days cannot overflow a Duration.
const maxAdvance = 10 * 365 * 24 * time.Hour

var errBadDuration = errors.New("not a duration")

// parseAdvance parses a Go duration that may start with a number of days:
// "25h", "90m", "3d", "1d12h".
func parseAdvance(s string) (time.Duration, error) {
	var total time.Duration
	if days, rest, ok := strings.Cut(s, "d"); ok {
		n, err := strconv.ParseUint(days, 10, 32)
		if err != nil || n > uint64(maxAdvance/(24*time.Hour)) {
			return 0, errBadDuration
		}
		total, s = time.Duration(n)*24*time.Hour, rest
		if s == "" {
			return total, nil
		}
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 || d > maxAdvance {
		return 0, errBadDuration
	}
	if total += d; total > maxAdvance {
		return 0, errBadDuration
	}
	return total, nil
}

var weekdays = [...]string{"周日", "周一", "周二", "周三", "周四", "周五", "周六"}

// formatTime prints t as residents read it: "2026-11-25 09:00 周三".
func (c *Console) formatTime(t time.Time) string {
	t = t.In(c.loc)
	return t.Format("2006-01-02 15:04 ") + weekdays[t.Weekday()]
}

func shanghai() *time.Location {
	if loc, err := time.LoadLocation("Asia/Shanghai"); err == nil {
		return loc
	}
	return time.FixedZone("CST", 8*60*60) // no tzdata on this machine; China has no DST
}

func banner(group string) string {
	return fmt.Sprintf("huzhu console, group %q. NAME: TEXT speaks in the group, NAME> TEXT privately to the bot; :help for more, Ctrl-D to quit.\n", group)
}

// Send prints out as "[CHAT] bot: TEXT" for a group or "[@NAME] bot: TEXT"
// for a private chat. The console reaches everyone privately and shows no
// buttons as buttons, so it implements neither bot.PrivateReacher nor
// bot.ButtonSender; buttons are listed on one line so a person sees the
// choices the text tells them how to type.
func (c *Console) Send(ctx context.Context, out bot.Outgoing) error {
	if out.Chat.Platform != PlatformName {
		return fmt.Errorf("console: %w: %q", bot.ErrUnknownPlatform, out.Chat.Platform)
	}
	if out.Chat.Kind == bot.Private && !c.CanReachPrivately(ctx, bot.User{ID: out.Chat.ID}) {
		return fmt.Errorf("console: %s has not opened a private chat: %w", out.Chat.ID, bot.ErrUnreachable)
	}
	text := format(out)
	if len(out.ImagePNG) > 0 {
		path, err := c.writeImage(out)
		if err != nil {
			return err
		}
		text += "  [图片] " + path + "\n"
	}
	return c.print(text)
}

// SupportsPhotos reports whether pictures are written to Options.ImageDir.
// It implements bot.PhotoSender.
func (c *Console) SupportsPhotos() bool { return c.opts.ImageDir != "" }

// writeImage writes out's picture to ImageDir and returns its path.
func (c *Console) writeImage(out bot.Outgoing) (string, error) {
	if err := os.MkdirAll(c.opts.ImageDir, 0o755); err != nil {
		return "", fmt.Errorf("console: picture: %w", err)
	}
	name := filepath.Base(out.Image)
	if name == "" || name == "." || name == string(filepath.Separator) {
		name = "image"
	}
	path := filepath.Join(c.opts.ImageDir, name+".png")
	if err := os.WriteFile(path, out.ImagePNG, 0o644); err != nil {
		return "", fmt.Errorf("console: picture: %w", err)
	}
	return path, nil
}

// CanReachPrivately reports whether u may be sent a private message: true
// unless a :unreachable directive named them and they have not written to
// the bot privately since. It implements bot.PrivateReacher.
func (c *Console) CanReachPrivately(_ context.Context, u bot.User) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return !c.unreachable[u.ID]
}

func (c *Console) setReachable(name string, ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.unreachable == nil {
		c.unreachable = map[string]bool{}
	}
	c.unreachable[name] = !ok
}

// Toast prints the note answering a button press as "[toast @NAME] bot:
// TEXT": it is shown to the presser alone, over the chat, and is no message
// in it. It implements bot.Toaster and always succeeds.
func (c *Console) Toast(_ context.Context, m *bot.Message, text string) error {
	if m.Chat.Platform != PlatformName || !m.IsPress() {
		return fmt.Errorf("console: %w: not a console button press", bot.ErrNoToast)
	}
	return c.print(block("toast @"+m.Sender.Name, text))
}

// format returns the lines Send prints for out, ending in a newline.
func format(out bot.Outgoing) string {
	label := out.Chat.ID
	if out.Chat.Kind == bot.Private {
		label = "@" + label
	}
	text := out.Text
	if out.Chat.Kind == bot.Group && len(out.Mentions) > 0 {
		var names []string
		for _, u := range out.Mentions {
			name := u.Name
			if name == "" {
				name = u.ID
			}
			names = append(names, "@"+name)
		}
		text = strings.Join(append(names, text), " ")
	}
	var b strings.Builder
	b.WriteString(block(label, text))
	var labels []string
	for _, row := range out.Buttons {
		for _, btn := range row {
			if btn.WebApp != "" {
				continue // the console opens no page; the text has the link
			}
			labels = append(labels, "["+btn.Label+"]")
		}
	}
	if len(labels) > 0 {
		b.WriteString("  " + strings.Join(labels, " ") + "\n")
	}
	return b.String()
}

// block prints text as "[LABEL] bot: TEXT", further lines indented by two
// spaces, ending in a newline.
func block(label, text string) string {
	text = strings.ReplaceAll(text, "\r\n", "\n")
	var b strings.Builder
	for i, line := range strings.Split(text, "\n") {
		line = strings.TrimRightFunc(line, unicode.IsSpace) // golden files keep no trailing blanks
		switch {
		case i == 0:
			b.WriteString("[" + label + "] bot:")
			if line != "" {
				b.WriteString(" " + line)
			}
		case line != "":
			b.WriteString("  " + line)
		}
		b.WriteByte('\n')
	}
	return b.String()
}

// note prints one of the console's own lines, "(console) …".
func (c *Console) note(s string) error {
	return c.print("(console) " + s + "\n")
}

// print writes s to Out. When a prompt is showing (a reminder arrived while
// the person was typing), s goes on a fresh line and the prompt is shown
// again after it.
func (c *Console) print(s string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.prompting {
		s = "\n" + s + "> "
	}
	if _, err := io.WriteString(c.opts.Out, s); err != nil {
		return fmt.Errorf("console: write: %w", err)
	}
	return nil
}

func (c *Console) prompt() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, err := io.WriteString(c.opts.Out, "> "); err != nil {
		return fmt.Errorf("console: write: %w", err)
	}
	c.prompting = true
	return nil
}
