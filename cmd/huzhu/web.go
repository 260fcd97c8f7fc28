package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/huzhu-station/huzhu/bot"
	"github.com/huzhu-station/huzhu/bot/store"
	"github.com/huzhu-station/huzhu/bot/wechat"
	"github.com/huzhu-station/huzhu/handlers/web"
)

// newWeb builds the web pages on c's handler chain.
func newWeb(cfg *Config, st *store.Store, c *core, clock bot.Clock, log *slog.Logger) (*web.Server, error) {
	return web.New(web.Options{
		Store: st, App: c.app, Receiver: c.receiver, Clock: clock,
		TelegramToken: cfg.Telegram.Token,
		PublicURL:     cfg.PublicURL,
		// Pictures the store keeps are named as WeChat names them, by
		// their content's hash; those sent from a page too.
		KeptPhoto:   func(ref string) (string, bool) { return strings.CutPrefix(ref, wechat.PhotoRefPrefix) },
		PhotoRef:    func(name string) string { return wechat.PhotoRefPrefix + name },
		RemotePhoto: c.remotePhoto,
		Log:         log.With("component", "web"),
	})
}

// serveWeb serves the web pages on cfg.HTTPAddr until ctx is done, and
// returns the address listened on; with no address it does nothing.
func serveWeb(ctx context.Context, cfg *Config, st *store.Store, c *core, clock bot.Clock, log *slog.Logger) (net.Addr, error) {
	if cfg.HTTPAddr == "" {
		return nil, nil
	}
	h, err := newWeb(cfg, st, c, clock, log)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", cfg.HTTPAddr)
	if err != nil {
		return nil, fmt.Errorf("web: listen on %s (--http, HUZHU_HTTP): %w", cfg.HTTPAddr, err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: time.Minute,
		WriteTimeout: time.Minute, IdleTimeout: 2 * time.Minute, MaxHeaderBytes: 16 << 10}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("web pages stopped", "err", err)
		}
	}()
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()
	log.Info("web pages served", "addr", ln.Addr().String(), "links", cfg.PublicURL)
	return ln.Addr(), nil
}
