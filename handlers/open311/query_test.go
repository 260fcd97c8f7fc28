package open311

import (
	"errors"
	"net/url"
	"slices"
	"testing"
	"time"
)

var (
	codes = []string{"leak", "dogs", "other"}
	now   = time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
)

// TestParseQuery reads the spec's parameters and refuses bad ones.
func TestParseQuery(t *testing.T) {
	for _, tc := range []struct {
		raw  string
		ok   bool
		want func(q query) bool
	}{
		{"", true, func(q query) bool { return q.to.Equal(now) && q.from.Equal(now.Add(-MaxSpan)) }},
		{"status=open", true, func(q query) bool { return slices.Equal(q.statuses, []string{"open"}) }},
		{"status=open,closed,open", true, func(q query) bool { return slices.Equal(q.statuses, []string{"open", "closed"}) }},
		{"status=Open", false, nil},
		{"service_code=leak&service_code=dogs", true, func(q query) bool { return slices.Equal(q.services, []string{"leak", "dogs"}) }},
		{"service_code=water", false, nil},
		{"service_request_id=1-2,%201-3&status=bogus", true, func(q query) bool {
			return slices.Equal(q.ids, []requestID{{1, 2}, {1, 3}}) // the ids override the rest
		}},
		{"service_request_id=0-1", false, nil},
		{"service_request_id=1-2-3", false, nil},
		{"service_request_id=99999999999999999999-1", false, nil},
		{"start_date=2026-11-01T00:00:00Z", true, func(q query) bool { return q.to.Sub(q.from) == MaxSpan }},
		{"end_date=2026-11-01T00:00:00%2B08:00", true, func(q query) bool { return q.to.Sub(q.from) == MaxSpan }},
		{"start_date=2026-11-01T00:00:00 08:00", true, nil},
		{"start_date=2026-11-01", false, nil},
		{"start_date=2026-11-01T00:00:00Z&start_date=2026-11-02T00:00:00Z", false, nil},
		{"start_date=2026-01-01T00:00:00Z&end_date=2026-06-01T00:00:00Z", false, nil},
		{"start_date=2026-06-01T00:00:00Z&end_date=2026-01-01T00:00:00Z", false, nil},
		{"jurisdiction_id=x&unknown=1", true, nil},
	} {
		v, err := url.ParseQuery(tc.raw)
		if err != nil {
			t.Fatal(err)
		}
		q, err := parseQuery(v, codes, now)
		var bq *badQuery
		switch {
		case tc.ok && err != nil:
			t.Errorf("%q: %v", tc.raw, err)
		case !tc.ok && !errors.As(err, &bq):
			t.Errorf("%q: %+v, %v; want a bad query", tc.raw, q, err)
		case tc.ok && tc.want != nil && !tc.want(q):
			t.Errorf("%q: %+v", tc.raw, q)
		}
	}
}

// FuzzParseQuery: any query string is refused as a bad query, or read as
// valid ids, or as a span of at most 90 days with known services and
// statuses.
func FuzzParseQuery(f *testing.F) {
	for _, s := range []string{"", "status=open,closed", "service_request_id=1-2,3-4", "service_code=leak",
		"start_date=2026-11-01T00:00:00Z&end_date=2026-11-02T00:00:00%2B08:00", "start_date=%ZZ", "status=&status=,,"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		v, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		q, err := parseQuery(v, codes, now)
		var bq *badQuery
		if err != nil {
			if !errors.As(err, &bq) {
				t.Fatalf("%q: %v is no bad query", raw, err)
			}
			return
		}
		if len(q.ids) > 0 {
			for _, id := range q.ids {
				if back, ok := parseID(id.String()); !ok || back != id || id.station < 1 || id.n < 1 {
					t.Fatalf("%q: id %v", raw, id)
				}
			}
			return
		}
		if q.to.Before(q.from) || q.to.Sub(q.from) > MaxSpan {
			t.Fatalf("%q: span %v to %v", raw, q.from, q.to)
		}
		for _, s := range q.statuses {
			if s != "open" && s != "closed" {
				t.Fatalf("%q: status %q", raw, s)
			}
		}
		for _, c := range q.services {
			if !slices.Contains(codes, c) {
				t.Fatalf("%q: service %q", raw, c)
			}
		}
	})
}
