package i18n

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"testing"

	goi18n "github.com/nicksnyder/go-i18n/v2/i18n"
)

// shown is a value type whose String method fmt and text/template use.
type shown string

func (s shown) String() string { return "«" + string(s) + "»" }

// shownByPointer has String on its pointer only: text/template prints a
// *shownByPointer through it, and a shownByPointer as a plain struct.
type shownByPointer struct{ n int }

func (p *shownByPointer) String() string { return fmt.Sprintf("#%d", p.n) }

// failure is an error type, printed through Error.
type failure struct{ what string }

func (f failure) Error() string { return "failed: " + f.what }

// argSets returns argument sets that give each of names a value of one
// kind, or leave them out, for comparing the compiled rendering with
// go-i18n's.
func argSets(names []string) map[string]Args {
	each := func(value func(i int, name string) any) Args {
		a := Args{}
		for i, n := range names {
			a[n] = value(i, n)
		}
		return a
	}
	sets := map[string]Args{
		"missing":    nil,
		"empty":      {},
		"strings":    each(func(_ int, n string) any { return "v-" + n }),
		"empty strs": each(func(int, string) any { return "" }),
		"ints":       each(func(i int, _ string) any { return i*7919 - 3 }),
		"zeros":      each(func(int, string) any { return 0 }),
		"int64s":     each(func(i int, _ string) any { return int64(-i) << 40 }),
		"stringers":  each(func(_ int, n string) any { return shown(n) }),
		"nils":       each(func(int, string) any { return nil }),
		"pointers": each(func(i int, n string) any {
			switch i % 6 {
			case 0:
				return &shownByPointer{i}
			case 1:
				return shownByPointer{i}
			case 2:
				return &i
			case 3:
				var p *shownByPointer
				return p
			case 4:
				s := shown(n)
				return &s
			}
			p := &n
			return &p
		}),
		"mixed": each(func(i int, n string) any {
			switch i % 7 {
			case 0:
				return 3.25
			case 1:
				return true
			case 2:
				return failure{n}
			case 3:
				return errors.New("plain " + n)
			case 4:
				return []string{n, "b"}
			case 5:
				return uint8(200)
			}
			return map[string]int{n: 1}
		}),
		// text/template refuses to print a func, so the sentence renders
		// as its key.
		"funcs": each(func(int, string) any { return func() {} }),
	}
	// Each field missing in turn, the others present.
	for _, drop := range names {
		a := each(func(_ int, n string) any { return "v-" + n })
		delete(a, drop)
		sets["without "+drop] = a
	}
	return sets
}

// checkSameAsGoI18n fails when the sentence, said as T says it, differs
// from go-i18n's rendering with args.
func checkSameAsGoI18n(t *testing.T, name string, s *sentence, args Args) {
	t.Helper()
	got, gotOK := s.say(args)
	want, wantOK := s.execute(args)
	if got != want || gotOK != wantOK {
		t.Errorf("%s: said %q, %v; go-i18n says %q, %v", name, got, gotOK, want, wantOK)
	}
}

var anyField = regexp.MustCompile(`\.(\w+)`)

// TestCompiledSaysWhatGoI18nSays renders every sentence of every locale
// both ways with values of every kind, and with values missing.
func TestCompiledSaysWhatGoI18nSays(t *testing.T) {
	for _, l := range Locales {
		for _, key := range Keys(l) {
			s := catalogues[l][key]
			var names []string
			seen := map[string]bool{}
			for _, m := range anyField.FindAllStringSubmatch(s.template.PluralTemplates["other"].Src, -1) {
				if !seen[m[1]] {
					seen[m[1]] = true
					names = append(names, m[1])
				}
			}
			for set, args := range argSets(names) {
				checkSameAsGoI18n(t, l+" "+key+" "+set, s, args)
				want, ok := s.execute(args)
				if !ok {
					want = key
				}
				if got := T(l, key, args); got != want {
					t.Errorf("%s %s %s: T says %q, want %q", l, key, set, got, want)
				}
			}
			if got, want := T(l, key), T(l, key, nil); got != want {
				t.Errorf("%s %s: with no args %q, with nil args %q", l, key, got, want)
			}
		}
	}
}

// TestCataloguesAreMostlyCompiled: the sentences with plain text and
// fields, nearly all, are compiled, and the compiled ones are rendered
// without go-i18n at all.
func TestCataloguesAreMostlyCompiled(t *testing.T) {
	for _, l := range Locales {
		compiled, withFields := 0, 0
		for _, key := range Keys(l) {
			s := catalogues[l][key]
			src := s.template.PluralTemplates["other"].Src
			if s.compiled != !strings.Contains(src, "{{if") {
				t.Errorf("%s %s: compiled is %v for %q", l, key, s.compiled, src)
			}
			if !s.compiled {
				continue
			}
			compiled++
			if strings.Contains(src, "{{") {
				withFields++
			}
			// Without its go-i18n template, a compiled sentence must still
			// render: T does not reach for it.
			bare := *s
			bare.template = nil
			args := Args{"N": 7, "Name": "x"}
			want, _ := s.execute(args)
			if got, ok := bare.say(args); !ok || got != want {
				t.Errorf("%s %s: without go-i18n says %q, %v", l, key, got, ok)
			}
		}
		if n := len(Keys(l)); compiled < n*9/10 || withFields < n*4/10 {
			t.Errorf("%s: %d of %d sentences compiled, %d of them with fields", l, compiled, n, withFields)
		}
	}
	got := catalogues["en"]["near_miss"].parts
	want := []part{{text: "Did you mean "}, {field: "Line"}, {text: "? Send it again like that."}}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("en near_miss compiled to %q, want %q", got, want)
	}
}

// compileCases are texts at the edges of what is compiled.
var compileCases = []struct {
	src         string
	left, right string
	compiled    bool
}{
	{src: "plain text", compiled: true},
	{src: "a }} b {", compiled: true},
	{src: "", compiled: false}, // no text: go-i18n has no template
	{src: "{{.A}}", compiled: true},
	{src: "x {{ .A }} y {{.B}}{{.A}}", compiled: true},
	{src: "x {{- .A -}} y\n{{- .B}}", compiled: true},
	{src: "{{/* note */}}x{{.A}}", compiled: true},
	{src: "{{.A}}<<.B>>", left: "<<", right: ">>", compiled: true},
	{src: "{{.A}} only braces", left: "<<", right: ">>", compiled: true},
	{src: "{{.}}", compiled: false},
	{src: "{{.A.B}}", compiled: false},
	{src: "{{.A | printf \"%05d\"}}", compiled: false},
	{src: "{{printf \"%v\" .A}}", compiled: false},
	{src: "{{$x := .A}}{{$x}}", compiled: false},
	{src: "{{(.A)}}", compiled: false},
	{src: "{{if .A}}a{{else}}b{{end}}", compiled: false},
	{src: "{{if not .A}}a{{end}}", compiled: false},
	{src: "{{with .A}}{{.}}{{end}}", compiled: false},
	{src: "{{define \"x\"}}y{{end}}z", compiled: false},
	{src: "{{\"lit\"}}", compiled: false},
	{src: "{{.A", compiled: false}, // does not parse: go-i18n fails too
}

func TestCompile(t *testing.T) {
	for _, c := range compileCases {
		mt := goi18n.NewMessageTemplate(&goi18n.Message{ID: "k", Other: c.src, LeftDelim: c.left, RightDelim: c.right})
		s := newSentence(mt)
		if s == nil {
			if c.compiled {
				t.Errorf("%q: no sentence", c.src)
			}
			continue
		}
		if s.compiled != c.compiled {
			t.Errorf("%q: compiled is %v, want %v", c.src, s.compiled, c.compiled)
		}
		for set, args := range argSets([]string{"A", "B"}) {
			checkSameAsGoI18n(t, fmt.Sprintf("%q %s", c.src, set), s, args)
		}
	}
}

// FuzzCompiled compares the compiled rendering of any text that compiles
// with go-i18n's.
func FuzzCompiled(f *testing.F) {
	for _, c := range compileCases {
		f.Add(c.src, 42, "v")
	}
	f.Fuzz(func(t *testing.T, src string, n int, str string) {
		s := newSentence(goi18n.NewMessageTemplate(&goi18n.Message{ID: "k", Other: src}))
		if s == nil || !s.compiled {
			return
		}
		for _, args := range []Args{nil, {"A": n, "B": str}, {"A": str, "B": shown(str)}} {
			checkSameAsGoI18n(t, fmt.Sprintf("%q", src), s, args)
		}
	})
}
