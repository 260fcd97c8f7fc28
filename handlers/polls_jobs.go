package handlers

import (
	"context"

	"github.com/huzhu-station/huzhu/scheduler"
)

// jobPollClose is the scheduler job that closes a poll at its deadline and
// posts the result.
const jobPollClose = "pollclose"

func pollCloseJobID(st, n int64) string { return jobPayload("pollclose", st, n) }

// firePollClose is the scheduler job that closes a poll at its deadline and
// posts the result, once.
func (a *App) firePollClose(ctx context.Context, rem scheduler.Reminder) error {
	ctx, station, n, _, err := a.jobRecord(ctx, rem.Payload, "pollclose")
	if err != nil {
		return err
	}
	p, closedNow, err := a.store.ClosePoll(ctx, station.ID, n, a.now())
	if err != nil || !closedNow {
		return err
	}
	_, err = a.announcePollResult(ctx, station, p)
	return err
}
