package web

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/huzhu-station/huzhu/bot/store/storetest"
)

// TestOfficePages checks the month's charts, the exports and the Open311
// feed as each kind of link reaches them: charts and the feed are public,
// the exports need a staff or an administrator's link, and nothing of
// them names a person.
func TestOfficePages(t *testing.T) {
	w := newWorld(t, storetest.Miniredis(t))
	w.setUp()
	station := w.link("张站长", "本站 网页")
	staff := w.link("张站长", "网页")
	resident := w.link("王阿姨", "网页")
	admin := w.link("街道管理员", "网页")

	for _, link := range []string{station, admin} {
		code, body := w.get(link + map[bool]string{true: "", false: "stats"}[link == admin])
		if code != http.StatusOK || strings.Count(body, `<svg `) != 4 || !strings.Contains(body, `role="img"`) {
			t.Errorf("%s: %d, %d charts; want 4\n%s", link, code, strings.Count(body, `<svg `), body)
		}
		if strings.Contains(body, "王阿姨") {
			t.Errorf("%s: the figures name a resident", link)
		}
	}

	for _, link := range []string{station, resident} {
		if code, _ := w.get(link + "export/issues"); code != http.StatusNotFound {
			t.Errorf("export from a link that is not staff's: %d; want 404", code)
		}
	}
	code, body := w.get(staff + "export/issues?format=csv")
	if code != http.StatusOK || !strings.HasPrefix(body, "\ufeff") || !strings.Contains(body, "3幢楼道灯坏了") {
		t.Errorf("staff's CSV export of problems: %d\n%s", code, body)
	}
	if code, body := w.get(staff + "export/stats?format=xlsx&month=2026-11"); code != http.StatusOK || !strings.HasPrefix(body, "PK") {
		t.Errorf("staff's xlsx export of the month: %d", code)
	}
	if code, body := w.get(admin + "export/stats?format=csv"); code != http.StatusOK || !strings.Contains(body, "阳光互助站") {
		t.Errorf("the subdistrict's figures: %d\n%s", code, body)
	}
	// The export speaks the page's language: the station's, here English.
	if err := w.st.SetStationLocale(t.Context(), 1, "en"); err != nil {
		t.Fatal(err)
	}
	if code, body := w.get(staff + "export/issues?format=csv"); code != http.StatusOK || !strings.HasPrefix(body, "\ufeffProblems\r\n") {
		t.Errorf("staff's CSV export of an English station's problems: %d\n%s", code, body)
	}
	if err := w.st.SetStationLocale(t.Context(), 1, ""); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"export/issues?format=pdf", "export/issues?month=13", "export/nothing", "export/issues?who=me", "export/fund"} {
		if code, _ := w.get(staff + bad); code != http.StatusBadRequest {
			t.Errorf("%s: %d; want 400", bad, code)
		}
	}

	for _, link := range []string{station, admin} {
		code, body := w.get(link + "open311/v2/requests.json")
		var reqs []map[string]any
		if code != http.StatusOK || json.Unmarshal([]byte(body), &reqs) != nil || len(reqs) == 0 {
			t.Fatalf("%s open311 requests: %d\n%s", link, code, body)
		}
		if strings.Contains(body, "王阿姨") {
			t.Errorf("the open data feed names a resident:\n%s", body)
		}
		if code, body := w.get(link + "open311/v2/discovery.xml"); code != http.StatusOK || !strings.Contains(body, "<discovery>") {
			t.Errorf("%s discovery.xml: %d\n%s", link, code, body)
		}
	}
	if code, _ := w.get("/w/nonsense/open311/v2/requests.json"); code != http.StatusNotFound {
		t.Errorf("the feed under a wrong token: %d; want 404", code)
	}
}
