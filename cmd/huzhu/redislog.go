package main

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/redis/go-redis/v9"
)

// go-redis writes what its connection pool and Sentinel client see through
// one logger of its own, to stderr by default. A Redis that cannot be reached
// at start-up then prints one line per failed attempt before huzhu says, in
// one line, that it cannot reach it. redisLog sends those lines to huzhu's
// log instead: dial failures at debug level (the command that needed the
// connection fails and its error is reported), the rest (Sentinel failovers,
// …) at info level.
type redisLog struct{ to atomic.Pointer[slog.Logger] }

var (
	redisLogger    redisLog
	redisLoggerSet sync.Once
)

// routeRedisLog makes go-redis log through log from now on. go-redis's
// logger is global; only the pointer behind it changes on later calls.
func routeRedisLog(log *slog.Logger) {
	redisLogger.to.Store(log.With("component", "redis"))
	redisLoggerSet.Do(func() { redis.SetLogger(&redisLogger) })
}

// Printf is go-redis's logging interface.
func (l *redisLog) Printf(ctx context.Context, format string, v ...any) {
	log := l.to.Load()
	if log == nil {
		return
	}
	level := slog.LevelInfo
	if strings.Contains(format, "failed to dial") {
		level = slog.LevelDebug
	}
	log.Log(ctx, level, strings.TrimPrefix(fmt.Sprintf(format, v...), "redis: "))
}
