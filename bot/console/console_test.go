package console_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/huzhu-station/huzhu/bot"
	"github.com/huzhu-station/huzhu/bot/console"
)

func TestParseLine(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want console.Line
	}{
		{"group", "张阿姨: 报事 3幢楼道灯坏了", console.Line{Kind: console.GroupLine, Name: "张阿姨", Text: "报事 3幢楼道灯坏了"}},
		{"full-width colon", "张阿姨：报事：3幢漏水", console.Line{Kind: console.GroupLine, Name: "张阿姨", Text: "报事：3幢漏水"}},
		{"private", "李师傅> 未缴", console.Line{Kind: console.PrivateLine, Name: "李师傅", Text: "未缴"}},
		{"first separator wins", "a>b: c", console.Line{Kind: console.PrivateLine, Name: "a", Text: "b: c"}},
		{"colon before gt", "a: b>c", console.Line{Kind: console.GroupLine, Name: "a", Text: "b>c"}},
		{"surrounding spaces", "  王伟:   你好  ", console.Line{Kind: console.GroupLine, Name: "王伟", Text: "你好"}},
		{"no text", "王伟:", console.Line{Kind: console.GroupLine, Name: "王伟"}},
		{"continued", "同问 12", console.Line{Kind: console.Continued, Text: "同问 12"}},
		{"space in name", "开会 明天 19:30 东门", console.Line{Kind: console.Continued, Text: "开会 明天 19:30 东门"}},
		{"time", "19:30开会", console.Line{Kind: console.Continued, Text: "19:30开会"}},
		{"url", "https://example.com/a", console.Line{Kind: console.Continued, Text: "https://example.com/a"}},
		{"slash command", "/report 漏水：3幢", console.Line{Kind: console.Continued, Text: "/report 漏水：3幢"}},
		{"photo only", "<photo:a.jpg>", console.Line{Kind: console.Continued, Text: "<photo:a.jpg>"}},
		{"mention first", "@张阿姨: 你好", console.Line{Kind: console.Continued, Text: "@张阿姨: 你好"}},
		{"name too long", strings.Repeat("长", 33) + ": hi", console.Line{Kind: console.Continued, Text: strings.Repeat("长", 33) + ": hi"}},
		{"name at limit", strings.Repeat("长", 32) + ": hi", console.Line{Kind: console.GroupLine, Name: strings.Repeat("长", 32), Text: "hi"}},
		{"empty", "   ", console.Line{Kind: console.Skip}},
		{"comment", "// 张阿姨先报事", console.Line{Kind: console.Skip}},
		{"directive", ":advance  25h", console.Line{Kind: console.Directive, Name: "advance", Text: "25h"}},
		{"bare colon", ":", console.Line{Kind: console.Directive}},
		{"leading gt", "> hi", console.Line{Kind: console.Continued, Text: "> hi"}},
		{"invalid utf-8", "a\xffb: x", console.Line{Kind: console.Continued, Text: "a\uFFFDb: x"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := console.ParseLine(tt.in); got != tt.want {
				t.Errorf("ParseLine(%q) = %+v, want %+v", tt.in, got, tt.want)
			}
		})
	}
}

func FuzzParseLine(f *testing.F) {
	for _, s := range []string{"张阿姨: 报事 <photo:a.jpg> @李师傅 看看", "a> @huzhu 帮助", ":advance 3d", "x：y", "<photo:>", "@@a@b", "\xff:\xfe", "//c"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		l := console.ParseLine(s)
		if l.Kind == console.GroupLine || l.Kind == console.PrivateLine {
			if l.Name == "" || utf8.RuneCountInString(l.Name) > console.MaxNameRunes || strings.ContainsFunc(l.Name, unicode.IsSpace) || !utf8.ValidString(l.Name) {
				t.Fatalf("ParseLine(%q) gave bad name %q", s, l.Name)
			}
		}
		// The whole pipeline must not panic on any line either.
		var got []*bot.Message
		c := console.New(console.Options{In: strings.NewReader("x: hi\n" + s + "\n"), Out: io.Discard, Clock: bot.SystemClock{}})
		if err := c.Run(context.Background(), bot.ReceiverFunc(func(_ context.Context, m *bot.Message) { got = append(got, m) })); err != nil {
			t.Fatal(err)
		}
		for _, m := range got {
			for _, u := range m.Mentions {
				if u.Name == "" || strings.ContainsFunc(u.Name, unicode.IsSpace) {
					t.Fatalf("line %q gave bad mention %q", s, u.Name)
				}
			}
			for _, a := range m.Attachments {
				if a.Ref == "" || strings.Contains(m.Text, "<photo:"+a.Ref+">") {
					t.Fatalf("line %q gave attachment %q, text %q", s, a.Ref, m.Text)
				}
			}
		}
	})
}

var start = time.Date(2026, 11, 25, 9, 0, 0, 0, time.FixedZone("CST", 8*60*60))

// echo is a Receiver that answers through the console the way handlers do,
// and records what it received.
type echo struct {
	c   *console.Console
	got []*bot.Message
}

func (e *echo) Receive(ctx context.Context, m *bot.Message) {
	e.got = append(e.got, m)
	r := bot.NewResponder(e.c, m)
	var err error
	switch m.Text {
	case "私聊":
		err = r.ReplyPrivately(ctx, "只发给你\n第二行")
	case "投票":
		err = r.Reply(ctx, "投票 #1：换物业吗？\n回复 投 1 A 或 投 1 B", []bot.Button{{Label: "A 换", Data: "投 1 A"}, {Label: "B 不换", Data: "投 1 B"}}, []bot.Button{{Label: "结果", Data: "投票 1"}})
	case "/vote 9 1":
		err = r.Toast(ctx, "投票 #9 已经结束了。\n结果已发到群里")
	case "点名":
		err = r.Send(ctx, bot.Outgoing{Chat: m.Chat, Text: "请补缴", Mentions: m.Mentions})
	default:
		desc := fmt.Sprintf("%s 说 %q", m.Sender.Name, m.Text)
		for _, u := range m.Mentions {
			desc += " @" + u.Name
		}
		for _, a := range m.Attachments {
			desc += " photo:" + a.Ref
		}
		if m.AddressedToBot {
			desc += " (to bot)"
		}
		err = r.Reply(ctx, desc)
	}
	if err != nil {
		panic(err)
	}
}

// run feeds input to a console and returns what it printed and received.
func run(t *testing.T, input string, opts console.Options) (string, []*bot.Message) {
	t.Helper()
	var out strings.Builder
	opts.In, opts.Out = strings.NewReader(input), &out
	if opts.Clock == nil {
		opts.Clock = bot.NewFakeClock(start)
	}
	e := &echo{}
	e.c = console.New(opts)
	if err := e.c.Run(context.Background(), e); err != nil {
		t.Fatalf("Run: %v", err)
	}
	return out.String(), e.got
}

func TestRunTranscript(t *testing.T) {
	input := `// a comment, then a blank line

张阿姨: 报事 3幢楼道灯坏了 <photo:deng.jpg>
还有2单元也坏了
<photo:more.jpg>
李师傅> 私聊
张阿姨: 私聊
张阿姨: 投票
王伟: @huzhu 帮助
王伟: 点名 @张阿姨 @李师傅，@张阿姨 a@b.com
王伟:
继续说
`
	want := `[group] bot: 张阿姨 说 "报事 3幢楼道灯坏了" photo:deng.jpg
[group] bot: 张阿姨 说 "还有2单元也坏了"
[group] bot: 张阿姨 说 "" photo:more.jpg
[@李师傅] bot: 只发给你
  第二行
[@张阿姨] bot: 只发给你
  第二行
[group] bot: 投票 #1：换物业吗？
  回复 投 1 A 或 投 1 B
  [A 换] [B 不换] [结果]
[group] bot: 王伟 说 "@huzhu 帮助" (to bot)
[group] bot: 王伟 说 "点名 @张阿姨 @李师傅，@张阿姨 a@b.com" @张阿姨 @李师傅
[group] bot: 王伟 说 "继续说"
`
	got, msgs := run(t, input, console.Options{})
	if got != want {
		t.Errorf("output:\n%s\nwant:\n%s", got, want)
	}
	if len(msgs) != 9 {
		t.Fatalf("received %d messages, want 9", len(msgs))
	}
	group := bot.Chat{Platform: "console", ID: "group", Kind: bot.Group, Title: "group"}
	li := bot.User{Platform: "console", ID: "李师傅", Name: "李师傅"}
	if msgs[0].Chat != group || msgs[3].Chat != li.PrivateChat() || msgs[3].Sender != li {
		t.Errorf("chats: %+v, %+v", msgs[0].Chat, msgs[3])
	}
	if !msgs[0].Time.Equal(start) {
		t.Errorf("time = %v, want %v", msgs[0].Time, start)
	}
	seen := map[string]bool{}
	for _, m := range msgs {
		if !strings.HasPrefix(m.ID, "c") || seen[m.ID] {
			t.Errorf("message id %q not a fresh c<n>", m.ID)
		}
		seen[m.ID] = true
	}
}

// TestPress checks that :press arrives as a button press, that a note
// answering a press in the group is printed for the presser alone, and that
// the same words typed, or pressed privately, are replied as usual.
func TestPress(t *testing.T) {
	input := `张阿姨: 你好
:press 王伟: /vote 9 1
:press 王伟> /vote 9 1
还在说
/vote 9 1
:press
:press 王伟:
:press /vote 9 1
`
	want := `[group] bot: 张阿姨 说 "你好"
[toast @王伟] bot: 投票 #9 已经结束了。
  结果已发到群里
[@王伟] bot: 投票 #9 已经结束了。
  结果已发到群里
[group] bot: 张阿姨 说 "还在说"
[group] bot: 投票 #9 已经结束了。
  结果已发到群里
(console) ` + "usage: :press NAME: DATA (in the group) or :press NAME> DATA (privately), e.g. :press 张阿姨: /vote 1 2" + `
(console) usage: :press NAME: DATA (in the group) or :press NAME> DATA (privately), e.g. :press 张阿姨: /vote 1 2
(console) usage: :press NAME: DATA (in the group) or :press NAME> DATA (privately), e.g. :press 张阿姨: /vote 1 2
`
	got, msgs := run(t, input, console.Options{})
	if got != want {
		t.Errorf("output:\n%s\nwant:\n%s", got, want)
	}
	if len(msgs) != 5 {
		t.Fatalf("received %d messages, want 5", len(msgs))
	}
	wang := bot.User{Platform: "console", ID: "王伟", Name: "王伟"}
	if p := msgs[1]; !p.IsPress() || p.Sender != wang || p.Chat.Kind != bot.Group || !p.AddressedToBot || p.Text != "/vote 9 1" {
		t.Errorf("group press received as %+v", p)
	}
	if p := msgs[2]; !p.IsPress() || p.Chat != wang.PrivateChat() || p.Press == msgs[1].Press || p.ID == msgs[1].ID {
		t.Errorf("private press received as %+v", p)
	}
	if m := msgs[3]; m.IsPress() || m.Sender.Name != "张阿姨" {
		t.Errorf("a press changed who is speaking: %+v", m)
	}
}

func TestContinuedKeepsMode(t *testing.T) {
	got, msgs := run(t, "李师傅> 你好\n再问一句\n:chat 2号群\n张阿姨: 在吗\n李师傅: 在\n", console.Options{})
	want := `[@李师傅] bot: 李师傅 说 "你好"
[@李师傅] bot: 李师傅 说 "再问一句"
[2号群] bot: 张阿姨 说 "在吗"
[2号群] bot: 李师傅 说 "在"
`
	if got != want {
		t.Errorf("output:\n%s\nwant:\n%s", got, want)
	}
	if c := msgs[2].Chat; c.ID != "2号群" || c.Title != "2号群" || c.Kind != bot.Group {
		t.Errorf("chat after :chat = %+v", c)
	}
}

func TestOptionsGroupAndBotName(t *testing.T) {
	got, msgs := run(t, "a: @HelperBot hi\na: @huzhu hi\n", console.Options{Group: "3幢", BotName: "helperbot"})
	if !strings.HasPrefix(got, "[3幢] bot:") {
		t.Errorf("output %q does not use the group option", got)
	}
	if !msgs[0].AddressedToBot || msgs[1].AddressedToBot || len(msgs[0].Mentions) != 0 || len(msgs[1].Mentions) != 1 {
		t.Errorf("addressed/mentions = %v %v / %v %v", msgs[0].AddressedToBot, msgs[0].Mentions, msgs[1].AddressedToBot, msgs[1].Mentions)
	}
}

func TestDirectives(t *testing.T) {
	t.Run("with fake clock", func(t *testing.T) {
		clock := bot.NewFakeClock(start)
		var advanced []time.Time
		var drained bool
		opts := console.Options{
			Clock: clock, FakeClock: clock,
			AfterAdvance: func(ctx context.Context, now time.Time) { advanced = append(advanced, now) },
			Drain:        func(ctx context.Context) { drained = true },
		}
		got, msgs := run(t, ":now\n:advance 25h\n:advance 1d12h\n:advance 90m\n:advance -1h\n:advance soon\n:chat\n:chat a b\n:chat 楼组长群\n:frobnicate\n:NOW\na: hi\n", opts)
		want := `(console) now: 2026-11-25 09:00 周三
(console) now: 2026-11-26 10:00 周四
(console) now: 2026-11-27 22:00 周五
(console) now: 2026-11-27 23:30 周五
(console) :advance -1h: not a duration; e.g. :advance 25h, :advance 3d, :advance 90m
(console) :advance soon: not a duration; e.g. :advance 25h, :advance 3d, :advance 90m
(console) usage: :chat NAME, e.g. :chat 3幢楼栋群
(console) usage: :chat NAME, e.g. :chat 3幢楼栋群
(console) unknown directive :frobnicate; :help lists them
(console) now: 2026-11-27 23:30 周五
[楼组长群] bot: a 说 "hi"
`
		if got != want {
			t.Errorf("output:\n%s\nwant:\n%s", got, want)
		}
		if len(advanced) != 3 || !advanced[2].Equal(start.Add(62*time.Hour+30*time.Minute)) {
			t.Errorf("AfterAdvance got %v", advanced)
		}
		if !drained {
			t.Error("Drain not called at end of input")
		}
		if !msgs[0].Time.Equal(clock.Now()) {
			t.Errorf("message time %v, want the advanced clock %v", msgs[0].Time, clock.Now())
		}
	})
	t.Run("without fake clock", func(t *testing.T) {
		got, _ := run(t, ":advance 3d\n", console.Options{Clock: bot.SystemClock{}})
		if want := "(console) :advance needs --fake-clock\n"; got != want {
			t.Errorf("output %q, want %q", got, want)
		}
	})
	t.Run("help", func(t *testing.T) {
		got, _ := run(t, ":help\n", console.Options{})
		for _, d := range []string{":chat", ":now", ":advance", ":press", ":help", "NAME: TEXT", "NAME> TEXT", "//"} {
			if !strings.Contains(got, d) {
				t.Errorf(":help does not mention %s:\n%s", d, got)
			}
		}
	})
}

// TestAdvanceRepliesInOrder checks that what AfterAdvance sends comes out
// before the next line is served.
func TestAdvanceRepliesInOrder(t *testing.T) {
	clock := bot.NewFakeClock(start)
	var c *console.Console
	var out strings.Builder
	c = console.New(console.Options{
		In: strings.NewReader(":advance 1d\na: hi\n"), Out: &out, Clock: clock, FakeClock: clock,
		AfterAdvance: func(ctx context.Context, now time.Time) {
			reminder := bot.User{Platform: "console", ID: "a", Name: "a"}.PrivateChat()
			if err := c.Send(ctx, bot.Outgoing{Chat: reminder, Text: "明天 19:30 开会"}); err != nil {
				t.Error(err)
			}
		},
	})
	e := &echo{c: c}
	if err := c.Run(context.Background(), e); err != nil {
		t.Fatal(err)
	}
	want := "(console) now: 2026-11-26 09:00 周四\n[@a] bot: 明天 19:30 开会\n[group] bot: a 说 \"hi\"\n"
	if out.String() != want {
		t.Errorf("output:\n%s\nwant:\n%s", out.String(), want)
	}
}

func TestAwkwardInput(t *testing.T) {
	long := strings.Repeat("楼", 5000)
	huge := strings.Repeat("x", console.MaxLineBytes+10) + "楼"
	input := "还没人说话\n" +
		"张阿姨: " + long + "\n" +
		"李师傅: 🐶🐕 遛狗不牵绳 👍🏽\r\n" +
		"a: " + huge + "\n" +
		"a: after\n" +
		"a: no newline at end"
	got, msgs := run(t, "\uFEFF"+input, console.Options{}) // a byte-order mark from a Windows editor
	lines := strings.Split(strings.TrimSuffix(got, "\n"), "\n")
	if lines[0] != "(console) start a line with NAME: to speak, e.g. 张阿姨: 报事 3幢楼道灯坏了" {
		t.Errorf("first output line %q, want the hint", lines[0])
	}
	if len(msgs) != 5 {
		t.Fatalf("received %d messages, want 5", len(msgs))
	}
	if msgs[0].Text != long {
		t.Errorf("5,000-character line arrived as %d runes", utf8.RuneCountInString(msgs[0].Text))
	}
	if msgs[1].Text != "🐶🐕 遛狗不牵绳 👍🏽" {
		t.Errorf("emoji line = %q", msgs[1].Text)
	}
	if msgs[2].Sender.Name != "a" || !strings.HasPrefix(msgs[2].Text, strings.Repeat("x", 3)) || strings.Contains(msgs[2].Text, "楼") || len(msgs[2].Text) > console.MaxLineBytes {
		t.Errorf("cut line from %s, %d bytes", msgs[2].Sender.Name, len(msgs[2].Text))
	}
	if !strings.Contains(got, "(console) line longer than 65536 bytes, cut\n") {
		t.Error("no note about the cut line")
	}
	if msgs[3].Text != "after" || msgs[4].Text != "no newline at end" {
		t.Errorf("lines after the cut: %q, %q", msgs[3].Text, msgs[4].Text)
	}
}

func TestSendOtherPlatform(t *testing.T) {
	c := console.New(console.Options{In: strings.NewReader(""), Out: io.Discard, Clock: bot.SystemClock{}})
	err := c.Send(context.Background(), bot.Outgoing{Chat: bot.Chat{Platform: "telegram", ID: "1"}, Text: "hi"})
	if !errors.Is(err, bot.ErrUnknownPlatform) {
		t.Errorf("Send to telegram: %v, want ErrUnknownPlatform", err)
	}
	if c.Name() != "console" {
		t.Errorf("Name() = %q", c.Name())
	}
}

// syncBuffer lets the test read output while Run is still writing.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestConcurrentSend(t *testing.T) {
	inR, inW := io.Pipe()
	var out syncBuffer
	c := console.New(console.Options{In: inR, Out: &out, Clock: bot.SystemClock{}})
	e := &echo{c: c}
	done := make(chan error)
	go func() { done <- c.Run(context.Background(), e) }()

	const senders, each = 8, 25
	var wg sync.WaitGroup
	for g := range senders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				out := bot.Outgoing{Chat: bot.Chat{Platform: "console", ID: "group"}, Text: fmt.Sprintf("提醒 %d-%d\n第二行", g, i)}
				if err := c.Send(context.Background(), out); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	for i := range 20 {
		fmt.Fprintf(inW, "a: line %d\n", i)
	}
	wg.Wait()
	inW.Close()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if len(lines) != senders*each*2+20 {
		t.Fatalf("%d lines, want %d", len(lines), senders*each*2+20)
	}
	for i, l := range lines {
		if strings.HasPrefix(l, "[group] bot: 提醒") && lines[i+1] != "  第二行" {
			t.Fatalf("message split by another: %q then %q", l, lines[i+1])
		}
	}
}

func TestRunStopsWithContext(t *testing.T) {
	inR, inW := io.Pipe()
	defer inW.Close()
	c := console.New(console.Options{In: inR, Out: io.Discard, Clock: bot.SystemClock{}, Interactive: true})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- c.Run(ctx, &echo{c: c}) }()
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("Run = %v, want context.Canceled", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return when ctx was done")
	}
}

func TestInteractive(t *testing.T) {
	inR, inW := io.Pipe()
	var out syncBuffer
	drained := false
	c := console.New(console.Options{In: inR, Out: &out, Clock: bot.SystemClock{}, Interactive: true, Drain: func(context.Context) { drained = true }})
	done := make(chan error)
	go func() { done <- c.Run(context.Background(), &echo{c: c}) }()
	fmt.Fprintln(inW, "a: hi")
	// Wait for the prompt that follows the reply, then send as the scheduler would.
	for !strings.HasSuffix(out.String(), "\"hi\"\n> ") {
		time.Sleep(time.Millisecond)
	}
	if err := c.Send(context.Background(), bot.Outgoing{Chat: bot.Chat{Platform: "console", ID: "group"}, Text: "提醒"}); err != nil {
		t.Fatal(err)
	}
	inW.Close()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	got := out.String()
	_, after, ok := strings.Cut(got, "Ctrl-D to quit.\n")
	if !ok || !strings.HasPrefix(got, "huzhu console") {
		t.Fatalf("no banner in %q", got)
	}
	if want := "> [group] bot: a 说 \"hi\"\n> \n[group] bot: 提醒\n> \n"; after != want {
		t.Errorf("after the banner: %q, want %q", after, want)
	}
	if drained {
		t.Error("Drain called in interactive mode")
	}
}
