package handlers

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/huzhu-station/huzhu/bot"
	"github.com/huzhu-station/huzhu/bot/calendar"
	"github.com/huzhu-station/huzhu/bot/numerals"
)

// parseNow is the clock the parser tests read dates against: a Wednesday.
var parseNow = time.Date(2026, 11, 25, 9, 0, 0, 0, calendar.Shanghai)

// replyKey returns the catalogue key of the sentence an error replies with,
// "date" for a date the caller words, or "" for no error.
func replyKey(err error) string {
	var re *replyError
	var de *dateArgError
	switch {
	case err == nil:
		return ""
	case errors.As(err, &re):
		return re.key
	case errors.As(err, &de):
		return "date"
	}
	return "other: " + err.Error()
}

// amountSeeds are the amount forms residents type, good and bad.
var amountSeeds = []string{"三百", "300元", "３００", "300.50", "-5", "1e9", "0", "300 元", "一万五", "¥300", "3块5", "300.505", "两百万"}

func TestParseMoneyArgs(t *testing.T) {
	tests := []struct {
		in     string
		nFirst bool
		n      int64
		amount int64
		room   string // room key, "" for none
		err    string
	}{
		{"300", true, 0, 300_00, "", ""},
		{"筹2 300", true, 2, 300_00, "", ""},
		{"300 筹2", true, 2, 300_00, "", ""},
		{"F2 300", true, 2, 300_00, "", ""},
		{"三百", true, 0, 300_00, "", ""},
		{"300元", true, 0, 300_00, "", ""},
		{"300 元", true, 0, 300_00, "", ""},
		{"３００", true, 0, 300_00, "", ""},
		{"300.50", true, 0, 300_50, "", ""},
		{"1 300", true, 1, 300_00, "", ""},
		{"300 3幢2单元301", true, 0, 300_00, "3-2-301", ""},
		{"1 300元 3-2-301", true, 1, 300_00, "3-2-301", ""},
		{"1 300 3幢 2单元 301", true, 1, 300_00, "3-2-301", ""},
		{"3幢2单元301 300", true, 0, 300_00, "3-2-301", ""},
		{"3-2-301 300 1", false, 1, 300_00, "3-2-301", ""},
		{"3-2-301 300", false, 0, 300_00, "3-2-301", ""},
		{"300 1", false, 1, 300_00, "", ""},
		{"#2 100", true, 2, 100_00, "", ""},
		{"100 第2", true, 2, 100_00, "", ""},
		{"", true, 0, 0, "", "fund_needs_amount"},
		{"3-2-301", true, 0, 0, "3-2-301", "fund_needs_amount"},
		{"-5", true, 0, 0, "", "fund_amount_not_positive"},
		{"0", true, 0, 0, "", "fund_amount_not_positive"},
		{"1 -5", true, 0, 0, "", "fund_amount_not_positive"},
		{"1e9", true, 0, 0, "", "fund_amount_bad"},
		{"三百万元", true, 0, 0, "", "fund_amount_too_large"},
		{"300.505", true, 0, 0, "", "fund_amount_bad"},
		{"一些", true, 0, 0, "", "fund_amount_bad"},
		{"100 2幢", true, 0, 0, "", "bad_room"},
		{"#x 100", true, 0, 0, "", "bad_number"},
	}
	for _, tt := range tests {
		got, err := parseMoneyArgs(tt.in, tt.nFirst, "usage_pledge")
		if key := replyKey(err); key != tt.err {
			t.Errorf("parseMoneyArgs(%q) error %q; want %q", tt.in, key, tt.err)
			continue
		}
		room := ""
		if got.Room != nil {
			room = got.Room.Key()
		}
		if tt.err == "" && (got.N != tt.n || got.Amount != tt.amount || room != tt.room) {
			t.Errorf("parseMoneyArgs(%q) = %d, %d, %q; want %d, %d, %q", tt.in, got.N, got.Amount, room, tt.n, tt.amount, tt.room)
		}
	}
}

func FuzzParseMoneyArgs(f *testing.F) {
	for _, s := range amountSeeds {
		f.Add(s, true)
		f.Add("1 "+s+" 3幢2单元301", false)
	}
	f.Add("3-2-301 300 1", false)
	f.Add("#2 100", true)
	f.Fuzz(func(t *testing.T, s string, nFirst bool) {
		got, err := parseMoneyArgs(bot.Normalize(s), nFirst, "usage_pledge")
		if err != nil {
			if replyKey(err) == "" || strings.HasPrefix(replyKey(err), "other") {
				t.Fatalf("parseMoneyArgs(%q): error %v is no reply", s, err)
			}
			return
		}
		if got.Amount <= 0 || got.Amount > numerals.MaxAmountFen {
			t.Fatalf("parseMoneyArgs(%q) amount %d out of range", s, got.Amount)
		}
		if got.N < 0 || got.N > 999_999 {
			t.Fatalf("parseMoneyArgs(%q) campaign %d out of range", s, got.N)
		}
		if got.Room != nil {
			if again, err := numerals.ParseRoom(got.Room.Key()); err != nil || again != *got.Room {
				t.Fatalf("parseMoneyArgs(%q) room %+v does not round-trip: %+v, %v", s, *got.Room, again, err)
			}
		}
	})
}

func TestParseFundForm(t *testing.T) {
	dec20 := time.Date(2026, 12, 20, 0, 0, 0, 0, calendar.Shanghai)
	tests := []struct {
		in   string
		want fundForm
		err  string
	}{
		{"3幢安全门 目标 10200 每户 300 截止 12月20日 楼栋 3幢", fundForm{"3幢安全门", 10200_00, 300_00, dec20, []string{"3"}}, ""},
		{"安全门 目标10200元 每户300元 截止12月20日", fundForm{"安全门", 10200_00, 300_00, dec20, nil}, ""},
		{"Bike shed goal 3000 each 200 until 12/20 building 3", fundForm{"Bike shed", 3000_00, 200_00, dec20, []string{"3"}}, ""},
		{"车棚 目标 一万五 楼栋 5幢、3幢 3栋", fundForm{"车棚", 15000_00, 0, time.Time{}, []string{"3", "5"}}, ""},
		{"", fundForm{}, "fund_needs_title"},
		{"目标 300", fundForm{}, "fund_needs_title"},
		{"车棚", fundForm{}, "fund_needs_goal"},
		{"车棚 目标", fundForm{}, "fund_needs_goal"},
		{"车棚 目标 0", fundForm{}, "fund_amount_not_positive"},
		{"车棚 目标 -5", fundForm{}, "fund_amount_not_positive"},
		{"车棚 目标 1e9", fundForm{}, "fund_amount_bad"},
		{"车棚 目标 两百万", fundForm{}, "fund_amount_too_large"},
		{"车棚 目标 300 目标 400", fundForm{}, "fund_part_twice"},
		{"车棚 目标 300 截止 昨天", fundForm{}, "date"},
		{"车棚 目标 300 截止 12月20日 下午", fundForm{}, "fund_bad_deadline"},
		{"车棚 目标 300 楼栋", fundForm{}, "fund_needs_building"},
		{"车棚 目标 300 楼栋 三楼", fundForm{}, "bad_building"},
		{strings.Repeat("长", 31) + " 目标 300", fundForm{}, "fund_title_too_long"},
	}
	for _, tt := range tests {
		got, err := parseFundForm(tt.in, parseNow)
		if key := replyKey(err); key != tt.err {
			t.Errorf("parseFundForm(%q) error %q; want %q", tt.in, key, tt.err)
			continue
		}
		if tt.err == "" && (got.Title != tt.want.Title || got.Goal != tt.want.Goal || got.Per != tt.want.Per ||
			!got.Deadline.Equal(tt.want.Deadline) || !slices.Equal(got.Buildings, tt.want.Buildings)) {
			t.Errorf("parseFundForm(%q) = %+v; want %+v", tt.in, got, tt.want)
		}
	}
}

func FuzzParseFundForm(f *testing.F) {
	for _, s := range amountSeeds {
		f.Add("安全门 目标 " + s + " 每户 " + s)
	}
	f.Add("3幢安全门 目标 10200 每户 300 截止 12月20日 楼栋 3幢、5幢")
	f.Add("Bike shed goal 3000 until 12/18 building A")
	f.Fuzz(func(t *testing.T, s string) {
		got, err := parseFundForm(bot.Normalize(s), parseNow)
		if err != nil {
			if k := replyKey(err); k == "" || strings.HasPrefix(k, "other") {
				t.Fatalf("parseFundForm(%q): error %v is no reply", s, err)
			}
			return
		}
		if got.Title == "" || utf8.RuneCountInString(got.Title) > maxFundTitleRunes {
			t.Fatalf("parseFundForm(%q) title %q", s, got.Title)
		}
		if got.Goal <= 0 || got.Goal > numerals.MaxAmountFen || got.Per < 0 || got.Per > numerals.MaxAmountFen {
			t.Fatalf("parseFundForm(%q) amounts %d, %d", s, got.Goal, got.Per)
		}
		if !got.Deadline.IsZero() && got.Deadline.Before(parseNow.Add(-24*time.Hour)) {
			t.Fatalf("parseFundForm(%q) deadline %v is in the past", s, got.Deadline)
		}
		for _, b := range got.Buildings {
			if _, err := numerals.ParseBuilding(b); err != nil {
				t.Fatalf("parseFundForm(%q) building %q", s, b)
			}
		}
	})
}

func TestParseSpendArgs(t *testing.T) {
	tests := []struct {
		in     string
		n      int64
		amount int64
		text   string
		err    string
	}{
		{"1 8000 安全门首付款", 1, 8000_00, "安全门首付款", ""},
		{"8000 安全门首付款", 0, 8000_00, "安全门首付款", ""},
		{"8000 元 安全门首付款", 0, 8000_00, "安全门首付款", ""},
		{"1 8000 元 拆旧门 和 安装", 1, 8000_00, "拆旧门 和 安装", ""},
		{"#2 八千 门", 2, 8000_00, "门", ""},
		{"筹2 8000 门", 2, 8000_00, "门", ""},
		{"f2 8000 door", 2, 8000_00, "door", ""},
		{"1 8000", 0, 0, "", "fund_spend_needs_text"},
		{"1 -50 买锁", 0, 0, "", "fund_amount_not_positive"},
		{"1 两百万 买锁", 0, 0, "", "fund_amount_too_large"},
		{"", 0, 0, "", "fund_needs_amount"},
		{"买锁", 0, 0, "", "fund_amount_bad"},
	}
	for _, tt := range tests {
		got, err := parseSpendArgs(tt.in)
		if key := replyKey(err); key != tt.err {
			t.Errorf("parseSpendArgs(%q) error %q; want %q", tt.in, key, tt.err)
			continue
		}
		if tt.err == "" && (got.N != tt.n || got.Amount != tt.amount || got.Text != tt.text) {
			t.Errorf("parseSpendArgs(%q) = %+v", tt.in, got)
		}
	}
}

func FuzzParseSpendArgs(f *testing.F) {
	for _, s := range amountSeeds {
		f.Add("1 " + s + " 安全门")
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := parseSpendArgs(bot.Normalize(s))
		if err != nil {
			if k := replyKey(err); k == "" || strings.HasPrefix(k, "other") {
				t.Fatalf("parseSpendArgs(%q): error %v is no reply", s, err)
			}
			return
		}
		if got.Amount <= 0 || got.Amount > numerals.MaxAmountFen || got.Text == "" || got.N < 0 {
			t.Fatalf("parseSpendArgs(%q) = %+v", s, got)
		}
	})
}

func TestParseUnpaidArgs(t *testing.T) {
	tests := []struct {
		in       string
		n        int64
		building string
		err      string
	}{
		{"", 0, "", ""},
		{"1", 1, "", ""},
		{"3幢", 0, "3", ""},
		{"A座", 0, "A", ""},
		{"2 3栋", 2, "3", ""},
		{"2 3", 2, "3", ""},
		{"一二三四五", 0, "", "fund_bad_unpaid_word"},
		{"x 3幢", 0, "", "bad_number"},
		{"1 三楼", 0, "", "bad_building"},
		{"1 2 3", 0, "", "fund_bad_unpaid_word"},
	}
	for _, tt := range tests {
		got, err := parseUnpaidArgs(tt.in)
		if key := replyKey(err); key != tt.err {
			t.Errorf("parseUnpaidArgs(%q) error %q; want %q", tt.in, key, tt.err)
			continue
		}
		if tt.err == "" && (got.N != tt.n || got.Building != tt.building) {
			t.Errorf("parseUnpaidArgs(%q) = %+v", tt.in, got)
		}
	}
}

func FuzzParseUnpaidArgs(f *testing.F) {
	for _, s := range []string{"", "1", "3幢", "2 3栋", "第二 A座"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := parseUnpaidArgs(bot.Normalize(s))
		if err != nil {
			return
		}
		if got.Building != "" {
			if b, err := numerals.ParseBuilding(got.Building); err != nil || b != got.Building {
				t.Fatalf("parseUnpaidArgs(%q) building %q", s, got.Building)
			}
		}
	})
}
