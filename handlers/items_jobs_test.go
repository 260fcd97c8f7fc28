package handlers

import (
	"testing"
	"time"

	"github.com/huzhu-station/huzhu/bot/calendar"
)

func TestLendChaseTime(t *testing.T) {
	tests := []struct{ since, want time.Time }{
		{time.Date(2026, 11, 25, 9, 0, 0, 0, calendar.Shanghai), time.Date(2026, 12, 2, 10, 0, 0, 0, calendar.Shanghai)},
		{time.Date(2026, 11, 25, 10, 0, 0, 0, calendar.Shanghai), time.Date(2026, 12, 2, 10, 0, 0, 0, calendar.Shanghai)},
		{time.Date(2026, 11, 25, 19, 30, 0, 0, calendar.Shanghai), time.Date(2026, 12, 3, 10, 0, 0, 0, calendar.Shanghai)},
	}
	for _, tt := range tests {
		if got := lendChaseTime(tt.since); !got.Equal(tt.want) {
			t.Errorf("lendChaseTime(%v) = %v; want %v", tt.since, got, tt.want)
		}
	}
}
