package numerals_test

import (
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/huzhu-station/huzhu/bot/numerals"
)

func TestParseAmount(t *testing.T) {
	tests := []struct {
		in      string
		want    int64
		wantErr error
	}{
		{"300", 30000, nil},
		{"300元", 30000, nil},
		{"300块", 30000, nil},
		{"300块钱", 30000, nil},
		{"300圆", 30000, nil},
		{"300元整", 30000, nil},
		{"300.5", 30050, nil},
		{"300.50元", 30050, nil},
		{"0.05", 5, nil},
		{"0.5元", 50, nil},
		{"¥300", 30000, nil},
		{"￥300", 30000, nil},
		{"¥ 300", 30000, nil},
		{"RMB300", 30000, nil},
		{"rmb 300", 30000, nil},
		{"300rmb", 30000, nil},
		{"300 RMB", 30000, nil},
		{"人民币300元", 30000, nil},
		{"￥300元", 30000, nil},
		{"三百", 30000, nil},
		{"三百元", 30000, nil},
		{"三百块", 30000, nil},
		{"叁佰元整", 30000, nil},
		{"两百五", 25000, nil},
		{"1.5万", 1500000, nil},
		{"1.5万元", 1500000, nil},
		{"1.23万", 1230000, nil},
		{"1.234567万", 1234567, nil},
		{"2千", 200000, nil},
		{"1.5千", 150000, nil},
		{"一万五", 1500000, nil},
		{"3百元", 30000, nil},
		{"1万5千", 1500000, nil},
		{"1,000", 100000, nil},
		{"12,345.67元", 1234567, nil},
		{"300元5角", 30050, nil},
		{"3块5", 350, nil},
		{"三块五", 350, nil},
		{"3块5毛", 350, nil},
		{"3块5毛6", 356, nil},
		{"3元5角6分", 356, nil},
		{"3元6分", 306, nil},
		{"3元零5分", 305, nil},
		{"  300  ", 30000, nil},
		{"３００元", 30000, nil},
		{"300 元", 30000, nil},
		{"100万", numerals.MaxAmountFen, nil},
		{"1000000", numerals.MaxAmountFen, nil},
		{"1000000.00", numerals.MaxAmountFen, nil},

		{"", 0, numerals.ErrAmountMalformed},
		{"   ", 0, numerals.ErrAmountMalformed},
		{"abc", 0, numerals.ErrAmountMalformed},
		{"1e9", 0, numerals.ErrAmountMalformed},
		{"300.123", 0, numerals.ErrAmountMalformed},
		{"300.500", 0, numerals.ErrAmountMalformed},
		{"1.2345678万", 0, numerals.ErrAmountMalformed},
		{"300元元", 0, numerals.ErrAmountMalformed},
		{"元", 0, numerals.ErrAmountMalformed},
		{"¥", 0, numerals.ErrAmountMalformed},
		{".5", 0, numerals.ErrAmountMalformed},
		{"5.", 0, numerals.ErrAmountMalformed},
		{"1.2.3", 0, numerals.ErrAmountMalformed},
		{"1,00", 0, numerals.ErrAmountMalformed},
		{",100", 0, numerals.ErrAmountMalformed},
		{"1.5十", 0, numerals.ErrAmountMalformed},
		{"3 00", 0, numerals.ErrAmountMalformed},
		{"300美元", 0, numerals.ErrAmountMalformed},
		{"$300", 0, numerals.ErrAmountMalformed},
		{"300块钱5毛", 0, numerals.ErrAmountMalformed},
		{"300rmb5", 0, numerals.ErrAmountMalformed},
		{"3.5元5角", 0, numerals.ErrAmountMalformed},
		{"3块56", 0, numerals.ErrAmountMalformed},
		{"3块5毛6分7", 0, numerals.ErrAmountMalformed},
		{"一二三", 0, numerals.ErrAmountMalformed},
		{"--5", 0, numerals.ErrAmountMalformed},
		{"-abc", 0, numerals.ErrAmountMalformed},
		{"300\n元", 0, numerals.ErrAmountMalformed},
		{strings.Repeat("1", 65), 0, numerals.ErrAmountMalformed},

		{"0", 0, numerals.ErrAmountNotPositive},
		{"0.00", 0, numerals.ErrAmountNotPositive},
		{"零", 0, numerals.ErrAmountNotPositive},
		{"0元", 0, numerals.ErrAmountNotPositive},
		{"-5", 0, numerals.ErrAmountNotPositive},
		{"－5", 0, numerals.ErrAmountNotPositive},
		{"-5元", 0, numerals.ErrAmountNotPositive},
		{"¥-5", 0, numerals.ErrAmountNotPositive},
		{"负5", 0, numerals.ErrAmountNotPositive},
		{"负五百", 0, numerals.ErrAmountNotPositive},
		{"-99999999999999", 0, numerals.ErrAmountNotPositive},

		{"1000000.01", 0, numerals.ErrAmountTooLarge},
		{"1000001", 0, numerals.ErrAmountTooLarge},
		{"101万", 0, numerals.ErrAmountTooLarge},
		{"一亿", 0, numerals.ErrAmountTooLarge},
		{"99999999999999999999999999", 0, numerals.ErrAmountTooLarge},
		{"9999999999999999999999.99", 0, numerals.ErrAmountTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := numerals.ParseAmount(tt.in)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("ParseAmount(%q) = %d, %v; want error %v", tt.in, got, err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("ParseAmount(%q) = %d, %v; want %d", tt.in, got, err, tt.want)
			}
		})
	}
}

func TestFormatAmount(t *testing.T) {
	tests := []struct {
		fen  int64
		want string
	}{
		{30000, "300元"},
		{30050, "300.50元"},
		{30005, "300.05元"},
		{5, "0.05元"},
		{50, "0.50元"},
		{0, "0元"},
		{numerals.MaxAmountFen, "1000000元"},
		{-350, "-3.50元"},
		{math.MinInt64, "-92233720368547758.08元"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			if got := numerals.FormatAmount(tt.fen); got != tt.want {
				t.Errorf("FormatAmount(%d) = %q, want %q", tt.fen, got, tt.want)
			}
		})
	}
}

func FuzzParseAmount(f *testing.F) {
	for _, s := range []string{
		"300", "300元", "300.50元", "￥300", "RMB300", "三百块", "两百五", "1.5万", "一万五",
		"3块5毛6", "3元零5分", "1,000", "1e9", "300元元", "-5", "负5", "0", "1000001",
		"1.234567万", "9999999999999999999999.99",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		fen, err := numerals.ParseAmount(s)
		if err != nil {
			if !errors.Is(err, numerals.ErrAmountMalformed) && !errors.Is(err, numerals.ErrAmountNotPositive) && !errors.Is(err, numerals.ErrAmountTooLarge) {
				t.Fatalf("ParseAmount(%q): unexpected error %v", s, err)
			}
			return
		}
		if fen < 1 || fen > numerals.MaxAmountFen {
			t.Fatalf("ParseAmount(%q) = %d, out of range", s, fen)
		}
		formatted := numerals.FormatAmount(fen)
		if again, err := numerals.ParseAmount(formatted); err != nil || again != fen {
			t.Fatalf("ParseAmount(%q) = %d, but ParseAmount(%q) = %d, %v", s, fen, formatted, again, err)
		}
	})
}

func FuzzFormatAmount(f *testing.F) {
	for _, fen := range []int64{1, 5, 50, 30000, 30050, numerals.MaxAmountFen, 0, -1, math.MinInt64, math.MaxInt64} {
		f.Add(fen)
	}
	f.Fuzz(func(t *testing.T, fen int64) {
		s := numerals.FormatAmount(fen)
		if !strings.HasSuffix(s, "元") {
			t.Fatalf("FormatAmount(%d) = %q, no 元", fen, s)
		}
		if fen < 1 || fen > numerals.MaxAmountFen {
			return
		}
		if got, err := numerals.ParseAmount(s); err != nil || got != fen {
			t.Fatalf("ParseAmount(FormatAmount(%d) = %q) = %d, %v", fen, s, got, err)
		}
	})
}
