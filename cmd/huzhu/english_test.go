package main

import (
	"math/rand/v2"
	"os"
	"regexp"
	"strings"
	"testing"
	"unicode"

	"github.com/huzhu-station/huzhu/bot/store"
	"github.com/huzhu-station/huzhu/bot/store/storetest"
)

// TestEnglishHasNoChinese plays a whole station in English (every domain,
// help, errors, reminders, the monthly report) and fails on any Chinese
// character in what the bot says, except in the station's name (and the
// prefix an office takes from it, 阳光-2) and in text people wrote, which
// the bot quotes.
func TestEnglishHasNoChinese(t *testing.T) {
	const conversation = "testdata/transcripts/english_all.txt"
	const stationName = "阳光花园互助站"
	const officePrefix = "阳光-"
	input, err := os.ReadFile(conversation)
	if err != nil {
		t.Fatal(err)
	}
	b := storetest.Miniredis(t)
	st := store.New(b.Client, store.WithKeyPrefix(b.Prefix), store.WithRandom(rand.NewChaCha8(demoSeed)))
	out := playTranscript(t, st, string(input))
	for i, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(line, "(console)") || strings.HasPrefix(line, "> ") {
			continue // the console's own clock line, and the input echoed
		}
		if rest := withoutQuoted(strings.ReplaceAll(strings.ReplaceAll(line, stationName, ""), officePrefix, "")); strings.ContainsFunc(rest, isHan) {
			t.Errorf("line %d is not all English: %s", i+1, line)
		}
	}
}

// botQuotes matches text the bot quotes: 「…」 (possibly clipped with …),
// “…” and "…".
var botQuotes = regexp.MustCompile(`「[^」]*」|“[^”]*”|"[^"]*"`)

func withoutQuoted(s string) string { return botQuotes.ReplaceAllString(s, "") }

func isHan(r rune) bool { return unicode.Is(unicode.Han, r) }

func TestWithoutQuoted(t *testing.T) {
	for in, want := range map[string]string{
		`#2 [other] waiting 「楼道灯坏了」`: `#2 [other] waiting `,
		`#2 "楼道灯坏了" has had`:         `#2  has had`,
		`“灰色” leads`:                 ` leads`,
		`Registered: Bob, 3幢2单元301.`: `Registered: Bob, 3幢2单元301.`,
	} {
		if got := withoutQuoted(in); got != want {
			t.Errorf("withoutQuoted(%q) = %q; want %q", in, got, want)
		}
	}
}
