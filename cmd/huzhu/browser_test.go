package main

import (
	"context"
	"image"
	"image/png"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// browserScript is the conversation the browser test plays in the console
// before it opens the pages: a station with two residents, a problem
// each, a poll, a rota and a campaign; then the head asks for the
// station's link and a resident for her own.
const browserScript = `:chat 阳光小区群
张站长: 建站 阳光互助站
王阿姨: 登记 3幢2单元301
李伯伯: 登记 5幢1单元702
王阿姨: 报事 3幢楼道灯坏了
李伯伯: 报事 [绿化] 东门草坪被踩坏了一大片
张站长: 投票 单元门选哪种颜色 | 古铜 | 银灰
张站长: 建队 垃圾分类督导队
王阿姨: 入队 垃圾分类督导队
张站长: 排班 新增 垃圾分类督导队 每天 18:00-20:00 1号垃圾点 2人
张站长: 众筹 新建 更换单元门 目标 30000 每户 300
李伯伯: 认捐 300
张站长> 本站 网页
王阿姨> 网页
`

// screensDir is where -update keeps the screenshots, committed so a
// reviewer sees the pages; without -update they go to a temporary
// directory, so a test run leaves the tree as it was.
const screensDir = "testdata/screens"

// chromiumPath finds Debian's chromium, or "".
func chromiumPath() string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// TestPagesInBrowser starts huzhu's console with a fake clock and its web
// pages, plays browserScript, and opens the links the bot gave in
// headless Chromium at a phone's width and a desktop's: the governance
// list on the station's link, then, on the resident's link, a vote and a
// shift signup, whose confirmations must also reach her private chat.
func TestPagesInBrowser(t *testing.T) {
	pw := startPages(t, browserScript, 2)
	station, resident := pw.links[0], pw.links[1]
	ctx, out := pw.ctx, pw.out
	b := pw.browser(t)
	do, read, shot := b.do, b.read, b.shot
	phone := chromedp.EmulateViewport(375, 812)
	desktop := chromedp.EmulateViewport(1280, 800)

	// The station's link: the list, public, at both widths.
	do(phone, chromedp.Navigate(station+"issues"), chromedp.WaitVisible("#issues"))
	list, html := read(chromedp.Text("#issues")), read(chromedp.OuterHTML("html"))
	shot("station-issues-375.png")
	for _, want := range []string{"#1", "楼道灯坏了", "#2", "东门草坪"} {
		if !strings.Contains(list, want) {
			t.Errorf("the station's list lacks %q:\n%s", want, list)
		}
	}
	for _, never := range []string{"王阿姨", "李伯伯", "301", "702", `name="csrf"`} {
		if strings.Contains(html, never) {
			t.Errorf("the station's list shows %q", never)
		}
	}
	do(desktop, chromedp.Navigate(station+"issues?category=greenery"), chromedp.WaitVisible("#issues"))
	if greenery := read(chromedp.Text("#issues")); !strings.Contains(greenery, "东门草坪") || strings.Contains(greenery, "楼道灯") {
		t.Errorf("the list filtered by 绿化: %q", greenery)
	}
	shot("station-issues-greenery-1280.png")
	do(chromedp.Navigate(station), chromedp.WaitVisible("#station"))
	if h := read(chromedp.Text("#station")); h != "阳光互助站" {
		t.Errorf("station page heading %q", h)
	}
	shot("station-home-1280.png")
	// The month's figures with their four charts, drawn on the server.
	do(phone, chromedp.Navigate(station+"stats"), chromedp.WaitVisible("figure.chart svg"))
	if n := strings.Count(read(chromedp.OuterHTML("html")), "<svg "); n != 4 {
		t.Errorf("the figures page has %d charts; want 4", n)
	}
	shot("station-stats-375.png")

	// The resident's link: vote and sign up from the phone.
	do(phone, chromedp.Navigate(resident+"polls"), chromedp.WaitVisible("form.vote"))
	shot("resident-polls-375.png")
	do(chromedp.Click(`form.vote input[value="2"]`), chromedp.Click(`form.vote button`), chromedp.WaitVisible("#reply"))
	voted := read(chromedp.Text("#reply"))
	shot("resident-voted-375.png")
	do(chromedp.Navigate(resident+"shifts"), chromedp.WaitVisible("form.shift"),
		chromedp.Click(`form.shift button[value="signup"]`), chromedp.WaitVisible("#reply"))
	signed := read(chromedp.Text("#reply"))
	shot("resident-signed-375.png")
	do(desktop, chromedp.Navigate(resident+"shifts"), chromedp.WaitVisible("form.shift"))
	shot("resident-shifts-1280.png")
	if !strings.Contains(voted, "银灰") {
		t.Errorf("the page's answer to the vote: %q", voted)
	}
	if !strings.Contains(signed, "班1") {
		t.Errorf("the page's answer to the signup: %q", signed)
	}
	// A report with a phone-sized photo: the page's script shrinks it under
	// the server's limit before sending.
	big := filepath.Join(t.TempDir(), "photo.png")
	writeNoisePNG(t, big, 1100, 1100)
	do(phone, chromedp.Navigate(resident+"report"), chromedp.WaitVisible("#report"),
		chromedp.SendKeys(`#report textarea`, "5幢门口路灯不亮"),
		chromedp.SetUploadFiles(`#report input[type=file]`, []string{big}),
		chromedp.Click(`#report button`), chromedp.WaitVisible("#reply"))
	reported := read(chromedp.Text("#reply"))
	shot("resident-reported-375.png")
	if !strings.Contains(reported, "#3") {
		t.Errorf("the page's answer to the report: %q", reported)
	}
	do(chromedp.Navigate(station+"issue/3"), chromedp.WaitVisible(".photos img"))
	if html := read(chromedp.OuterHTML(".photos")); !strings.Contains(html, "photo/3/0") {
		t.Errorf("the report's photo is not shown: %s", html)
	}
	shot("station-issue-photo-375.png")

	// The same answers reached her private chat.
	waitFor(t, ctx, out, func(s string) bool {
		return strings.Contains(s, "[@王阿姨] bot: "+firstLine(voted)) && strings.Contains(s, "[@王阿姨] bot: "+firstLine(signed))
	})
}

// pagesWorld is huzhu's console with a fake clock and its web pages, after
// a script was played.
type pagesWorld struct {
	ctx      context.Context
	out      *syncBuffer
	links    []string // the first links the bot gave, in order
	chromium string
}

// startPages starts the console and its pages, plays script, and waits
// for the first n links the bot gives; it skips the test where there is
// no Chromium.
func startPages(t *testing.T, script string, n int) *pagesWorld {
	t.Helper()
	chromium := chromiumPath()
	if chromium == "" {
		t.Skip("no chromium on PATH (apt-get install chromium)")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	cfg := conversationConfig()
	cfg.Command, cfg.HTTPAddr = "console", addr
	if err := cfg.validateWeb(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	t.Cleanup(cancel)
	in, feed := io.Pipe()
	out := &syncBuffer{}
	done := make(chan error, 1)
	go func() { done <- serveConsole(ctx, cfg, conversationStore(t), in, out, conversationLog(t)) }()
	t.Cleanup(func() {
		feed.Close()
		if err := <-done; err != nil && ctx.Err() == nil {
			t.Errorf("console: %v", err)
		}
	})
	if _, err := io.WriteString(feed, script); err != nil {
		t.Fatal(err)
	}
	links := regexp.MustCompile(`http://127\.0\.0\.1:\d+/w/[A-Za-z0-9_-]+/`)
	w := &pagesWorld{ctx: ctx, out: out, chromium: chromium}
	waitFor(t, ctx, out, func(s string) bool {
		found := links.FindAllString(s, -1)
		if len(found) < n {
			return false
		}
		w.links = found[:n]
		return true
	})
	return w
}

// browser is one headless Chromium tab, with helpers that fail the test.
type browser struct {
	t       *testing.T
	ctx     context.Context
	screens string
}

// browser starts headless Chromium (skipping the test where it does not
// start) and returns its first tab.
func (w *pagesWorld) browser(t *testing.T) *browser {
	t.Helper()
	actx, acancel := chromedp.NewExecAllocator(w.ctx, chromedp.ExecPath(w.chromium), chromedp.Headless, chromedp.NoSandbox,
		chromedp.DisableGPU, chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck, chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true))
	t.Cleanup(acancel)
	bctx, bcancel := chromedp.NewContext(actx)
	t.Cleanup(bcancel)
	if err := chromedp.Do(bctx); err != nil {
		t.Skipf("chromium does not start here: %v", err)
	}
	screens := t.TempDir()
	if *update {
		screens = screensDir
		if err := os.MkdirAll(screens, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return &browser{t: t, ctx: bctx, screens: screens}
}

// another is a second phone: a browser context of its own, with its own
// cookies.
func (b *browser) another() *browser {
	b.t.Helper()
	ctx, cancel := chromedp.NewContext(b.ctx, chromedp.WithNewBrowserContext())
	b.t.Cleanup(cancel)
	if err := chromedp.Do(ctx); err != nil {
		b.t.Fatal(err)
	}
	return &browser{t: b.t, ctx: ctx, screens: b.screens}
}

func (b *browser) do(steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	if err := chromedp.Do(b.ctx, steps...); err != nil {
		b.t.Fatal(err)
	}
}

func (b *browser) read(a chromedp.Action[string]) string {
	b.t.Helper()
	s, err := chromedp.Run(b.ctx, a)
	if err != nil {
		b.t.Fatal(err)
	}
	return s
}

// shot saves a screenshot of the whole page as name.
func (b *browser) shot(name string) {
	b.t.Helper()
	png, err := chromedp.Run(b.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(b.screens, name), png, 0o644); err != nil {
		b.t.Fatal(err)
	}
}

// writeNoisePNG writes a w×h picture of noise, which PNG cannot squeeze:
// several megabytes, as a phone's photo is.
func writeNoisePNG(t *testing.T, path string, w, h int) {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range img.Pix {
		img.Pix[i] = byte(rng.Uint32())
	}
	for i := 3; i < len(img.Pix); i += 4 {
		img.Pix[i] = 255
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := png.Encode(f, img); err != nil {
		t.Fatal(err)
	}
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(strings.TrimSpace(s), "\n")
	return line
}

// waitFor polls the console's output until ok says it holds what is
// awaited, or fails the test when ctx ends.
func waitFor(t *testing.T, ctx context.Context, out *syncBuffer, ok func(string) bool) {
	t.Helper()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for !ok(out.String()) {
		select {
		case <-ctx.Done():
			t.Fatalf("gave up waiting; the console printed:\n%s", out.String())
		case <-tick.C:
		}
	}
}
