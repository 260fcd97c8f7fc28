package handlers

import (
	"context"
	"strconv"
	"strings"

	"github.com/huzhu-station/huzhu/bot/i18n"
	"github.com/huzhu-station/huzhu/bot/numerals"
	"github.com/huzhu-station/huzhu/bot/store"
)

// fundMoney writes fen as the reader's language writes money, from the
// catalogue: 300元, or ¥300.50.
func fundMoney(ctx context.Context, fen int64) string {
	return tr(ctx, "money", i18n.Args{"Yuan": yuanNumber(fen)})
}

// yuanNumber writes fen as a number of yuan, as typed in a command: 300,
// 300.50.
func yuanNumber(fen int64) string { return strings.TrimSuffix(numerals.FormatAmount(fen), "元") }

// volunteerHours writes a total of minutes as hours with at most one
// decimal, trimmed: 1.5小时, 2小时, 0小时 (1.5 h in English). Under an hour
// it is minutes (40分钟), so that a short total never reads 0.0小时.
func volunteerHours(ctx context.Context, minutes int64) string {
	if minutes > 0 && minutes < 60 {
		return tr(ctx, "figure_minutes", i18n.Args{"M": minutes})
	}
	tenths := store.HoursTenths(minutes)
	h := strconv.FormatInt(tenths/10, 10)
	if tenths%10 != 0 {
		h += "." + strconv.FormatInt(tenths%10, 10)
	}
	return tr(ctx, "figure_hours", i18n.Args{"H": h})
}
