package handlers

import (
	"errors"

	"github.com/huzhu-station/huzhu/bot/metrics"
	"github.com/huzhu-station/huzhu/bot/store"
)

// Outcome classifies the error a command returned for the message metrics
// (metrics.Classifier): a sentence for the person (a malformed command, a
// refusal) or a missing role is bad input; a busy or unreachable store is
// busy; "" leaves the rest to package metrics.
func Outcome(err error) metrics.Outcome {
	var re *replyError
	var role *roleError
	switch {
	case errors.As(err, &re), errors.As(err, &role):
		return metrics.BadInput
	case errors.Is(err, store.ErrBusy), store.Unavailable(err):
		return metrics.Busy
	}
	return ""
}
