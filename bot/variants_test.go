package bot

import (
	"testing"
	"unicode/utf8"
)

func TestSimplify(t *testing.T) {
	for _, tc := range []struct {
		in, want string
		changed  bool
	}{
		{"報事 樓道燈壞了", "报事 楼道灯坏了", true},
		{"認捐300", "认捐300", true},
		{"開會", "开会", true},
		{"簽到", "签到", true},
		{"头发", "头发", false}, // already simplified
		{"hello", "hello", false},
		{"", "", false},
	} {
		got, changed := simplify(tc.in)
		if got != tc.want || changed != tc.changed {
			t.Errorf("simplify(%q) = %q, %v; want %q, %v", tc.in, got, changed, tc.want, tc.changed)
		}
	}
	if got, ok := simplifyPrefix("報事 樓道燈壞了", 2); !ok || got != "报事 樓道燈壞了" {
		t.Errorf("simplifyPrefix converted %q, %v; want only the first 2 runes", got, ok)
	}
}

func TestHomophones(t *testing.T) {
	for _, tc := range []struct {
		a, b rune
		want bool
	}{
		{'抱', '报', true}, {'是', '事', true}, {'娟', '捐', true}, {'告', '事', false}, {'a', '报', false},
	} {
		if got := homophones(tc.a, tc.b); got != tc.want {
			t.Errorf("homophones(%c, %c) = %v; want %v", tc.a, tc.b, got, tc.want)
		}
	}
}

// FuzzSimplify: a conversion reported is never a change of length, so the
// router can map it back to the typed text rune by rune.
func FuzzSimplify(f *testing.F) {
	for _, s := range []string{"報事 樓道燈壞了", "乾隆", "\xff報", "髮", "頭髮與發展"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, changed := simplify(s)
		if !changed && got != s {
			t.Errorf("simplify(%q) = %q but reports no change", s, got)
		}
		if changed && utf8.RuneCountInString(got) != utf8.RuneCountInString(s) {
			t.Errorf("simplify(%q) = %q changes the length", s, got)
		}
		if p, _ := simplifyPrefix(s, 4); utf8.RuneCountInString(p) != utf8.RuneCountInString(s) {
			t.Errorf("simplifyPrefix(%q) = %q changes the length", s, p)
		}
	})
}
