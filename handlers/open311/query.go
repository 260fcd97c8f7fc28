package open311

import (
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Limits of a requests query, as the spec sets them.
const (
	// MaxSpan is the longest time between start_date and end_date, and the
	// span a query without them covers, ending now.
	MaxSpan = 90 * 24 * time.Hour
	// MaxRequests is the most requests one answer holds, newest first.
	MaxRequests = 1000
	// maxIDs bounds the ids one service_request_id may list.
	maxIDs = 100
)

// query is a requests query, validated.
type query struct {
	// ids, when any, are the requests asked for; they override the rest.
	ids      []requestID
	services []string // service codes; none: every service
	from, to time.Time
	statuses []string // "open", "closed"; none: both
}

// requestID names a problem: its station and number, written "S-N".
type requestID struct{ station, n int64 }

func (id requestID) String() string { return fmt.Sprintf("%d-%d", id.station, id.n) }

var idPattern = regexp.MustCompile(`^([1-9][0-9]{0,17})-([1-9][0-9]{0,17})$`)

// parseID reads a request's id, "2-15".
func parseID(s string) (requestID, bool) {
	m := idPattern.FindStringSubmatch(s)
	if m == nil {
		return requestID{}, false
	}
	st, err1 := strconv.ParseInt(m[1], 10, 64)
	n, err2 := strconv.ParseInt(m[2], 10, 64)
	return requestID{st, n}, err1 == nil && err2 == nil
}

// badQuery is a query the spec's 400 answers, with its description.
type badQuery struct{ msg string }

func (e *badQuery) Error() string { return e.msg }

func bad(format string, args ...any) error { return &badQuery{fmt.Sprintf(format, args...)} }

// parseQuery reads the query parameters of GET requests: service_request_id
// (comma-delimited, overriding the others), service_code, start_date,
// end_date (W3C date-times) and status (open, closed, comma-delimited). A
// parameter may also be repeated. jurisdiction_id and unknown parameters
// are ignored. services are the service codes there are; now ends the
// default span.
func parseQuery(v url.Values, services []string, now time.Time) (query, error) {
	var q query
	list := func(name string) []string {
		var out []string
		for _, s := range v[name] {
			for _, part := range strings.Split(s, ",") {
				if part = strings.TrimSpace(part); part != "" {
					out = append(out, part)
				}
			}
		}
		return out
	}
	if ids := list("service_request_id"); len(ids) > 0 {
		if len(ids) > maxIDs {
			return query{}, bad("service_request_id lists %d ids; at most %d", len(ids), maxIDs)
		}
		for _, s := range ids {
			id, ok := parseID(s)
			if !ok {
				return query{}, bad("service_request_id %q is not an id of this feed, such as 2-15", clip(s))
			}
			if !slices.Contains(q.ids, id) {
				q.ids = append(q.ids, id)
			}
		}
		return q, nil
	}
	for _, code := range list("service_code") {
		if !slices.Contains(services, code) {
			return query{}, bad("service_code %q is not a service of this feed (see services)", clip(code))
		}
		if !slices.Contains(q.services, code) {
			q.services = append(q.services, code)
		}
	}
	for _, s := range list("status") {
		if s != "open" && s != "closed" {
			return query{}, bad("status %q: want open or closed", clip(s))
		}
		if !slices.Contains(q.statuses, s) {
			q.statuses = append(q.statuses, s)
		}
	}
	from, err := dateParam(v, "start_date")
	if err != nil {
		return query{}, err
	}
	to, err := dateParam(v, "end_date")
	if err != nil {
		return query{}, err
	}
	switch {
	case from.IsZero() && to.IsZero():
		to = now
		from = to.Add(-MaxSpan)
	case from.IsZero():
		from = to.Add(-MaxSpan)
	case to.IsZero():
		to = from.Add(MaxSpan)
	}
	if to.Before(from) {
		return query{}, bad("end_date is before start_date")
	}
	if to.Sub(from) > MaxSpan {
		return query{}, bad("start_date and end_date span more than 90 days")
	}
	q.from, q.to = from, to
	return q, nil
}

// dateParam reads a date-time parameter: once, in W3C (RFC 3339) form.
func dateParam(v url.Values, name string) (time.Time, error) {
	vals := v[name]
	switch {
	case len(vals) == 0:
		return time.Time{}, nil
	case len(vals) > 1:
		return time.Time{}, bad("%s given %d times", name, len(vals))
	}
	// A "+" of an offset left unescaped in a URL reads as a space.
	t, err := time.Parse(time.RFC3339, strings.ReplaceAll(strings.TrimSpace(vals[0]), " ", "+"))
	if err != nil || t.Year() < 1970 || t.Year() > 9999 {
		return time.Time{}, bad("%s %q is not a W3C date-time, such as 2026-11-01T00:00:00+08:00", name, clip(vals[0]))
	}
	return t, nil
}

// clip shortens a value quoted back in an error.
func clip(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if r := []rune(s); len(r) > 40 {
		return string(r[:40]) + "…"
	}
	return s
}
