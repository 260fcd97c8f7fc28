package store_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/huzhu-station/huzhu/bot/store"
	"github.com/huzhu-station/huzhu/bot/store/storetest"
)

func TestIncidents(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		s := newStore(b)
		st := mustStation(t, s, "阳光站", group1).ID

		if list, total, err := s.Incidents(ctx, st, 20); err != nil || len(list) != 0 || total != 0 {
			t.Errorf("Incidents when empty = %v, %d, %v", list, total, err)
		}
		for i, text := range []string{"3幢门口狗没牵绳", "5幢草坪狗粪", "东门大狗吓到小孩"} {
			in, err := s.LogIncident(ctx, st, store.Incident{Text: text, Author: bob.Key(), AuthorName: bob.Name,
				Chat: group1.Key(), Photos: []string{"p.jpg"}[:i%2]}, t0.Add(time.Duration(i)*time.Hour))
			if err != nil || in.N != int64(i+1) {
				t.Fatalf("LogIncident(%s) = %+v, %v", text, in, err)
			}
		}
		list, total, err := s.Incidents(ctx, st, 2)
		if err != nil || total != 3 || len(list) != 2 || list[0].N != 3 || list[1].N != 2 {
			t.Fatalf("Incidents(2) = %v, %d, %v; want #3, #2 of 3", list, total, err)
		}
		if list[1].Text != "5幢草坪狗粪" || len(list[1].Photos) != 1 || list[1].AuthorName != bob.Name ||
			!list[1].Created.Equal(t0.Add(time.Hour)) {
			t.Errorf("incident #2 = %+v", list[1])
		}

		// Many hands turning the same entry into a problem make one problem.
		var wg sync.WaitGroup
		var made atomic.Int64
		for range 5 {
			wg.Go(func() {
				var in *store.Incident
				var is *store.Issue
				err := retryBusy(func() (err error) {
					in, is, err = s.ReportIncident(ctx, st, 2, head, group1.Key(), "dogs", "5幢草坪狗粪（劝导 #2）", t0)
					return err
				})
				switch {
				case err == nil:
					made.Add(1)
					if is.Category != "dogs" || len(is.Photos) != 1 || in.Issue != is.N || is.Reporter != head.Key() {
						t.Errorf("ReportIncident = %+v, %+v", in, is)
					}
				case errors.Is(err, store.ErrIncidentReported):
					if in == nil || in.Issue == 0 {
						t.Errorf("ErrIncidentReported without the problem: %+v", in)
					}
				default:
					t.Errorf("ReportIncident: %v", err)
				}
			})
		}
		wg.Wait()
		if made.Load() != 1 {
			t.Errorf("%d problems made from one incident; want 1", made.Load())
		}
		if ns, total := listed(t, s, st, store.FilterOpen, ""); total != 1 || len(ns) != 1 {
			t.Errorf("open problems = %v (%d); want one", ns, total)
		}
		in, _ := s.Incident(ctx, st, 2)
		if in.Issue != 1 {
			t.Errorf("incident #2 points at problem %d; want 1", in.Issue)
		}
		if _, _, err := s.ReportIncident(ctx, st, 9, head, "", "dogs", "x", t0); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("ReportIncident(9): err = %v", err)
		}
	})
}
