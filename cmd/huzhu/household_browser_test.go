package main

import (
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/emersion/go-ical"
)

// householdScript is a station with five households in building 3 and one
// in building 5, a poll and a rota; the head asks for the station's link,
// a staff link and building 3's household codes.
const householdScript = `:chat 阳光小区群
张站长: 建站 阳光互助站
王阿姨: 登记 3幢2单元301
刘奶奶: 登记 3幢2单元302
陈叔叔: 登记 3幢1单元101
周老师: 登记 3幢1单元102
吴阿姨: 登记 3幢1单元201
李伯伯: 登记 5幢1单元702
王阿姨: 报事 3幢楼道灯坏了
李伯伯: 报事 [绿化] 东门草坪被踩坏了一大片
张站长: 投票 单元门选哪种颜色 | 古铜 | 银灰 每户一票
王阿姨: 投 票1 1
张站长: 建队 垃圾分类督导队
张站长: 排班 新增 垃圾分类督导队 每天 18:00-20:00 1号垃圾点 2人
张站长: 众筹 新建 更换单元门 目标 30000 每户 300
张站长> 本站 网页
张站长> 网页
张站长> 住户码 3幢
`

var consoleCode = regexp.MustCompile(`3幢2单元301：([0-9A-Z]{4}) ([0-9A-Z]{4})`)

// TestHouseholdInBrowser plays a station with no bot in its group at a
// phone's width: a household opens the slip's link with its code, votes,
// signs up and reports with a photo; another phone of the household types
// the code and sees the change; the household's calendar feed parses as
// iCalendar; the head prints building 5's slips and revokes the code, which
// the phone is then refused; ten wrong codes are limited.
func TestHouseholdInBrowser(t *testing.T) {
	pw := startPages(t, householdScript, 2)
	station, staff := pw.links[0], pw.links[1]
	var code string
	waitFor(t, pw.ctx, pw.out, func(s string) bool {
		m := consoleCode.FindStringSubmatch(s)
		if m != nil {
			code = m[1] + m[2]
		}
		return m != nil
	})
	a := pw.browser(t)
	phone := chromedp.EmulateViewport(375, 812)

	// The slip's link: 「我家」, the code gone from the address.
	a.do(phone, chromedp.Navigate(station+"?c="+code), chromedp.WaitVisible("#room"))
	if room, loc := a.read(chromedp.Text("#room")), a.read(chromedp.Location()); room != "3幢2单元301" || strings.Contains(loc, code) {
		t.Errorf("the slip's link opened %q at %s", room, loc)
	}
	if votes := a.read(chromedp.Text("#votes")); !strings.Contains(votes, "古铜") {
		t.Errorf("「我家」 lacks the household's vote from the chat: %q", votes)
	}
	a.shot("household-mine-375.png")

	// A vote (replacing the one a member cast in the chat), joining the
	// team, a signup and a report with a photo, anonymous.
	a.do(chromedp.Navigate(station+"polls"), chromedp.WaitVisible("form.vote"),
		chromedp.Click(`form.vote input[value="2"]`), chromedp.Click(`form.vote button`), chromedp.WaitVisible("#reply"))
	if voted := a.read(chromedp.Text("#reply")); !strings.Contains(voted, "银灰") {
		t.Errorf("the answer to the vote: %q", voted)
	}
	a.shot("household-voted-375.png")
	a.do(chromedp.Navigate(station+"mine"), chromedp.WaitVisible("form.join"),
		chromedp.Click(`form.join button`), chromedp.WaitVisible("#reply"))
	if joined := a.read(chromedp.Text("#reply")); !strings.Contains(joined, "垃圾分类督导队") {
		t.Errorf("the answer to joining the team: %q", joined)
	}
	a.do(chromedp.Navigate(station+"shifts"), chromedp.WaitVisible("form.shift"),
		chromedp.Click(`form.shift button[value="signup"]`), chromedp.WaitVisible("#reply"))
	if signed := a.read(chromedp.Text("#reply")); !strings.Contains(signed, "班1") {
		t.Errorf("the answer to the signup: %q", signed)
	}
	photo := filepath.Join(t.TempDir(), "photo.png")
	writeNoisePNG(t, photo, 900, 900)
	a.do(chromedp.Navigate(station+"report"), chromedp.WaitVisible("#report"),
		chromedp.SendKeys(`#report textarea`, "3幢2单元门禁坏了"),
		chromedp.SetUploadFiles(`#report input[type=file]`, []string{photo}),
		chromedp.Click(`#report input[name=anonymous]`),
		chromedp.Click(`#report button`), chromedp.WaitVisible("#reply"))
	if reported := a.read(chromedp.Text("#reply")); !strings.Contains(reported, "#3") || !strings.Contains(reported, "匿名") {
		t.Errorf("the answer to the report: %q", reported)
	}
	a.shot("household-reported-375.png")
	if html := a.read(chromedp.OuterHTML("html")); strings.Contains(html, code) {
		t.Errorf("a page shows the code")
	}

	// Another phone of the household types the code once and sees the change.
	b := a.another()
	b.do(phone, chromedp.Navigate(station+"mine"), chromedp.WaitVisible("#code"),
		chromedp.SendKeys(`#code input[name=code]`, strings.ToLower(code[:4])+"-"+code[4:]),
		chromedp.Click(`#code button`), chromedp.WaitVisible("#room"))
	votes, msgs := b.read(chromedp.Text("#votes")), b.read(chromedp.Text("#messages"))
	if !strings.Contains(votes, "银灰") || strings.Contains(votes, "古铜") {
		t.Errorf("the other phone's votes: %q", votes)
	}
	// The member who voted in the chat is told the household's vote changed.
	waitFor(t, pw.ctx, pw.out, func(s string) bool {
		return strings.Contains(s, "[@王阿姨] bot: 你家（3幢2单元301）在投票 票1") && strings.Contains(s, "改为「银灰」")
	})
	if !strings.Contains(msgs, "银灰") || !strings.Contains(msgs, "班1") {
		t.Errorf("the other phone's messages lack the vote and the signup: %q", msgs)
	}
	if shifts := b.read(chromedp.Text("#shifts")); !strings.Contains(shifts, "1号垃圾点") {
		t.Errorf("the other phone's shifts: %q", shifts)
	}
	b.shot("household-other-phone-375.png")

	// The household's calendar feed, read by an iCalendar library.
	feedURL := strings.TrimSpace(b.read(chromedp.Text("#feed .link")))
	resp, err := http.Get(feedURL)
	if err != nil {
		t.Fatal(err)
	}
	cal, err := ical.NewDecoder(resp.Body).Decode()
	resp.Body.Close()
	if err != nil {
		t.Fatalf("the feed at %s does not parse: %v", feedURL, err)
	}
	var summaries []string
	for _, e := range cal.Events() {
		s, _ := e.Props.Text(ical.PropSummary)
		summaries = append(summaries, s)
	}
	if !strings.Contains(strings.Join(summaries, "\n"), "1号垃圾点") {
		t.Errorf("the feed's events lack the shift: %q", summaries)
	}

	// The staff page: building 5's slips, printed; the texts to paste.
	s := a.another()
	s.do(phone, chromedp.Navigate(staff+"paste"), chromedp.WaitVisible("#pastes"))
	if texts := s.read(chromedp.OuterHTML("#pastes")); !strings.Contains(texts, "单元门选哪种颜色") || strings.Contains(texts, "301") {
		t.Errorf("the texts to paste: %q", texts)
	}
	s.shot("staff-paste-375.png")
	s.do(chromedp.Navigate(staff+"codes"), chromedp.WaitVisible("#b5"))
	s.shot("staff-codes-375.png")
	s.do(chromedp.EmulateViewport(794, 1123), chromedp.Click(`#b5 button[value="issue"]`), chromedp.WaitVisible("#slips"))
	if slip := s.read(chromedp.Text("#slips")); !strings.Contains(slip, "5幢1单元702") || !strings.Contains(slip, "阳光互助站") {
		t.Errorf("the slip: %q", slip)
	}
	s.shot("staff-slips-794.png")
	s.do(chromedp.Navigate(staff+"codes"), chromedp.WaitVisible("#b3"),
		chromedp.Click(`#b3 form:has(input[value="3-2-301"]) button[value="revoke_room"]`), chromedp.WaitVisible("#codes-message"))

	// The revoked code: refused on the phone that remembered it.
	b.do(chromedp.Navigate(station+"mine"), chromedp.WaitVisible("#code"))
	if msg := b.read(chromedp.Text("#code-message")); !strings.Contains(msg, "作废") {
		t.Errorf("a revoked code's phone is told %q", msg)
	}
	b.shot("household-revoked-375.png")

	// The whole building re-issued (its box ticked): five slips to print.
	s.do(chromedp.Navigate(staff+"codes"), chromedp.WaitVisible("#b3"),
		chromedp.Click(`#b3 form.reissue-all input[name=sure]`), chromedp.Click(`#b3 form.reissue-all button`), chromedp.WaitVisible("#slips"))
	if n := strings.Count(s.read(chromedp.OuterHTML("#slips")), `class="slip"`); n != 5 {
		t.Errorf("building 3 re-issued: %d slips", n)
	}
	s.shot("staff-slips-b3-794.png")

	// Ten wrong codes: limited, and told to wait.
	c := a.another()
	for range 10 {
		c.do(phone, chromedp.Navigate(station+"?c=AAAA0000"), chromedp.WaitVisible("#code"))
	}
	if msg := c.read(chromedp.Text("#code-message")); !strings.Contains(msg, "分钟后再试") {
		t.Errorf("after ten wrong codes: %q", msg)
	}
	c.shot("household-limited-375.png")
}
