package numerals_test

import (
	"strings"
	"testing"
	"time"

	"github.com/huzhu-station/huzhu/bot"
	"github.com/huzhu-station/huzhu/bot/numerals"
)

// TestLongInputs checks that pasted essays cost every parser linear
// time: each call must finish quickly and fail cleanly.
func TestLongInputs(t *testing.T) {
	inputs := map[string]string{
		"digits":   strings.Repeat("9", 5000),
		"numerals": strings.Repeat("一百零五万", 1000),
		"emoji":    strings.Repeat("👩\u200d💻🙏", 2500),
		"mixed":    strings.Repeat("3幢2单元301室 ＃１２ ¥300 абв 🏳\ufe0f\u200d🌈", 200),
		"dashes":   strings.Repeat("3—", 5000),
		"spaces":   "300" + strings.Repeat(" \u3000\t", 5000) + "元",
		"invalid":  strings.Repeat("\xff\xfe", 5000),
	}
	for name, in := range inputs {
		t.Run(name, func(t *testing.T) {
			start := time.Now()
			n := bot.Normalize(in)
			if bot.Normalize(n) != n {
				t.Error("Normalize not idempotent")
			}
			if _, err := numerals.ParseChineseInt(in); err == nil {
				t.Error("ParseChineseInt accepted a long input")
			}
			if _, err := numerals.ParseAmount(in); err == nil {
				t.Error("ParseAmount accepted a long input")
			}
			if _, err := numerals.ParseRef(in); err == nil {
				t.Error("ParseRef accepted a long input")
			}
			if _, err := numerals.ParseRoom(in); err == nil {
				t.Error("ParseRoom accepted a long input")
			}
			if _, err := numerals.ParseBuilding(in); err == nil {
				t.Error("ParseBuilding accepted a long input")
			}
			_, _, _ = numerals.CutRoom(in)
			if d := time.Since(start); d > 2*time.Second {
				t.Errorf("took %v", d)
			}
		})
	}
}
