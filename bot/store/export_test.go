package store

import (
	"context"
	"time"

	"github.com/redis/go-redis/v9"
)

// seedBatch is how many problems SeedIssues writes per transaction.
const seedBatch = 500

// SeedIssues files n open problems in station st, each with its record and
// its place on the open list, in a few large transactions: a benchmark of a
// long list needs thousands, and filing each through ReportIssue would take
// most of its time. The problems are numbered on from the station's last
// number.
func SeedIssues(ctx context.Context, s *Store, st int64, n int, now time.Time) error {
	last, err := s.rdb.IncrBy(ctx, s.k.issueSeq(st), int64(n)).Result()
	if err != nil {
		return err
	}
	for first := last - int64(n) + 1; first <= last; first += seedBatch {
		_, err := s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
			for num := first; num <= min(first+seedBatch-1, last); num++ {
				is := &Issue{Station: st, N: num, Text: "楼道灯坏了", Category: "other", Status: IssueOpen,
					Reporter: "console:seed", ReporterName: "Seed", Created: now, Updated: now}
				p.HSet(ctx, s.k.issue(st, num), issueFields(is)...)
				p.ZAdd(ctx, s.k.issuesOpen(st), redis.Z{Score: float64(num), Member: num})
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}
