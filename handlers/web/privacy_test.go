package web

import (
	"strings"
	"testing"

	"github.com/huzhu-station/huzhu/bot/store/storetest"
)

// TestPublicPagesShowNothingPersonal renders every page of a station link
// from a station full of personal records and checks that no room, no
// name of a resident (each is tied to a pledge, a vote or a complaint) and
// no reporter appears. The rota names who is on each slot, as the group
// reads it (班表): there only rooms are looked for.
func TestPublicPagesShowNothingPersonal(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, b storetest.Backend) {
		w := newWorld(t, b)
		w.setUp()
		base := w.link("张站长", "本站 网页")
		names := []string{"王阿姨", "李伯伯", "赵大哥"}
		rooms := []string{"301", "702", "402", "3-2-301", "3幢2单元", "5幢", "8幢"}
		pages := []string{"", "issues", "issues?status=open", "issues?category=group_renting", "issues?month=2026-11",
			"issue/1", "issue/2", "issue/3", "funds", "polls", "meetings", "shifts", "items", "stats"}
		for _, p := range pages {
			code, body := w.get(base + p)
			if code != 200 {
				t.Errorf("%s: status %d", p, code)
				continue
			}
			personal := rooms
			if p != "shifts" {
				personal = append(personal, names...)
			}
			for _, s := range personal {
				if strings.Contains(body, s) {
					i := strings.Index(body, s)
					t.Errorf("%s shows %q: …%s…", p, s, body[max(0, i-80):min(len(body), i+80)])
				}
			}
			if strings.Contains(body, `name="csrf"`) {
				t.Errorf("%s: a station link offers a form", p)
			}
		}
		// What is public is there.
		if _, body := w.get(base + "issues"); !strings.Contains(body, "楼道灯坏了") || !strings.Contains(body, "阳光互助站") {
			t.Errorf("the list lacks the public report:\n%s", body)
		}
		if _, body := w.get(base + "funds"); !strings.Contains(body, "更换单元门") {
			t.Errorf("the campaigns page lacks the campaign:\n%s", body)
		}
		if code, _ := w.get(base + "act"); code != 404 && code != 405 {
			t.Errorf("GET act: %d", code)
		}
	})
}
