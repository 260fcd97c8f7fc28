package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/huzhu-station/huzhu/bot"
	"github.com/huzhu-station/huzhu/bot/metrics"
	"github.com/huzhu-station/huzhu/handlers"
)

// pingTimeout bounds the store's PING in /readyz.
const pingTimeout = time.Second

// newMetrics returns the metrics every part of huzhu reports to, counting
// the round trips of rdb.
func newMetrics(rdb redis.UniversalClient) *metrics.Metrics {
	m := metrics.New(handlers.Outcome)
	rdb.AddHook(m.RedisHook())
	return m
}

// serveMetrics serves the metrics and the health checks on cfg.MetricsAddr
// until ctx is done, and returns the address it listens on: /readyz asks
// the store for a PING and every platform that can say so whether it is
// logged in.
func serveMetrics(ctx context.Context, cfg *Config, rdb redis.UniversalClient, platforms []platform, log *slog.Logger) (net.Addr, error) {
	checks := []metrics.Check{{Name: "store", Check: func(ctx context.Context) error {
		ctx, cancel := context.WithTimeout(ctx, pingTimeout)
		defer cancel()
		return rdb.Ping(ctx).Err()
	}}}
	for _, p := range platforms {
		if r, ok := p.Platform.(bot.Readier); ok {
			checks = append(checks, metrics.Check{Name: p.Name(), Check: func(context.Context) error { return r.Ready() }})
		}
	}
	addr, err := cfg.observe.Serve(ctx, cfg.MetricsAddr, checks...)
	if err != nil {
		return nil, fmt.Errorf("metrics: listen on %s (--metrics, HUZHU_METRICS_ADDR): %w", cfg.MetricsAddr, err)
	}
	log.Info("metrics and health checks served", "addr", addr.String(), "paths", "/metrics /healthz /readyz")
	return addr, nil
}

// observedPlatform is a platform whose failed runs are counted.
type observedPlatform struct {
	bot.Platform
	m *metrics.Metrics
}

func (p observedPlatform) Run(ctx context.Context, in bot.Receiver) error {
	err := p.Platform.Run(ctx, in)
	if err != nil && ctx.Err() == nil && !errors.Is(err, context.Canceled) {
		p.m.PlatformFailed(p.Name())
	}
	return err
}
