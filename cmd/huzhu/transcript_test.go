package main

import (
	"bytes"
	"context"
	"flag"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/huzhu-station/huzhu/bot/calendar"
	"github.com/huzhu-station/huzhu/bot/store"
	"github.com/huzhu-station/huzhu/bot/store/storetest"
)

var update = flag.Bool("update", false, "rewrite the golden transcripts from what the bot says now")

// transcriptStart is the fake clock's time when every transcript begins.
var transcriptStart = time.Date(2026, 11, 25, 9, 0, 0, 0, calendar.Shanghai)

// TestTranscripts plays every testdata/transcripts/*.txt conversation
// through the console on each store backend and compares what the bot says
// with the .golden file beside it. Run with -update to rewrite them.
func TestTranscripts(t *testing.T) {
	inputs, err := filepath.Glob("testdata/transcripts/*.txt")
	if err != nil || len(inputs) == 0 {
		t.Fatalf("no transcripts: %v", err)
	}
	storetest.ForEach(t, func(t *testing.T, b storetest.Backend) {
		for _, in := range inputs {
			name := strings.TrimSuffix(filepath.Base(in), ".txt")
			t.Run(name, func(t *testing.T) {
				input, err := os.ReadFile(in)
				if err != nil {
					t.Fatal(err)
				}
				st := store.New(b.Client, store.WithKeyPrefix(b.Prefix+name+":"),
					store.WithRandom(rand.NewChaCha8(demoSeed)))
				got := playTranscript(t, st, string(input))
				for _, slip := range unrenderedSentences(got) {
					t.Errorf("%s: the bot said %q: a sentence missing an argument, or a catalogue key with no sentence", in, slip)
				}
				golden := strings.TrimSuffix(in, ".txt") + ".golden"
				if *update {
					if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
						t.Fatal(err)
					}
					return
				}
				want, err := os.ReadFile(golden)
				if err != nil {
					t.Fatalf("%v (run with -update to create it)", err)
				}
				if got != string(want) {
					t.Errorf("%s differs from %s:\n%s", in, golden, lineDiff(string(want), got))
				}
			})
		}
	})
}

// catalogueKey is what i18n.T returns for a key it has no sentence for: a
// line of the bot's that is only lower-case words joined by underscores.
var catalogueKey = regexp.MustCompile(`^\s*[a-z][a-z0-9]*(_[a-z0-9]+)+\s*$`)

// unrenderedSentences returns the lines of what the bot said (not the
// input, which starts with "> ") that show a sentence rendered without an
// argument it names ("<no value>") or a catalogue key in its place.
func unrenderedSentences(transcript string) []string {
	var slips []string
	for line := range strings.Lines(transcript) {
		line = strings.TrimRight(line, "\n")
		if strings.HasPrefix(line, "> ") {
			continue
		}
		if strings.Contains(line, "<no value>") || catalogueKey.MatchString(line) {
			slips = append(slips, line)
		}
	}
	return slips
}

// playTranscript runs input through the console with a fake clock and
// returns everything printed.
func playTranscript(t *testing.T, st *store.Store, input string) string {
	t.Helper()
	var out bytes.Buffer
	cfg := &Config{BotName: "huzhu", FakeClock: transcriptStart, Admins: []string{"console:街道管理员"}}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := serveConsole(ctx, cfg, st, strings.NewReader(input), &out, log); err != nil {
		t.Fatalf("console: %v", err)
	}
	return out.String()
}

// lineDiff shows the first lines where want and got part.
func lineDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < max(len(w), len(g)); i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			return "line " + strconv.Itoa(i+1) + ":\n  want: " + wl + "\n  got:  " + gl
		}
	}
	return "(same lines, different endings)"
}

// TestUnrenderedSentences: the transcripts' check finds the two slips the
// office card once made, and passes over input lines and ordinary answers.
func TestUnrenderedSentences(t *testing.T) {
	transcript := strings.Join([]string{
		"> // 见 handlers/dogs_test.go 的 TestDogShotReminders",
		"> 陈主任: 事项 清川-2",
		"[招宝山社区办公群] bot: 清川-2（清川佳园互助站）[环境] 待受理",
		"    11-25 09:00 张站长 发起<no value>",
		"    event_outcome",
		"(console) now: 2026-11-26 20:00 周四",
		"  发「事项 编号」看详情。",
	}, "\n")
	got := unrenderedSentences(transcript)
	want := []string{"    11-25 09:00 张站长 发起<no value>", "    event_outcome"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("unrenderedSentences found %q; want %q", got, want)
	}
}
