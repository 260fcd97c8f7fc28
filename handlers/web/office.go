package web

import (
	"errors"
	"html/template"
	"net/http"

	"github.com/huzhu-station/huzhu/bot/calendar"
	"github.com/huzhu-station/huzhu/bot/store"
	"github.com/huzhu-station/huzhu/handlers/chart"
	"github.com/huzhu-station/huzhu/handlers/export"
	"github.com/huzhu-station/huzhu/handlers/open311"
)

// What the office reads from the pages: the month's charts, the exports
// and the Open311 feed. The charts and the feed are public (counts, no
// person); the exports are the staff view and need a staff or an
// administrator's link.

// chartMonths is how many months the charts look back.
const chartMonths = 6

// officeRoutes adds the exports and the Open311 feed.
func (s *Server) officeRoutes() {
	s.mux.HandleFunc("GET /w/{token}/export/{kind}", s.visitQuery(s.export))
	s.mux.HandleFunc("GET /w/{token}/open311/v2/{path...}", s.visitQuery(s.open311))
}

// stationsOf returns the stations v reads: its own, or every station for
// an administrator's link.
func (s *Server) stationsOf(r *http.Request, v *visitor) ([]int64, error) {
	if v.link.Kind == store.WebAdmin {
		return s.o.Store.StationIDs(r.Context())
	}
	return []int64{v.station.ID}, nil
}

// chartBlocks are the month's standard charts of v's stations, drawn as SVG.
func (s *Server) chartBlocks(r *http.Request, v *visitor) ([]block, error) {
	ids, err := s.stationsOf(r, v)
	if err != nil || len(ids) == 0 {
		return nil, err
	}
	month := export.MonthStart(s.o.Clock.Now().In(calendar.Shanghai))
	f, err := chart.Load(r.Context(), s.o.Store, ids, month, chartMonths)
	if err != nil {
		return nil, err
	}
	var blocks []block
	for _, c := range f.Standard(v.locale) {
		// The chart escapes every text it draws (FuzzSVG keeps it well formed).
		blocks = append(blocks, block{Chart: template.HTML(c.SVG())})
	}
	return blocks, nil
}

// export sends one of the office's downloads: staff and administrators only.
func (s *Server) export(w http.ResponseWriter, r *http.Request, v *visitor) error {
	if !v.staff && v.link.Kind != store.WebAdmin {
		return errNotFound
	}
	kind, err := export.ParseKind(r.PathValue("kind"))
	if err != nil || kind == export.Fund || kind == export.Poll {
		return errBadInput
	}
	q := r.URL.Query()
	for name := range q {
		if name != "format" && name != "month" {
			return errBadInput
		}
	}
	o := export.Options{Now: s.o.Clock.Now(), Locale: v.locale} // in the pages' language
	if o.Format, err = export.ParseFormat(q.Get("format")); q.Has("format") && err != nil {
		return errBadInput
	}
	if m := q.Get("month"); m != "" {
		if o.Month, err = export.ParseMonth(m); err != nil {
			return errBadInput
		}
	}
	if o.Stations, err = s.stationsOf(r, v); err != nil {
		return err
	}
	if kind != export.Stats && len(o.Stations) != 1 {
		return errBadInput // the subdistrict exports its figures only
	}
	_, err = export.Write(r.Context(), s.o.Store, w, kind, o)
	if errors.Is(err, export.ErrBadRequest) {
		return errBadInput
	}
	return err
}

// open311 serves the read-only Open311 feed of the link's station, or of
// every station for an administrator's link. Its base URL is the link's
// own, absolute when a public address is set.
func (s *Server) open311(w http.ResponseWriter, r *http.Request, v *visitor) error {
	station := open311.AllStations
	if v.link.Kind != store.WebAdmin {
		station = v.station.ID
	}
	base := s.o.App.WebBase() + v.base + "open311/v2"
	h := open311.New(s.o.Store, station, base, open311.WithClock(s.o.Clock.Now),
		open311.WithErrorLog(func(err error) { s.o.Log.Error("open311", "err", err) }))
	http.StripPrefix(v.base+"open311/v2/", h).ServeHTTP(w, r)
	return nil
}
