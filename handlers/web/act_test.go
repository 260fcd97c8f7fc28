package web

import (
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/huzhu-station/huzhu/bot/store/storetest"
)

func TestActionLine(t *testing.T) {
	days := []string{"11月25日", "11月26日"}
	tests := []struct {
		form url.Values
		want string // "" for errBadInput
	}{
		{url.Values{"action": {"vote"}, "n": {"3"}, "option": {"2"}}, "投 票3 2"},
		{url.Values{"action": {"vote"}, "n": {"003"}, "option": {"1"}}, "投 票3 1"},
		{url.Values{"action": {"vote"}, "n": {"3"}, "option": {"0"}}, ""},
		{url.Values{"action": {"vote"}, "n": {"3"}, "option": {"1 2"}}, ""},
		{url.Values{"action": {"vote"}, "n": {"-3"}, "option": {"1"}}, ""},
		{url.Values{"action": {"rsvp"}, "n": {"2"}}, "参加 会2"},
		{url.Values{"action": {"norsvp"}, "n": {"2"}}, "不参加 会2"},
		{url.Values{"action": {"signup"}, "n": {"1"}}, "报名 班1"},
		{url.Values{"action": {"signup"}, "n": {"1"}, "day": {"11月26日"}}, "报名 班1 11月26日"},
		{url.Values{"action": {"signup"}, "n": {"1"}, "day": {"明天 报事 x"}}, ""},
		{url.Values{"action": {"cancel"}, "n": {"1"}, "day": {"11月25日"}}, "取消 班1 11月25日"},
		{url.Values{"action": {"pledge"}, "n": {"1"}, "amount": {"300"}}, "认捐 筹1 300"},
		{url.Values{"action": {"pledge"}, "n": {"1"}, "amount": {"300 3幢2单元301"}}, ""},
		{url.Values{"action": {"pledge"}, "n": {"1"}, "amount": {"99999999"}}, ""},
		{url.Values{"action": {"report"}, "text": {"  楼道灯\n坏了 "}}, "报事 楼道灯 坏了"},
		{url.Values{"action": {"report"}, "text": {strings.Repeat("灯", 501)}}, ""},
		{url.Values{"action": {"report"}, "text": {" "}}, ""},
		{url.Values{"action": {"report"}, "text": {"楼上群租"}, "anonymous": {"1"}}, "报事 匿名 楼上群租"},
		{url.Values{"action": {"metoo"}, "n": {"12"}}, "同问 12"},
		{url.Values{"action": {"metoo"}, "n": {"12 13"}}, ""},
		{url.Values{"action": {"rate"}, "n": {"12"}, "rating": {"基本满意"}}, "评价 12 基本满意"},
		{url.Values{"action": {"rate"}, "n": {"12"}, "rating": {"满意 重开"}}, ""},
		{url.Values{"action": {"join"}, "team": {" 垃圾分类督导队 "}}, "入队 垃圾分类督导队"},
		{url.Values{"action": {"join"}, "team": {strings.Repeat("队", 21)}}, ""},
		{url.Values{"action": {"dog"}, "name": {"旺财"}, "breed": {"泰迪"}}, "登记犬只 旺财 泰迪"},
		{url.Values{"action": {"dog"}, "name": {"旺财 3幢2单元301"}, "breed": {"泰迪"}}, ""},
		{url.Values{"action": {"shot"}, "name": {"旺财"}}, "打疫苗 旺财 今天"},
		{url.Values{"action": {"shot"}, "name": {"旺财 2020-01-01"}}, ""},
		{url.Values{"action": {"accept"}, "n": {"4"}}, "受理 4"},
		{url.Values{"action": {"joinyes"}, "n": {"3"}}, "确认入户 3"},
		{url.Values{"action": {"joinno"}, "n": {"3"}}, "拒绝入户 3"},
		{url.Values{"action": {"joinno"}, "n": {"三"}}, ""},
		{url.Values{"action": {"update"}, "n": {"4"}, "text": {"已联系物业"}}, "进展 4 已联系物业"},
		{url.Values{"action": {"update"}, "n": {"4"}}, ""},
		{url.Values{"action": {"resolve"}, "n": {"4"}}, "办结 4"},
		{url.Values{"action": {"resolve"}, "n": {"4"}, "text": {"灯已换好"}}, "办结 4 灯已换好"},
		{url.Values{"action": {"paid"}, "room": {"3幢2单元301"}, "amount": {"300"}}, "已收 3-2-301 300"},
		{url.Values{"action": {"paid"}, "room": {"3幢2单元301"}, "amount": {"300"}, "n": {"2"}}, "已收 3-2-301 300 筹2"},
		{url.Values{"action": {"paid"}, "room": {"楼下"}, "amount": {"300"}}, ""},
		{url.Values{"action": {"poll"}, "question": {"单元门颜色"}, "options": {"古铜\r\n银灰\n"}}, "投票 单元门颜色 | 古铜 | 银灰"},
		{url.Values{"action": {"poll"}, "question": {"单元门颜色"}, "options": {"古铜"}}, ""},
		{url.Values{"action": {"poll"}, "question": {"颜色"}, "options": {"古铜 | 银灰\n黑"}}, ""},
		{url.Values{"action": {"fund"}, "title": {"更换单元门"}, "target": {"30000"}, "each": {"300"}}, "众筹 新建 更换单元门 目标 30000 每户 300"},
		{url.Values{"action": {"fund"}, "title": {"更换 单元门"}, "target": {"30000"}}, ""},
		{url.Values{"action": {"任命"}, "n": {"1"}}, ""},
		{url.Values{}, ""},
	}
	for _, tt := range tests {
		got, err := actionLine(tt.form, days)
		switch {
		case tt.want == "" && !errors.Is(err, errBadInput):
			t.Errorf("actionLine(%v) = %q, %v; want errBadInput", tt.form, got, err)
		case tt.want != "" && (err != nil || got != tt.want):
			t.Errorf("actionLine(%v) = %q, %v; want %q", tt.form, got, err, tt.want)
		}
	}
}

func FuzzActionLine(f *testing.F) {
	for _, s := range []string{"action=vote&n=3&option=2", "action=signup&n=1&day=11月26日", "action=report&text=灯坏了",
		"action=pledge&n=1&amount=300", "action=rsvp&n=%00",
		"action=rate&n=1&rating=满意", "action=dog&name=旺财&breed=泰迪", "action=join&team=队"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, q string) {
		form, err := url.ParseQuery(q)
		if err != nil {
			return
		}
		line, err := actionLine(form, []string{"11月26日"})
		if err != nil {
			return
		}
		// A page's action is one line, one of the commands it may stand for.
		if strings.ContainsAny(line, "\n\r") {
			t.Errorf("actionLine(%q) = %q: more than one line", q, line)
		}
		ok := false
		for _, p := range []string{"投 票", "参加 会", "不参加 会", "报名 班", "取消 班", "认捐 筹", "报事 ", "同问 ", "评价 ", "入队 ", "登记犬只 ", "打疫苗 ", "受理 ", "确认入户 ", "拒绝入户 ", "进展 ", "办结 ", "已收 ", "投票 ", "众筹 新建 "} {
			ok = ok || strings.HasPrefix(line, p)
		}
		if !ok {
			t.Errorf("actionLine(%q) = %q", q, line)
		}
	})
}

func TestParseIssueQuery(t *testing.T) {
	for _, tt := range []struct {
		q  string
		ok bool
	}{
		{"", true}, {"status=open", true}, {"status=accepted&category=leak&month=2026-11", true},
		{"status=x", false}, {"category=<script>", false}, {"month=2026-13", false}, {"month=26-11", false},
		{"page=2", false}, {"status=open&status=closed", false},
	} {
		v, _ := url.ParseQuery(tt.q)
		_, err := parseIssueQuery(v)
		if (err == nil) != tt.ok {
			t.Errorf("parseIssueQuery(%q): %v; want ok %v", tt.q, err, tt.ok)
		}
	}
}

func FuzzParseIssueQuery(f *testing.F) {
	for _, s := range []string{"status=open", "month=2026-11&category=leak", "x=1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, q string) {
		v, err := url.ParseQuery(q)
		if err != nil {
			return
		}
		got, err := parseIssueQuery(v)
		if err == nil && (len(got.Status) > 9 || len(got.Month) > 7 || len(got.Category) > 20) {
			t.Errorf("parseIssueQuery(%q) = %+v", q, got)
		}
	})
}

// TestResidentActs votes, signs up and pledges from a resident's page,
// and checks the records and the chat's confirmations are the commands'.
func TestResidentActs(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, b storetest.Backend) {
		w := newWorld(t, b)
		w.setUp()
		base := w.link("赵大哥", "网页")
		_, page := w.get(base + "polls")
		if !strings.Contains(page, `name="option"`) {
			t.Fatalf("no vote form on a resident's page:\n%s", page)
		}
		csrf := csrfFor(strings.Split(base, "/")[2])
		before := len(w.sent)
		post := func(form url.Values) (int, string) {
			form.Set("csrf", csrf)
			if form.Get("nonce") == "" {
				form.Set("nonce", randomID())
			}
			resp, err := http.PostForm(w.http.URL+base+"act", form)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			return resp.StatusCode, string(body)
		}
		code, body := post(url.Values{"action": {"vote"}, "n": {"1"}, "option": {"2"}})
		if code != 200 || !strings.Contains(body, "银灰") {
			t.Errorf("vote: %d\n%s", code, body)
		}
		votes, err := w.st.Votes(t.Context(), 1, 1)
		if err != nil || len(votes) != 3 {
			t.Errorf("votes = %+v, %v; want 3", votes, err)
		}
		chat := false
		for _, out := range w.sent[before:] {
			chat = chat || (out.Chat.Key() == "console:赵大哥" && strings.Contains(out.Text, "银灰"))
		}
		if !chat {
			t.Errorf("the vote was not confirmed in 赵大哥's chat: %+v", w.sent[before:])
		}
		if code, body := post(url.Values{"action": {"pledge"}, "n": {"1"}, "amount": {"200"}}); code != 200 || !strings.Contains(body, "200") {
			t.Errorf("pledge: %d\n%s", code, body)
		}
		// A form sent again (a page reloaded) is served once.
		resend := url.Values{"action": {"report"}, "text": {"5幢电梯异响"}, "nonce": {randomID()}}
		if code, body := post(resend); code != 200 || !strings.Contains(body, "#4") {
			t.Errorf("report: %d\n%s", code, body)
		}
		if code, body := post(resend); code != 200 || strings.Contains(body, "#5") {
			t.Errorf("the same form again: %d\n%s", code, body)
		}
		if _, err := w.st.Issue(t.Context(), 1, 5); err == nil {
			t.Errorf("a form sent twice filed two problems")
		}
		if code, _ := post(url.Values{"action": {"rsvp"}, "n": {"1"}, "nonce": {"not hex at all!"}}); code != http.StatusBadRequest {
			t.Errorf("bad nonce: %d; want 400", code)
		}
		// A form without the link's CSRF token is refused.
		resp, err := http.PostForm(w.http.URL+base+"act", url.Values{"action": {"rsvp"}, "n": {"1"}, "csrf": {"x"}, "nonce": {randomID()}})
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("wrong CSRF: %d; want 400", resp.StatusCode)
		}
		// A station link cannot act.
		station := w.link("张站长", "本站 网页")
		resp, err = http.PostForm(w.http.URL+station+"act", url.Values{"action": {"rsvp"}, "n": {"1"},
			"csrf": {csrfFor(strings.Split(station, "/")[2])}, "nonce": {randomID()}})
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("station link acting: %d; want 404", resp.StatusCode)
		}
	})
}

// TestTokens checks revoking, expiry, the headers and the limit on wrong
// tokens.
func TestTokens(t *testing.T) {
	w := newWorld(t, storetest.Miniredis(t))
	w.setUp()
	station := w.link("张站长", "本站 网页")
	resident := w.link("王阿姨", "网页")
	resp, err := http.Get(w.http.URL + station)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	for k, want := range map[string]string{"Cache-Control": "private, no-store", "Referrer-Policy": "no-referrer",
		"X-Content-Type-Options": "nosniff"} {
		if got := resp.Header.Get(k); got != want {
			t.Errorf("%s: %q; want %q", k, got, want)
		}
	}
	if !strings.Contains(resp.Header.Get("Content-Security-Policy"), "default-src 'none'") {
		t.Errorf("CSP: %q", resp.Header.Get("Content-Security-Policy"))
	}
	if code, _ := w.get(resident); code != 200 {
		t.Errorf("resident link: %d", code)
	}
	w.clock.Advance(8 * 24 * 3600e9)
	if code, _ := w.get(resident); code != 404 {
		t.Errorf("resident link after 8 days: %d; want 404", code)
	}
	w.say("张站长", true, "本站 网页 重置")
	if code, _ := w.get(station); code != 404 {
		t.Errorf("station link after reset: %d; want 404", code)
	}
	// Wrong tokens: 404, then 429 once the burst is spent, even for a good one.
	fresh := w.link("张站长", "本站 网页")
	for i := 0; i < 12; i++ {
		w.get("/w/wrongtokenwrongtokenwrong" + string(rune('a'+i)) + "/")
	}
	if code, _ := w.get("/w/another-wrong-token/"); code != http.StatusTooManyRequests {
		t.Errorf("after many wrong tokens: %d; want 429", code)
	}
	if code, _ := w.get(fresh); code != http.StatusTooManyRequests {
		t.Errorf("a good token from a blocked address: %d; want 429", code)
	}
	if code, _ := w.get("/w/x/issues?status=<b>"); code != http.StatusTooManyRequests {
		t.Errorf("blocked: %d", code)
	}
}
