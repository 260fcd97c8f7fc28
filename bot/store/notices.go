package store

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// Notice is an announcement the station head scheduled for every group of
// the station: once (At) or again and again (Spec, a cron spec in
// Asia/Shanghai).
type Notice struct {
	Station int64
	N       int64
	Text    string
	At      time.Time // one-off notices
	Spec    string    // recurring notices
	By      string
	ByName  string
	Created time.Time
}

// Recurring reports whether the notice repeats.
func (n *Notice) Recurring() bool { return n.Spec != "" }

// CreateNotice records a scheduled notice and returns it with its number.
func (s *Store) CreateNotice(ctx context.Context, st int64, in Notice, now time.Time) (*Notice, error) {
	in.Station, in.Created = st, now
	n, existed, err := s.numbered(ctx, st, "notice", s.k.noticeSeq(st), func(p redis.Pipeliner, n int64) {
		in.N = n
		p.HSet(ctx, s.k.notice(st, n), "n", n, "text", in.Text, "at", msOrZero(in.At), "spec", in.Spec,
			"by", in.By, "by_name", in.ByName, "created", ms(now))
		p.ZAdd(ctx, s.k.noticesActive(st), redis.Z{Score: float64(n), Member: n})
	})
	switch {
	case err != nil:
		return nil, err
	case existed:
		return s.Notice(ctx, st, n)
	}
	return &in, nil
}

func msOrZero(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return ms(t)
}

// Notice returns scheduled notice n.
func (s *Store) Notice(ctx context.Context, st, n int64) (*Notice, error) {
	h, err := s.record(ctx, s.k.notice(st, n), fmt.Sprintf("notice %d", n))
	if err != nil {
		return nil, err
	}
	return noticeFromHash(st, h), nil
}

func noticeFromHash(st int64, h map[string]string) *Notice {
	return &Notice{Station: st, N: atoi(h["n"]), Text: h["text"], At: fromMS(h["at"]), Spec: h["spec"],
		By: h["by"], ByName: h["by_name"], Created: fromMS(h["created"])}
}

// ActiveNotices returns the notices still scheduled, oldest first.
func (s *Store) ActiveNotices(ctx context.Context, st int64) ([]*Notice, error) {
	nums, err := s.rdb.ZRange(ctx, s.k.noticesActive(st), 0, maxListed-1).Result()
	if err != nil {
		return nil, err
	}
	return records(ctx, s, nums, func(n string) string { return s.k.notice(st, atoi(n)) },
		func(_ string, h map[string]string) *Notice { return noticeFromHash(st, h) })
}

// EndNotice takes notice n off the active list: cancelled, or a one-off
// notice that was sent. It reports whether it was active.
func (s *Store) EndNotice(ctx context.Context, st, n int64) (bool, error) {
	removed, err := s.rdb.ZRem(ctx, s.k.noticesActive(st), n).Result()
	return removed > 0, err
}

// maxListed bounds lists read in one go (notices, meetings).
const maxListed = 100
