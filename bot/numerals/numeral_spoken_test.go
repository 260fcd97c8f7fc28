package numerals

import "testing"

// TestReadNumber: the one reader of numbers behind dates, rooms and amounts.
func TestReadNumber(t *testing.T) {
	tests := []struct {
		in     string
		spoken bool
		want   int64
		ok     bool
	}{
		{"十二", false, 12, true},
		{"三十一", false, 31, true},
		{"廿三", false, 23, true},
		{"廿", false, 20, true},
		{"一百零五", false, 105, true},
		{"三零一", true, 301, true},
		{"三〇一", true, 301, true},
		{"幺零二", true, 102, true},
		{"二〇二六", true, 2026, true},
		{"零五", true, 5, true},
		{"三零一", false, 0, false},
		{"一二三", false, 0, false},
		{"十廿", true, 0, false},
		{"一二三四五六七", true, 0, false},
		{"", true, 0, false},
	}
	for _, tt := range tests {
		got, ok := ReadNumber([]rune(tt.in), tt.spoken)
		if got != tt.want || ok != tt.ok {
			t.Errorf("ReadNumber(%q, %v) = %d, %v; want %d, %v", tt.in, tt.spoken, got, ok, tt.want, tt.ok)
		}
	}
}

func TestParseSpokenDigits(t *testing.T) {
	tests := []struct {
		in, digits string
		ok         bool
	}{
		{"三零一", "301", true},
		{"零三零一", "0301", true},
		{"3零1", "301", true},
		{"幺幺", "11", true},
		{"三百", "", false},
		{"x", "", false},
		{"一二三四五六七", "", false},
	}
	for _, tt := range tests {
		_, digits, ok := parseSpokenDigits([]rune(tt.in))
		if digits != tt.digits || ok != tt.ok {
			t.Errorf("parseSpokenDigits(%q) = %q, %v; want %q, %v", tt.in, digits, ok, tt.digits, tt.ok)
		}
	}
}

func FuzzReadNumber(f *testing.F) {
	for _, s := range []string{"十二", "廿三", "三零一", "幺零二", "二〇二六", "一百零五", "一万亿", "廿廿", "3零1", "\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		rs := []rune(s)
		quantity, okQ := ReadNumber(rs, false)
		any, okA := ReadNumber(rs, true)
		if okQ && (!okA || any != quantity) {
			t.Fatalf("ReadNumber(%q): spoken digits changed a quantity %d to %d, %v", s, quantity, any, okA)
		}
		if okA && (any < 0 || any > numeralLimit) {
			t.Fatalf("ReadNumber(%q) = %d, out of range", s, any)
		}
		if v, digits, ok := parseSpokenDigits(rs); ok && (len(digits) != len(rs) || v < 0) {
			t.Fatalf("parseSpokenDigits(%q) = %d, %q", s, v, digits)
		}
	})
}
