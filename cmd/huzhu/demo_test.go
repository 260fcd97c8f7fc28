package main

import (
	"bytes"
	"context"
	"errors"
	"net"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/huzhu-station/huzhu/bot/store"
)

// TestDemoTwice plays the README's demo, `go run ./cmd/huzhu <
// cmd/huzhu/testdata/transcripts/issues_zh.txt`, twice in a row from one
// directory: both runs link the office group with the code the transcript
// types, say the same, and leave no ./huzhu-data behind.
func TestDemoTwice(t *testing.T) {
	demo, err := os.ReadFile("testdata/transcripts/issues_zh.txt")
	if err != nil {
		t.Fatal(err)
	}
	golden, err := os.ReadFile("testdata/transcripts/issues_zh.golden")
	if err != nil {
		t.Fatal(err)
	}
	t.Chdir(t.TempDir())
	noEnv := func(string) string { return "" }
	var outs []string
	for i := range 2 {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		var out, errs bytes.Buffer
		err := run(ctx, nil, noEnv, bytes.NewReader(demo), &out, &errs)
		cancel()
		if err != nil {
			t.Fatalf("run %d: %v\n%s", i+1, err, errs.String())
		}
		if !strings.Contains(errs.String(), "fresh temporary store") {
			t.Errorf("run %d does not say it plays on a fresh store:\n%s", i+1, errs.String())
		}
		outs = append(outs, withoutDates(out.String()))
	}
	if outs[0] != outs[1] {
		t.Errorf("the second run differs from the first:\n%s", lineDiff(outs[0], outs[1]))
	}
	if want := withoutDates(string(golden)); outs[0] != want {
		t.Errorf("the demo differs from issues_zh.golden:\n%s", lineDiff(want, outs[0]))
	}
	if _, err := os.Stat(store.DefaultDataDir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the demo left %s behind (stat: %v)", store.DefaultDataDir, err)
	}
}

// TestDemoKeepsChosenDataDir: naming the data directory keeps piped input's
// data there, as before.
func TestDemoKeepsChosenDataDir(t *testing.T) {
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var out, errs bytes.Buffer
	if err := run(ctx, []string{"--data", dir}, func(string) string { return "" }, strings.NewReader("张站长: 建站 测试站\n"), &out, &errs); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(errs.String(), "fresh temporary store") {
		t.Errorf("--data was not kept:\n%s", errs.String())
	}
	if entries, _ := os.ReadDir(dir); len(entries) == 0 {
		t.Errorf("nothing was written to %s", dir)
	}
}

// withoutDates blanks the dates and times a transcript on the real clock
// shows, which differ between runs.
func withoutDates(s string) string {
	return dateLike.ReplaceAllString(s, "…")
}

var dateLike = regexp.MustCompile(`\d{4}-\d\d-\d\d|\d\d-\d\d \d\d:\d\d`)

// TestHelpListsEverySubcommand: `huzhu --help` (and -h, help) exits 0 and
// names every command huzhu accepts, and every command listed is accepted.
func TestHelpListsEverySubcommand(t *testing.T) {
	for _, args := range [][]string{{"--help"}, {"-h"}, {"help"}, {"console", "--help"}} {
		var out, errs bytes.Buffer
		if err := run(context.Background(), args, func(string) string { return "" }, strings.NewReader(""), &out, &errs); err != nil {
			t.Fatalf("%v: %v", args, err)
		}
		for _, c := range subcommands {
			if !regexp.MustCompile(`(?m)^  ` + c.name + ` `).MatchString(errs.String()) {
				t.Errorf("%v does not list %q:\n%s", args, c.name, errs.String())
			}
		}
	}
	for _, c := range subcommands {
		if c.name == "help" {
			continue
		}
		if _, err := parseConfig([]string{c.name}, func(string) string { return "" }, &bytes.Buffer{}); err != nil && strings.Contains(err.Error(), "unknown command") {
			t.Errorf("%s is listed but refused: %v", c.name, err)
		}
	}
	if _, err := parseConfig([]string{"serve"}, func(string) string { return "" }, &bytes.Buffer{}); err == nil || !strings.Contains(err.Error(), "huzhu --help") {
		t.Errorf("an unknown command is not pointed at --help: %v", err)
	}
}

// deadRedisChildEnv marks the process TestDeadRedisURL starts.
const deadRedisChildEnv = "HUZHU_DEAD_REDIS_CHILD"

// TestDeadRedisURL: a REDIS_URL nobody listens on ends huzhu with one line
// on stderr naming the address. go-redis logs its pool's errors to the
// process's stderr on its own, so the test runs huzhu as a child process and
// reads what it printed.
func TestDeadRedisURL(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	cmd := exec.Command(os.Args[0], "-test.run=^TestDeadRedisChild$")
	cmd.Env = append(os.Environ(), deadRedisChildEnv+"=1", "REDIS_URL=redis://"+addr, "HUZHU_DATA="+t.TempDir())
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err = cmd.Run()
	if exit := (*exec.ExitError)(nil); !errors.As(err, &exit) || exit.ExitCode() != 1 {
		t.Fatalf("huzhu without its Redis: %v, want exit code 1\n%s", err, stderr.String())
	}
	lines := strings.Split(strings.TrimSpace(stderr.String()), "\n")
	if len(lines) != 1 || !strings.HasPrefix(lines[0], "huzhu: ") || !strings.Contains(lines[0], addr) || !strings.Contains(lines[0], "cannot reach") {
		t.Errorf("stderr is not one clear line naming %s:\n%s", addr, stderr.String())
	}
}

// TestDeadRedisChild is the huzhu process of TestDeadRedisURL: main with the
// environment the parent gives, logging at the default level.
func TestDeadRedisChild(t *testing.T) {
	if os.Getenv(deadRedisChildEnv) != "1" {
		t.Skip("started by TestDeadRedisURL only")
	}
	err := run(context.Background(), []string{"console"}, os.Getenv, strings.NewReader(""), os.Stdout, os.Stderr)
	os.Exit(exitCode(err, os.Stderr))
}
