package main

import (
	"io"
	"log/slog"
	"math/rand/v2"
	"os"

	"github.com/huzhu-station/huzhu/bot/store"
)

// A demo is a file of console lines piped into huzhu, as the README shows:
//
//	go run ./cmd/huzhu < cmd/huzhu/testdata/transcripts/issues_zh.txt
//
// A transcript starts from an empty store (it founds its station) and may
// link a group with the station code the transcript tests see, so a demo is
// played on a fresh temporary store whose codes come from the same fixed
// seed as theirs. It plays the same way every time and leaves ./huzhu-data
// alone. Naming the directory (--data DIR or HUZHU_DATA) keeps the data and
// draws codes at random as always.

// isDemo reports whether this run is a demo: the console on the embedded
// store with piped input and no data directory named.
func isDemo(cfg *Config, stdin io.Reader) bool {
	console := cfg.Command == "console" || (cfg.Command == "run" && cfg.Telegram.Token == "" && !cfg.WeChat.Enabled)
	embedded := cfg.Store.URL == "" && len(cfg.Store.Addrs) == 0 && cfg.Store.SentinelMaster == ""
	return console && embedded && !cfg.DataDirChosen && !isTerminal(stdin)
}

// startDemo points cfg at a fresh temporary data directory and returns the
// store options of a demo and a function that removes the directory.
func startDemo(cfg *Config, log *slog.Logger) ([]store.Option, func(), error) {
	dir, err := os.MkdirTemp("", "huzhu-demo-")
	if err != nil {
		return nil, nil, err
	}
	cfg.Store.DataDir = dir
	log.Info("piped input: playing it on a fresh temporary store, removed at the end (--data DIR keeps the data)", "dir", dir)
	opts := []store.Option{store.WithRandom(rand.NewChaCha8(demoSeed))}
	return opts, func() { _ = os.RemoveAll(dir) }, nil
}

// demoSeed seeds the station codes of demos and transcript tests alike.
var demoSeed = [32]byte{}
