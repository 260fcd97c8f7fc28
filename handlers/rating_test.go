package handlers

import (
	"testing"

	"github.com/huzhu-station/huzhu/bot/store"
)

func TestParseRating(t *testing.T) {
	tests := []struct {
		in   string
		want store.Rating // "" means not a rating
	}{
		{"满意", store.RatingSatisfied},
		{"很满意", store.RatingSatisfied},
		{"非常满意", store.RatingSatisfied},
		{"非常满意！", store.RatingSatisfied},
		{"很满意，谢谢师傅", store.RatingSatisfied},
		{"满意了", store.RatingSatisfied},
		{"好评", store.RatingSatisfied},
		{"好", store.RatingSatisfied},
		{"👍", store.RatingSatisfied},
		{"👍🏻", store.RatingSatisfied},
		{"👍👍👍", store.RatingSatisfied},
		{"Good", store.RatingSatisfied},
		{" Satisfied ", store.RatingSatisfied},
		{"1", store.RatingSatisfied},
		{"2", store.RatingFair},
		{"差", store.RatingUnsatisfied},
		{"bad", store.RatingUnsatisfied},
		{"3", store.RatingUnsatisfied},
		{"4", ""},
		{"基本满意", store.RatingFair},
		{"还行", store.RatingFair},
		{"一般", store.RatingFair},
		{"还可以吧", store.RatingFair},
		{"不错哦", store.RatingSatisfied},
		{"吧", ""},
		{"还可以", store.RatingFair},
		{"OK", store.RatingFair},
		{"不满意", store.RatingUnsatisfied},
		{"很不满意", store.RatingUnsatisfied},
		{"差评", store.RatingUnsatisfied},
		{"不好", store.RatingUnsatisfied},
		{"👎", store.RatingUnsatisfied},
		{"👎🏿", store.RatingUnsatisfied},
		{"没修好 又漏了", store.RatingUnsatisfied},
		{"好像没修好", ""},
		{"满意不满意", ""},
		{"👍👎", ""},
		{"了", ""},
		{"", ""},
		{"，，", ""},
	}
	for _, tt := range tests {
		got, ok := parseRating(tt.in)
		if got != tt.want || ok != (tt.want != "") {
			t.Errorf("parseRating(%q) = %q, %v; want %q", tt.in, got, ok, tt.want)
		}
	}
}

func TestParseRateArgs(t *testing.T) {
	tests := []struct {
		in   string
		n    int64
		want store.Rating // "" means an error
	}{
		{"12 满意", 12, store.RatingSatisfied},
		{"12满意", 12, store.RatingSatisfied},
		{"#12 还行", 12, store.RatingFair},
		{"#12👎", 12, store.RatingUnsatisfied},
		{"十二 差评", 12, store.RatingUnsatisfied},
		{"12", 0, ""},
		{"12 嗯", 0, ""},
		{"满意", 0, ""},
		{"", 0, ""},
	}
	for _, tt := range tests {
		n, got, err := parseRateArgs(tt.in)
		if tt.want == "" {
			if err == nil {
				t.Errorf("parseRateArgs(%q) = %d, %q; want an error", tt.in, n, got)
			}
			continue
		}
		if err != nil || n != tt.n || got != tt.want {
			t.Errorf("parseRateArgs(%q) = %d, %q, %v; want %d, %q", tt.in, n, got, err, tt.n, tt.want)
		}
	}
}

func FuzzParseRateArgs(f *testing.F) {
	for _, s := range []string{"12 满意", "12满意", "#12👍🏻", "3 很满意，谢谢", "1 好像没修好", "\xff", "#", "12 👍👎"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, rt, err := parseRateArgs(s)
		if err != nil {
			return
		}
		if n < 1 {
			t.Fatalf("parseRateArgs(%q) = %d", s, n)
		}
		switch rt {
		case store.RatingSatisfied, store.RatingFair, store.RatingUnsatisfied:
		default:
			t.Fatalf("parseRateArgs(%q) = %q, not a level", s, rt)
		}
	})
}
