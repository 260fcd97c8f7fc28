package web

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/huzhu-station/huzhu/bot/store/storetest"
)

var slipCode = regexp.MustCompile(`class="slip-code">([0-9A-Z]{4} [0-9A-Z]{4})<`)

// TestStaffCodesSlipsAndPaste gives out codes from the staff page, prints
// them as slips whose link opens 「我家」, revokes one, and reads the texts
// to paste; a resident's link has none of it.
func TestStaffCodesSlipsAndPaste(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, b storetest.Backend) {
		w := newWorld(t, b)
		w.setUp()
		staff := w.link("张站长", "网页")
		head := w.phone()
		_, page := head.do("GET", staff+"codes", nil)
		m := csrfField.FindStringSubmatch(page)
		if m == nil || !strings.Contains(page, `id="b3"`) || !strings.Contains(page, "3幢2单元301") {
			t.Fatalf("codes page:\n%s", page)
		}
		csrf := m[1]
		st, slipsPage := head.do("POST", staff+"codes", url.Values{"csrf": {csrf}, "action": {"issue"}, "building": {"3"}})
		codes := slipCode.FindAllStringSubmatch(slipsPage, -1)
		if st != http.StatusOK || len(codes) != 1 || !strings.Contains(slipsPage, "data:image/png;base64,") {
			t.Fatalf("slips = %d, %d codes:\n%s", st, len(codes), slipsPage)
		}
		// Issued once: a second time there is nothing new.
		if _, again := head.do("POST", staff+"codes", url.Values{"csrf": {csrf}, "action": {"issue"}, "building": {"3"}}); !strings.Contains(again, "每户都已有住户码") {
			t.Fatalf("issued twice:\n%s", again)
		}
		if st, _ := head.do("POST", staff+"codes", url.Values{"csrf": {csrf}, "action": {"reissue"}, "building": {"3"}}); st != http.StatusBadRequest {
			t.Fatalf("re-issuing a building without saying so = %d", st)
		}
		if _, again := head.do("POST", staff+"codes", url.Values{"csrf": {csrf}, "action": {"reissue"}, "building": {"3"}, "sure": {"1"}}); len(slipCode.FindAllString(again, -1)) != 1 {
			t.Fatalf("re-issued building:\n%s", again)
		}
		if _, rev := head.do("POST", staff+"codes", url.Values{"csrf": {csrf}, "action": {"revoke_room"}, "room": {"3-2-301"}}); !strings.Contains(rev, "已作废") {
			t.Fatalf("revoke:\n%s", rev)
		}
		if st, _ := head.do("POST", staff+"codes", url.Values{"csrf": {"x"}, "action": {"issue"}, "building": {"3"}}); st != http.StatusBadRequest {
			t.Fatalf("a form without its token = %d", st)
		}
		// Open a poll from the page, then find its text to paste.
		if st, done := head.do("POST", staff+"act", url.Values{"csrf": {csrf}, "nonce": {randomID()}, "action": {"poll"},
			"question": {"周末大扫除定在哪天"}, "options": {"周六\n周日"}}); st != http.StatusOK || !strings.Contains(done, "票2") {
			t.Fatalf("open poll = %d:\n%s", st, done)
		}
		w.say("张站长", false, "通知 每周三 19:00 垃圾分类督导开会")
		_, paste := head.do("GET", staff+"paste", nil)
		for _, want := range []string{"周末大扫除定在哪天", "更换单元门", "垃圾分类督导开会", "/w/", `class="copy"`, "copy.js"} {
			if !strings.Contains(paste, want) {
				t.Fatalf("paste page lacks %q:\n%s", want, paste)
			}
		}
		texts := ""
		for _, m := range regexp.MustCompile(`(?s)<textarea class="paste-text"[^>]*>(.*?)</textarea>`).FindAllStringSubmatch(paste, -1) {
			texts += m[1]
		}
		for _, never := range []string{"3幢2单元301", "5幢1单元702", "王阿姨", "301"} {
			if strings.Contains(texts, never) {
				t.Fatalf("a text to paste shows %q:\n%s", never, texts)
			}
		}
		if _, n := head.do("POST", staff+"paste", url.Values{"csrf": {csrf}, "text": {"周六上午停水"}}); !strings.Contains(n, `id="new-notice"`) || !strings.Contains(n, "周六上午停水") {
			t.Fatalf("compose notice:\n%s", n)
		}
		// A resident's link has no staff pages.
		res := w.link("赵大哥", "网页")
		for _, p := range []string{"codes", "paste"} {
			if st, _ := w.get(res + p); st != http.StatusNotFound {
				t.Fatalf("resident %s = %d", p, st)
			}
		}
	})
}
