package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"golang.org/x/term"

	"github.com/huzhu-station/huzhu/bot"
	"github.com/huzhu-station/huzhu/bot/console"
	"github.com/huzhu-station/huzhu/bot/store"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

// run is the whole program: main only adds the process around it, so tests
// call run with their own arguments, environment and streams.
func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	cfg, err := parseConfig(args, getenv, stderr)
	if errors.Is(err, errHelp) {
		return nil
	}
	if err != nil {
		return err
	}
	if cfg.Command == "version" {
		_, err := fmt.Fprintln(stdout, "huzhu", version)
		return err
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: cfg.LogLevel}))
	if processWide {
		leaveCoreForRedis(cfg.Store, getenv, log)
	}
	if cfg.Command == "bench" {
		return runBench(ctx, cfg, stdout, log)
	}
	if cfg.Data != nil {
		return runData(ctx, cfg, stdout, log)
	}

	var storeOpts []store.Option
	if isDemo(cfg, stdin) {
		opts, cleanup, err := startDemo(cfg, log)
		if err != nil {
			return err
		}
		defer cleanup()
		storeOpts = opts
	}
	routeRedisLog(log)
	backend, err := store.Open(ctx, cfg.Store, log.With("component", "store"))
	if err != nil {
		return err
	}
	defer backend.Close()
	log.Info("store ready", "store", backend.Describe())

	if cfg.MetricsAddr != "" {
		cfg.observe = newMetrics(backend.Client)
	}
	if backend.Wait.Replicas > 0 {
		log.Info("acknowledged writes wait for replicas", "replicas", backend.Wait.Replicas, "timeout", backend.Wait.Timeout)
	}
	st := store.New(backend.Client, slices.Concat(storeOpts, backend.StoreOptions(),
		[]store.Option{store.WithWait(backend.Wait, log.With("component", "store"))})...)
	alerts := &relay{}
	platforms, err := configuredPlatforms(cfg, st, log, alerts, stdout)
	if err != nil {
		return err
	}
	if cfg.observe != nil {
		if _, err := serveMetrics(ctx, cfg, backend.Client, platforms, log); err != nil {
			return err
		}
	}
	if cfg.Command == "console" || len(platforms) == 0 {
		err = serveConsole(ctx, cfg, st, stdin, stdout, log)
	} else {
		err = servePlatforms(ctx, cfg, st, platforms, alerts, log)
	}
	if errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}

// serveConsole runs the bot with the console as its platform until the
// input ends or ctx is done.
func serveConsole(ctx context.Context, cfg *Config, st *store.Store, stdin io.Reader, stdout io.Writer, log *slog.Logger) error {
	var clock bot.Clock = bot.SystemClock{}
	var fake *bot.FakeClock
	if !cfg.FakeClock.IsZero() {
		fake = bot.NewFakeClock(cfg.FakeClock)
		clock = fake
	}
	c := newCore(cfg, st, clock, log)
	disp, sched, receiver := c.disp, c.sched, c.receiver
	if _, err := serveWeb(ctx, cfg, st, c, clock, log); err != nil {
		return err
	}

	// Reminders fire when they fall due: on the real clock a poll loop finds
	// them; on a fake clock they fire as :advance moves time, before the
	// next line is read.
	runDue := func(ctx context.Context) {
		if _, err := sched.RunDue(ctx); err != nil {
			log.Error("reminders", "err", err)
		}
	}
	// The loops below end before this returns, so nothing of theirs runs
	// on (or logs about) a store that is being closed.
	bg, stop := context.WithCancel(ctx)
	var loops sync.WaitGroup
	defer func() {
		stop()
		loops.Wait()
	}()
	if fake == nil {
		loops.Go(func() {
			if err := sched.Run(bg); err != nil && bg.Err() == nil {
				log.Error("scheduler stopped", "err", err)
			}
		})
		// Replies are sent as each message is served; this finds those
		// left by a run that stopped before sending them.
		loops.Go(func() { _ = c.courier.Run(bg) })
	}

	// Real platforms arrive with their own configuration; until one is
	// configured, "run" is the console.
	// Piped input is echoed, so a conversation read from a file prints
	// each line beside what the bot answers.
	interactive := isTerminal(stdin)
	con := console.New(console.Options{
		In: stdin, Out: stdout, Interactive: interactive, Echo: !interactive,
		Clock: clock, FakeClock: fake, BotName: cfg.BotName, RunID: runID(), ImageDir: consoleImageDir(cfg),
		AfterAdvance: func(ctx context.Context, _ time.Time) { runDue(ctx) },
		NextDue: func(ctx context.Context) (time.Time, bool) {
			t, ok, err := sched.NextDue(ctx)
			if err != nil {
				log.Error("reminders", "err", err)
			}
			return t, ok
		},
		Drain: runDue,
	})
	disp.Add(con.Name(), con, con)
	log.Info("console ready", "platform", con.Name())
	return con.Run(ctx, receiver)
}

// consoleImageDir is where the console writes the pictures it is sent (its
// data directory's images/), or "" to print their text alone: with no data
// directory (a test's), pictures are not written.
func consoleImageDir(cfg *Config) string {
	if cfg.Store.DataDir == "" {
		return ""
	}
	return filepath.Join(cfg.Store.DataDir, "images")
}

// runID makes the console's message ids unique to this run.
func runID() string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b) + "-"
}

func isTerminal(r io.Reader) bool {
	f, ok := r.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}
