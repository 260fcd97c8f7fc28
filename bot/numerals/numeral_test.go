package numerals_test

import (
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/huzhu-station/huzhu/bot/numerals"
)

func TestParseChineseInt(t *testing.T) {
	tests := []struct {
		in      string
		want    int64
		wantErr error
	}{
		{"0", 0, nil},
		{"7", 7, nil},
		{"300", 300, nil},
		{"007", 7, nil},
		{"３００", 300, nil},
		{" 12 ", 12, nil},
		{"零", 0, nil},
		{"〇", 0, nil},
		{"一", 1, nil},
		{"两", 2, nil},
		{"十", 10, nil},
		{"十二", 12, nil},
		{"一十二", 12, nil},
		{"二十", 20, nil},
		{"二十五", 25, nil},
		{"一百零五", 105, nil},
		{"一百一十", 110, nil},
		{"三百", 300, nil},
		{"两百五", 250, nil},
		{"两百五十", 250, nil},
		{"一千二", 1200, nil},
		{"一千二百五", 1250, nil},
		{"一千零五十", 1050, nil},
		{"一千零五", 1005, nil},
		{"一万五", 15000, nil},
		{"一万零五百", 10500, nil},
		{"十万", 100000, nil},
		{"十万零五", 100005, nil},
		{"一千零五万", 10050000, nil},
		{"三千万", 30000000, nil},
		{"一亿", 100000000, nil},
		{"一亿五", 150000000, nil},
		{"一亿五千万", 150000000, nil},
		{"一万亿", 1000000000000, nil},
		{"壹佰贰拾叁", 123, nil},
		{"壹仟零伍", 1005, nil},
		{"叁佰", 300, nil},
		{"3百", 300, nil},
		{"3百5", 350, nil},
		{"3百50", 350, nil},
		{"1万", 10000, nil},
		{"1万5", 15000, nil},
		{"1万5千", 15000, nil},
		{"1万2000", 12000, nil},
		{"250万", 2500000, nil},
		{"1000000000000", 1000000000000, nil},

		{"", 0, numerals.ErrNotANumber},
		{"  ", 0, numerals.ErrNotANumber},
		{"abc", 0, numerals.ErrNotANumber},
		{"一二三", 0, numerals.ErrNotANumber},
		{"二〇二四", 0, numerals.ErrNotANumber},
		{"3三", 0, numerals.ErrNotANumber},
		{"三3", 0, numerals.ErrNotANumber},
		{"百", 0, numerals.ErrNotANumber},
		{"万", 0, numerals.ErrNotANumber},
		{"百五", 0, numerals.ErrNotANumber},
		{"一百十", 0, numerals.ErrNotANumber},
		{"二十零五", 0, numerals.ErrNotANumber},
		{"一百零五十", 0, numerals.ErrNotANumber},
		{"一万零五千", 0, numerals.ErrNotANumber},
		{"一百零", 0, numerals.ErrNotANumber},
		{"零五", 0, numerals.ErrNotANumber},
		{"一百零零五", 0, numerals.ErrNotANumber},
		{"三十百", 0, numerals.ErrNotANumber},
		{"两万万", 0, numerals.ErrNotANumber},
		{"30百", 0, numerals.ErrNotANumber},
		{"1万20000", 0, numerals.ErrNotANumber},
		{"12345万", 0, numerals.ErrNotANumber},
		{"1.5", 0, numerals.ErrNotANumber},
		{"-5", 0, numerals.ErrNotANumber},
		{"负五", 0, numerals.ErrNotANumber},
		{"1 2", 0, numerals.ErrNotANumber},
		{"1\n2", 0, numerals.ErrNotANumber},
		{"1000000000001", 0, numerals.ErrNumberTooLarge},
		{"99999999999999999999999999", 0, numerals.ErrNumberTooLarge},
		{"两万亿", 0, numerals.ErrNumberTooLarge},
		{strings.Repeat("9", 65), 0, numerals.ErrNotANumber},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := numerals.ParseChineseInt(tt.in)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("ParseChineseInt(%q) = %d, %v; want error %v", tt.in, got, err, tt.wantErr)
				}
				if !strings.Contains(err.Error(), strconv.Quote(tt.in)) && len(tt.in) <= 64 {
					t.Errorf("error %q does not quote the input", err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("ParseChineseInt(%q) = %d, %v; want %d", tt.in, got, err, tt.want)
			}
		})
	}
}

func FuzzParseChineseInt(f *testing.F) {
	for _, s := range []string{
		"0", "300", "十二", "两百五", "一百零五", "一万亿", "两万亿", "1万2000", "壹仟零伍",
		"一二三", "二十零五", "99999999999999999999", "零", "十万零五", "一亿五千万",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := numerals.ParseChineseInt(s)
		if err != nil {
			if !errors.Is(err, numerals.ErrNotANumber) && !errors.Is(err, numerals.ErrNumberTooLarge) {
				t.Fatalf("ParseChineseInt(%q): unexpected error %v", s, err)
			}
			return
		}
		if n < 0 || n > 1_000_000_000_000 {
			t.Fatalf("ParseChineseInt(%q) = %d, out of range", s, n)
		}
		if again, err := numerals.ParseChineseInt(strconv.FormatInt(n, 10)); err != nil || again != n {
			t.Fatalf("ParseChineseInt(%q) = %d, but its digits give %d, %v", s, n, again, err)
		}
		if v, err := strconv.ParseInt(s, 10, 64); err == nil && v >= 0 && v != n {
			t.Fatalf("ParseChineseInt(%q) = %d, strconv says %d", s, n, v)
		}
	})
}

func TestParseRef(t *testing.T) {
	tests := []struct {
		in   string
		want int64 // 0 means ErrBadRef
	}{
		{"12", 12},
		{"#12", 12},
		{"＃12", 12},
		{"＃１２", 12},
		{"# 12", 12},
		{"第12", 12},
		{"第12号", 12},
		{"12号", 12},
		{"No.12", 12},
		{"no.12", 12},
		{"NO12", 12},
		{"No. 12", 12},
		{"№12", 12},
		{"十二", 12},
		{"第十二号", 12},
		{"#十二", 12},
		{" 3 ", 3},
		{"1", 1},
		{"999999", 999999},

		{"", 0},
		{"#", 0},
		{"第", 0},
		{"#abc", 0},
		{"0", 0},
		{"零", 0},
		{"#0", 0},
		{"-1", 0},
		{"1000000", 0},
		{"一二", 0},
		{"12#", 0},
		{"##12", 0},
		{"#第12", 0},
		{"12号号", 0},
		{"1.5", 0},
		{"12 13", 0},
		{"none", 0},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := numerals.ParseRef(tt.in)
			if tt.want == 0 {
				if !errors.Is(err, numerals.ErrBadRef) {
					t.Fatalf("ParseRef(%q) = %d, %v; want ErrBadRef", tt.in, got, err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("ParseRef(%q) = %d, %v; want %d", tt.in, got, err, tt.want)
			}
		})
	}
}

func FuzzParseRef(f *testing.F) {
	for _, s := range []string{"12", "#12", "＃12", "第12号", "No.12", "十二", "#abc", "0", "-1", "", "999999", "1000000"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := numerals.ParseRef(s)
		if err != nil {
			if !errors.Is(err, numerals.ErrBadRef) {
				t.Fatalf("ParseRef(%q): unexpected error %v", s, err)
			}
			return
		}
		if n < 1 || n > 999999 {
			t.Fatalf("ParseRef(%q) = %d, out of range", s, n)
		}
		for _, form := range []string{strconv.FormatInt(n, 10), "#" + strconv.FormatInt(n, 10)} {
			if again, err := numerals.ParseRef(form); err != nil || again != n {
				t.Fatalf("ParseRef(%q) = %d, but ParseRef(%q) = %d, %v", s, n, form, again, err)
			}
		}
	})
}
