package open311_test

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/huzhu-station/huzhu/bot"
	"github.com/huzhu-station/huzhu/bot/calendar"
	"github.com/huzhu-station/huzhu/bot/store"
	"github.com/huzhu-station/huzhu/bot/store/storetest"
	"github.com/huzhu-station/huzhu/handlers/open311"
)

var (
	t0   = time.Date(2026, 11, 25, 9, 0, 0, 0, calendar.Shanghai)
	now  = t0.Add(24 * time.Hour)
	head = bot.User{Platform: "console", ID: "张站长", Name: "张站长"}
	li   = bot.User{Platform: "console", ID: "老李", Name: "老李"}
	wang = bot.User{Platform: "console", ID: "王阿姨", Name: "王阿姨"}
)

// private is everything the feed must never carry: who reported, what they
// wrote, rooms and neighbours named.
var private = []string{"老李", "王阿姨", "张站长", "楼道漏水", "半夜装修", "602", "狗咬人", "console:"}

// seed makes two stations with problems: at the first, one reported in a
// group and solved, one private and anonymous, one confidential; at the
// second, one.
func seed(t *testing.T, s *store.Store) (first, second int64) {
	t.Helper()
	ctx := context.Background()
	a, err := s.CreateStation(ctx, "清川佳园互助站", bot.Chat{Platform: "console", ID: "g", Kind: bot.Group}, head, t0)
	if err != nil {
		t.Fatal(err)
	}
	b, err := s.CreateStation(ctx, "平安里互助站", bot.Chat{Platform: "console", ID: "g2", Kind: bot.Group}, head, t0)
	if err != nil {
		t.Fatal(err)
	}
	for i, in := range []store.NewIssue{
		{Reporter: li, ReportChat: "console:g", Text: "3幢楼道漏水", Category: "leak"},
		{Reporter: wang, Text: "楼上602半夜装修", Category: "environment", Anonymous: true},
		{Reporter: head, Text: "602室王某家狗咬人", Category: "dogs", Confidential: true},
	} {
		if _, err := s.ReportIssue(ctx, a.ID, in, t0.Add(time.Duration(i)*time.Minute)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.ChangeIssue(ctx, a.ID, 1, t0.Add(time.Hour), func(is *store.Issue) (store.IssueEvent, error) {
		is.Status = store.IssueResolved
		return store.IssueEvent{By: head.Key(), ByName: head.Name, Kind: store.EventResolved}, nil
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ReportIssue(ctx, b.ID, store.NewIssue{Reporter: li, Text: "路灯坏了", Category: "other"}, t0); err != nil {
		t.Fatal(err)
	}
	return a.ID, b.ID
}

// schemas compiles the official GeoReport v2 JSON schemas from shared/,
// beside the repository.
func schemas(t *testing.T) map[string]*jsonschema.Schema {
	t.Helper()
	dir := ""
	for d, _ := os.Getwd(); d != filepath.Dir(d); d = filepath.Dir(d) {
		if c := filepath.Join(d, "shared", "open311", "georeport-v2"); isDir(c) {
			dir = c
			break
		}
	}
	if dir == "" {
		t.Fatal("the GeoReport v2 schemas (shared/open311/georeport-v2) are not beside the repository")
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	out := map[string]*jsonschema.Schema{}
	for _, name := range []string{"requests", "services"} {
		sch, err := c.Compile(filepath.Join(dir, name+".json"))
		if err != nil {
			t.Fatal(err)
		}
		out[name] = sch
	}
	return out
}

func isDir(p string) bool { fi, err := os.Stat(p); return err == nil && fi.IsDir() }

// get fetches path from h, mounted as the web pages mount it, and returns
// the status and body.
func get(t *testing.T, h http.Handler, path string) (int, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	http.StripPrefix("/s/AB12/open311/v2/", h).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/s/AB12/open311/v2/"+path, nil))
	return rec.Code, rec.Body.String()
}

// validate checks a JSON body against a schema.
func validate(t *testing.T, sch *jsonschema.Schema, path, body string) {
	t.Helper()
	inst, err := jsonschema.UnmarshalJSON(strings.NewReader(body))
	if err != nil {
		t.Fatalf("%s: %v\n%s", path, err, body)
	}
	if err := sch.Validate(inst); err != nil {
		t.Errorf("%s does not follow the GeoReport v2 schema: %v\n%s", path, err, body)
	}
}

// Element names the spec gives each document.
var specElements = map[string][]string{
	"discovery": {"discovery", "changeset", "contact", "key_service", "endpoints", "endpoint", "specification", "url", "type", "formats", "format"},
	"services":  {"services", "service", "service_code", "service_name", "description", "metadata", "type", "keywords", "group"},
	"requests": {"service_requests", "request", "service_request_id", "status", "status_notes", "service_name", "service_code",
		"description", "agency_responsible", "service_notice", "requested_datetime", "updated_datetime", "expected_datetime",
		"address", "address_id", "zipcode", "lat", "long", "media_url"},
	"errors": {"errors", "error", "code", "description"},
}

// checkXML parses body and checks its root and that every element is one
// the spec names for doc.
func checkXML(t *testing.T, path, doc, body string) []string {
	t.Helper()
	allowed := map[string]bool{}
	for _, e := range specElements[doc] {
		allowed[e] = true
	}
	d := xml.NewDecoder(strings.NewReader(body))
	var names []string
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("%s: not XML: %v\n%s", path, err, body)
		}
		if se, ok := tok.(xml.StartElement); ok {
			if !allowed[se.Name.Local] {
				t.Errorf("%s: element <%s> is not in the spec's %s", path, se.Name.Local, doc)
			}
			names = append(names, se.Name.Local)
		}
	}
	if len(names) == 0 || names[0] != specElements[doc][0] {
		t.Errorf("%s: root %v, want <%s>", path, names, specElements[doc][0])
	}
	return names
}

func TestFeed(t *testing.T) {
	sch := schemas(t)
	storetest.ForEach(t, func(t *testing.T, b storetest.Backend) {
		s := store.New(b.Client, store.WithKeyPrefix(b.Prefix))
		first, second := seed(t, s)
		clock := open311.WithClock(func() time.Time { return now })
		station := open311.New(s, first, "https://example.org/s/AB12/open311/v2/", clock)
		all := open311.New(s, open311.AllStations, "https://example.org/admin/x/open311/v2", clock)

		code, body := get(t, station, "discovery.json")
		var disc struct {
			Endpoints []struct {
				Specification, URL, Type string
				Formats                  []string
			}
		}
		if err := json.Unmarshal([]byte(body), &disc); code != 200 || err != nil || len(disc.Endpoints) != 1 ||
			disc.Endpoints[0].URL != "https://example.org/s/AB12/open311/v2" || disc.Endpoints[0].Specification != open311.Specification ||
			len(disc.Endpoints[0].Formats) != 2 {
			t.Errorf("discovery.json: %d %s (%v)", code, body, err)
		}
		if code, body := get(t, station, "discovery.xml"); code != 200 {
			t.Errorf("discovery.xml: %d", code)
		} else {
			checkXML(t, "discovery.xml", "discovery", body)
		}

		code, body = get(t, station, "services.json")
		if code != 200 || !strings.Contains(body, `"service_code":"leak"`) || !strings.Contains(body, "漏水") {
			t.Errorf("services.json: %d %s", code, body)
		}
		validate(t, sch["services"], "services.json", body)
		_, body = get(t, station, "services.xml")
		checkXML(t, "services.xml", "services", body)

		code, body = get(t, station, "requests.json")
		validate(t, sch["requests"], "requests.json", body)
		var reqs []map[string]any
		if err := json.Unmarshal([]byte(body), &reqs); code != 200 || err != nil || len(reqs) != 3 {
			t.Fatalf("requests.json: %d %s", code, body)
		}
		if reqs[2]["service_request_id"] != "1-1" || reqs[2]["status"] != "closed" || reqs[2]["status_notes"] != "已办结" ||
			reqs[0]["status"] != "open" || reqs[2]["address"] != "清川佳园互助站" || reqs[2]["description"] != nil {
			t.Errorf("requests: %s", body)
		}
		_, xmlBody := get(t, station, "requests.xml")
		checkXML(t, "requests.xml", "requests", xmlBody)
		for _, p := range private {
			if strings.Contains(body, p) || strings.Contains(xmlBody, p) {
				t.Errorf("the feed carries %q", p)
			}
		}

		for path, want := range map[string]int{
			"requests.json?status=closed":                                                        1,
			"requests.json?status=open,closed":                                                   3,
			"requests.json?status=open&status=closed":                                            3,
			"requests.json?service_code=leak,dogs":                                               2,
			"requests.json?service_request_id=1-2,1-3,2-1,1-9":                                   2,
			"requests.json?start_date=2026-11-25T09:01:00%2B08:00&end_date=2026-11-26T00:00:00Z": 2,
			"requests.json?start_date=2026-11-25T09:01:00+08:00":                                 2,
			"requests.json?end_date=2026-11-01T00:00:00Z":                                        0,
			"requests.json?jurisdiction_id=anything":                                             3,
		} {
			code, body := get(t, station, path)
			var got []map[string]any
			if err := json.Unmarshal([]byte(body), &got); code != 200 || err != nil || len(got) != want {
				t.Errorf("%s: %d, %d requests, want %d: %s", path, code, len(got), want, body)
			}
			validate(t, sch["requests"], path, body)
		}

		code, body = get(t, station, "requests/1-3.json")
		validate(t, sch["requests"], "requests/1-3.json", body)
		if code != 200 || !strings.Contains(body, `"service_code":"dogs"`) || strings.Contains(body, "狗咬人") {
			t.Errorf("requests/1-3.json: %d %s", code, body)
		}
		if code, body := get(t, station, "requests/1-3.xml"); code != 200 {
			t.Errorf("requests/1-3.xml: %d", code)
		} else {
			checkXML(t, "requests/1-3.xml", "requests", body)
		}
		// Another station's problem is not in a station's feed; the
		// subdistrict's has both stations.
		if code, body := get(t, station, "requests/2-1.json"); code != 404 || !strings.Contains(body, `"code":404`) {
			t.Errorf("other station's request: %d %s", code, body)
		}
		if code, body := get(t, all, "requests/2-1.json"); code != 200 {
			t.Errorf("subdistrict's request 2-1: %d %s", code, body)
		}
		code, body = get(t, all, "requests.json")
		validate(t, sch["requests"], "all requests.json", body)
		if err := json.Unmarshal([]byte(body), &reqs); code != 200 || err != nil || len(reqs) != 4 {
			t.Errorf("subdistrict requests: %d %s", code, body)
		}
		_ = second

		for _, path := range []string{
			"requests.json?status=pending", "requests.json?service_code=nosuch", "requests.json?start_date=yesterday",
			"requests.json?start_date=2026-01-01T00:00:00Z&end_date=2026-12-01T00:00:00Z",
			"requests.json?start_date=2026-11-02T00:00:00Z&end_date=2026-11-01T00:00:00Z",
			"requests.json?service_request_id=15", "requests.xml?status=x",
		} {
			code, body := get(t, station, path)
			if code != 400 {
				t.Errorf("%s: %d, want 400", path, code)
			}
			if strings.Contains(path, ".xml") {
				checkXML(t, path, "errors", body)
				continue
			}
			var errs []struct {
				Code        int    `json:"code"`
				Description string `json:"description"`
			}
			if err := json.Unmarshal([]byte(body), &errs); err != nil || len(errs) != 1 || errs[0].Code != 400 || errs[0].Description == "" {
				t.Errorf("%s: error body %s (%v)", path, body, err)
			}
		}
		for path, want := range map[string]int{"requests": 404, "nothing.json": 404, "requests/x.json": 404, "requests.csv": 404} {
			if code, _ := get(t, station, path); code != want {
				t.Errorf("%s: %d, want %d", path, code, want)
			}
		}
		rec := httptest.NewRecorder()
		station.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/requests.json", bytes.NewReader(nil)))
		if rec.Code != http.StatusMethodNotAllowed {
			t.Errorf("POST: %d", rec.Code)
		}
	})
}
