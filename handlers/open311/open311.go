// Package open311 serves a station's problems, or the subdistrict's, as a
// read-only Open311 GeoReport v2 feed (http://wiki.open311.org/GeoReport_v2),
// so a community office's or a 12345 hotline's systems can pull them.
//
// # Mount contract
//
// A Handler serves at its root, so it is mounted under a prefix with
// http.StripPrefix; the web pages mount one per station under
// "<station link>/open311/v2/" (New with the station's id) and one for the
// subdistrict under "<admin link>/open311/v2/" (New with AllStations),
// each given that prefix's absolute URL as its base URL (named in
// discovery). It answers GET and HEAD:
//
//	discovery.json, discovery.xml   the endpoint and its formats
//	services.json, services.xml     the problem categories
//	requests.json, requests.xml     problems, newest first; query parameters
//	                                service_request_id, service_code,
//	                                start_date, end_date, status
//	requests/ID.json, requests/ID.xml   one problem
//
// Anything else is 404; a bad query parameter is 400; another method is
// 405, each with the spec's error list (<errors><error><code>…).
// jurisdiction_id is accepted and ignored: a feed is one jurisdiction.
//
// # What is published
//
// Problems are services' requests: a request's id is "S-N" (station S's
// problem #N), the same in a station's feed and the subdistrict's. Its
// service is the problem's category; its status is open (待受理, 处理中,
// 已上报) or closed (已办结, 已关闭), with the Chinese status as
// status_notes; agency_responsible is the station, or the office (社区,
// 街道) it was handed to; address is the station's name (problems carry no
// address of their own); the dates are when it was reported and last
// changed.
//
// Nothing personal is published: no reporter, supporter or handler, no
// photo, and no text residents wrote. A report made privately is the
// reporter's own and is anonymous to everyone but the station's staff; a
// problem made from a patrol note names neighbours; and even a report made
// in a group may name a room or a person ("601家狗叫"). So description is
// always null: the feed says what kind of problem, where (which station),
// when and how far along, as the monthly figures do, and the office reads
// the text through the staff pages.
package open311

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/huzhu-station/huzhu/bot/i18n"
	"github.com/huzhu-station/huzhu/bot/store"
	"github.com/huzhu-station/huzhu/handlers"
)

// AllStations, as New's station, serves every station: the subdistrict's
// feed.
const AllStations int64 = 0

// Specification is the spec the feed follows, as discovery names it.
const Specification = "http://wiki.open311.org/GeoReport_v2"

// Handler serves the feed. It is safe for concurrent use.
type Handler struct {
	store   *store.Store
	station int64
	base    string
	now     func() time.Time
	log     func(err error)
}

// Option changes a Handler.
type Option func(*Handler)

// WithClock makes the Handler read the time from now (the default span of
// a query ends now).
func WithClock(now func() time.Time) Option { return func(h *Handler) { h.now = now } }

// WithErrorLog makes the Handler report the store's failures, answered 500,
// to log.
func WithErrorLog(log func(err error)) Option { return func(h *Handler) { h.log = log } }

// New returns the feed of station (AllStations for the subdistrict's) on
// s, mounted at baseURL (absolute, such as
// "https://example.org/s/AB12/open311/v2").
func New(s *store.Store, station int64, baseURL string, opts ...Option) *Handler {
	h := &Handler{store: s, station: station, base: strings.TrimSuffix(baseURL, "/"), now: time.Now, log: func(error) {}}
	for _, o := range opts {
		o(h)
	}
	return h
}

// format is a response format: the path's extension.
type format string

const (
	formatJSON format = "json"
	formatXML  format = "xml"
)

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	path := strings.TrimPrefix(r.URL.Path, "/")
	base, ext, _ := cutExt(path)
	f := format(ext)
	if f != formatJSON && f != formatXML {
		f = formatXML // errors for a path without a format are XML, the spec's default
		h.fail(w, f, http.StatusNotFound, "not found: use discovery, services, requests or requests/ID, with .json or .xml")
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		h.fail(w, f, http.StatusMethodNotAllowed, "this feed is read-only: use GET")
		return
	}
	ctx := r.Context()
	switch {
	case base == "discovery":
		h.write(w, f, h.discovery())
	case base == "services":
		h.write(w, f, serviceDocs(h.services()))
	case base == "requests":
		q, err := parseQuery(r.URL.Query(), h.services(), h.now())
		var bq *badQuery
		if errors.As(err, &bq) {
			h.fail(w, f, http.StatusBadRequest, bq.msg)
			return
		}
		reqs, err := h.requests(ctx, q)
		if err != nil {
			h.serverError(w, f, err)
			return
		}
		h.write(w, f, serviceRequests(reqs))
	case strings.HasPrefix(base, "requests/"):
		id, ok := parseID(strings.TrimPrefix(base, "requests/"))
		if !ok {
			h.fail(w, f, http.StatusNotFound, "no such request")
			return
		}
		reqs, err := h.requests(ctx, query{ids: []requestID{id}})
		if err != nil {
			h.serverError(w, f, err)
			return
		}
		if len(reqs) == 0 {
			h.fail(w, f, http.StatusNotFound, fmt.Sprintf("no request %s", id))
			return
		}
		h.write(w, f, serviceRequests(reqs))
	default:
		h.fail(w, f, http.StatusNotFound, "not found: use discovery, services, requests or requests/ID")
	}
}

// cutExt splits "requests.json" into "requests" and "json".
func cutExt(path string) (base, ext string, ok bool) {
	i := strings.LastIndex(path, ".")
	if i < 0 || strings.Contains(path[i:], "/") {
		return path, "", false
	}
	return path[:i], path[i+1:], true
}

// services are the problem categories, in the order they are matched.
func (h *Handler) services() []string { return handlers.Categories() }

// requests reads the problems q asks for, newest first, at most
// MaxRequests.
func (h *Handler) requests(ctx context.Context, q query) ([]request, error) {
	stations, err := h.stations(ctx)
	if err != nil {
		return nil, err
	}
	var out []request
	if len(q.ids) > 0 {
		for _, id := range q.ids {
			st, ok := stations[id.station]
			if !ok {
				continue
			}
			is, err := h.store.Issue(ctx, id.station, id.n)
			if errors.Is(err, store.ErrNotFound) {
				continue
			}
			if err != nil {
				return nil, err
			}
			out = append(out, toRequest(st, is))
		}
		return out, nil
	}
	ids := make([]int64, 0, len(stations))
	for id := range stations {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		reqs, err := h.stationRequests(ctx, stations[id], q)
		if err != nil {
			return nil, err
		}
		out = append(out, reqs...)
	}
	slices.SortStableFunc(out, func(a, b request) int { return b.requested.Compare(a.requested) })
	return out[:min(len(out), MaxRequests)], nil
}

// stationRequests reads station st's problems reported within q's span
// that match it, newest first. Problems are numbered as they are reported,
// so it stops at the first reported before the span.
func (h *Handler) stationRequests(ctx context.Context, st *store.Station, q query) ([]request, error) {
	const page = 200
	var out []request
	for offset := 0; ; offset += page {
		issues, total, err := h.store.ListIssuesPage(ctx, st.ID, store.FilterAll, "", offset, page)
		if err != nil {
			return nil, err
		}
		for _, is := range issues {
			if is.Created.Before(q.from) {
				return out, nil
			}
			r := toRequest(st, is)
			if is.Created.After(q.to) || (len(q.services) > 0 && !slices.Contains(q.services, r.ServiceCode)) ||
				(len(q.statuses) > 0 && !slices.Contains(q.statuses, r.Status)) {
				continue
			}
			if out = append(out, r); len(out) == MaxRequests {
				return out, nil
			}
		}
		if len(issues) < page || int64(offset+page) >= total {
			return out, nil
		}
	}
}

// stations are the stations the feed serves, by id.
func (h *Handler) stations(ctx context.Context) (map[int64]*store.Station, error) {
	ids := []int64{h.station}
	if h.station == AllStations {
		var err error
		if ids, err = h.store.StationIDs(ctx); err != nil {
			return nil, err
		}
	}
	out := make(map[int64]*store.Station, len(ids))
	for _, id := range ids {
		st, err := h.store.Station(ctx, id)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		out[id] = st
	}
	return out, nil
}

// zh is a stored value's Chinese name from the catalogue.
func zh(prefix, value string) string {
	if value != "" && i18n.Has("zh-CN", prefix+value) {
		return i18n.T("zh-CN", prefix+value)
	}
	return value
}

// write answers v in format f.
func (h *Handler) write(w http.ResponseWriter, f format, v any) {
	var body []byte
	var err error
	if f == formatJSON {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		body, err = json.Marshal(v)
	} else {
		w.Header().Set("Content-Type", "text/xml; charset=utf-8")
		body, err = xml.Marshal(v)
		body = append([]byte(xml.Header), body...)
	}
	if err != nil {
		h.serverError(w, f, err)
		return
	}
	_, _ = w.Write(body)
}

// fail answers the spec's error list with one error.
func (h *Handler) fail(w http.ResponseWriter, f format, status int, msg string) {
	errs := errorList{Errors: []apiError{{Code: status, Description: msg}}}
	var body []byte
	if f == formatJSON {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		body, _ = json.Marshal(errs.Errors)
	} else {
		w.Header().Set("Content-Type", "text/xml; charset=utf-8")
		b, _ := xml.Marshal(errs)
		body = append([]byte(xml.Header), b...)
	}
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

func (h *Handler) serverError(w http.ResponseWriter, f format, err error) {
	h.log(err)
	h.fail(w, f, http.StatusInternalServerError, "the feed cannot be read now; try again later")
}
