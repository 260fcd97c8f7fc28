package handlers

import (
	"strings"
	"testing"
)

func TestParseAnonymous(t *testing.T) {
	tests := []struct {
		in   string
		anon bool
		rest string
	}{
		{"匿名 5幢楼上群租", true, "5幢楼上群租"},
		{"匿名楼上群租", true, "楼上群租"},
		{"  【匿名】 [群租] 5幢", true, "[群租] 5幢"},
		{"（匿名）：违建", true, "违建"},
		{"匿名", true, ""},
		{"Anonymous: illegal extension", true, "illegal extension"},
		{"anon sublet in 5", true, "sublet in 5"},
		{"anonymously nothing", false, "anonymously nothing"},
		{"楼道灯坏了，别匿名", false, "楼道灯坏了，别匿名"},
		{"", false, ""},
	}
	for _, tt := range tests {
		anon, rest := parseAnonymous(tt.in)
		if anon != tt.anon || rest != tt.rest {
			t.Errorf("parseAnonymous(%q) = %v, %q; want %v, %q", tt.in, anon, rest, tt.anon, tt.rest)
		}
	}
}

func FuzzParseAnonymous(f *testing.F) {
	for _, s := range []string{"匿名 群租", "【匿名】", "anon", "ANONYMOUS:x", "匿", "\xff匿名", "（匿名）（匿名）"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		anon, rest := parseAnonymous(in)
		if len(rest) > len(in) {
			t.Errorf("parseAnonymous(%q) rest %q is longer than the input", in, rest)
		}
		if !anon && rest != strings.TrimSpace(in) {
			t.Errorf("parseAnonymous(%q) = false but changed the text to %q", in, rest)
		}
	})
}
