package i18n

import (
	"regexp"
	"strings"
	"testing"
)

// TestCataloguesHaveTheSameKeys fails on a key present in one locale and
// missing from another.
func TestCataloguesHaveTheSameKeys(t *testing.T) {
	want := Keys(Locales[0])
	if len(want) == 0 {
		t.Fatal("default catalogue is empty or does not parse")
	}
	for _, l := range Locales[1:] {
		got := map[string]bool{}
		for _, k := range Keys(l) {
			got[k] = true
		}
		for _, k := range want {
			if !got[k] {
				t.Errorf("%s: missing key %q", l, k)
			}
			delete(got, k)
		}
		for k := range got {
			t.Errorf("%s: key %q is not in %s", l, k, Locales[0])
		}
	}
}

var fieldRE = regexp.MustCompile(`\{\{[^}]*?\.(\w+)`)

// TestEverySentenceRenders renders every sentence with a value for each
// field its template names, in every locale.
func TestEverySentenceRenders(t *testing.T) {
	for _, l := range Locales {
		var raw []byte
		for _, f := range localeFiles(l) {
			b, _ := files.ReadFile(f)
			raw = append(raw, b...)
		}
		// One value for every field any template names: a template only
		// reads its own.
		args := Args{}
		for _, m := range fieldRE.FindAllStringSubmatch(string(raw), -1) {
			args[m[1]] = "x"
		}
		for _, k := range Keys(l) {
			got := T(l, k, args)
			if got == k || strings.Contains(got, "<no value>") || strings.TrimSpace(got) == "" {
				t.Errorf("%s %s renders as %q", l, k, got)
			}
		}
	}
}

func TestParseLocale(t *testing.T) {
	for in, want := range map[string]string{"en": "en", "English": "en", "英文": "en", "中文": "zh-CN", "zh": "zh-CN"} {
		if got, ok := ParseLocale(in); !ok || got != want {
			t.Errorf("ParseLocale(%q) = %q, %v", in, got, ok)
		}
	}
	if _, ok := ParseLocale("fr"); ok {
		t.Error("fr accepted")
	}
}

func TestUnknownLocaleFallsBack(t *testing.T) {
	if got, want := T("fr", "help_pointer"), T("zh-CN", "help_pointer"); got != want {
		t.Errorf("got %q, want the default %q", got, want)
	}
}

func FuzzParseLocale(f *testing.F) {
	for _, s := range []string{"en", "中文", "", "ＥＮ", "🙂"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if l, ok := ParseLocale(s); ok && T(l, "help_pointer") == "help_pointer" {
			t.Fatalf("ParseLocale(%q) = unsupported %q", s, l)
		}
	})
}

// TestNoKeyTwice fails when two files of one locale define the same key:
// the later would silently win.
func TestNoKeyTwice(t *testing.T) {
	for _, l := range Locales {
		seen := map[string]bool{}
		for _, k := range Keys(l) {
			if seen[k] {
				t.Errorf("%s: key %q defined twice", l, k)
			}
			seen[k] = true
		}
	}
}

// TestLocalesHaveTheSameFiles keeps each domain's sentences in the same
// file name in every locale.
func TestLocalesHaveTheSameFiles(t *testing.T) {
	base := func(l string) []string {
		var out []string
		for _, f := range localeFiles(l) {
			out = append(out, f[len("locales/"+l+"/"):])
		}
		return out
	}
	want := base(Locales[0])
	for _, l := range Locales[1:] {
		if got := base(l); strings.Join(got, ",") != strings.Join(want, ",") {
			t.Errorf("%s has files %v, %s has %v", l, got, Locales[0], want)
		}
	}
}

// TestOneTextASentence fails on a sentence with plural forms: T renders
// the one text, go-i18n's "other", and would ignore the rest.
func TestOneTextASentence(t *testing.T) {
	for l, sentences := range catalogues {
		for key, s := range sentences {
			mt := s.template
			if _, ok := mt.PluralTemplates["other"]; !ok || len(mt.PluralTemplates) != 1 {
				t.Errorf("%s %s: %d plural forms, want the one text", l, key, len(mt.PluralTemplates))
			}
		}
	}
}

// TestMissingKeyFallsBackToTheDefault: a sentence the locale lacks is said
// in the default locale's words, not as its key.
func TestMissingKeyFallsBackToTheDefault(t *testing.T) {
	key := Keys(Locales[0])[0]
	saved := catalogues["en"][key]
	delete(catalogues["en"], key)
	defer func() { catalogues["en"][key] = saved }()
	if got, want := T("en", key), T(Locales[0], key); got != want {
		t.Errorf("T(en, %s) = %q, want the default's %q", key, got, want)
	}
}

// TestRoom: a room reads as its locale writes it, with or without a unit.
func TestRoom(t *testing.T) {
	for _, tt := range []struct {
		locale, building, unit, number, want string
	}{
		{"zh-CN", "3", "2", "301", "3幢2单元301"},
		{"zh-CN", "3", "", "301", "3幢301"},
		{"en", "3", "2", "301", "3-2-301"},
		{"en", "3", "", "301", "3-301"},
		{"fr", "3", "2", "301", "3幢2单元301"}, // an unknown locale reads as the default
	} {
		if got := Room(tt.locale, tt.building, tt.unit, tt.number); got != tt.want {
			t.Errorf("Room(%s, %s, %s, %s) = %q; want %q", tt.locale, tt.building, tt.unit, tt.number, got, tt.want)
		}
	}
}
