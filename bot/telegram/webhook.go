package telegram

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	tgbot "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"

	"github.com/huzhu-station/huzhu/bot/intake"
)

// secretHeader carries the webhook's secret token in Telegram's requests.
const secretHeader = "X-Telegram-Bot-Api-Secret-Token"

// maxUpdateBytes bounds one webhook request's body.
const maxUpdateBytes = 1 << 20

// shutdownGrace bounds how long the webhook server waits for requests in
// flight when Run stops.
const shutdownGrace = 5 * time.Second

// serveWebhook serves the webhook on Listen and registers it with Telegram,
// until ctx is done. Every instance behind a load balancer registers the same
// URL and secret, which is idempotent; none removes it when it stops.
func (t *Telegram) serveWebhook(ctx context.Context, rs *runState) error {
	ln := t.opts.Listener
	if ln == nil {
		var err error
		if ln, err = net.Listen("tcp", t.opts.Listen); err != nil {
			return fmt.Errorf("telegram: webhook: %w", err)
		}
	}
	srv := &http.Server{
		Handler:           http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { t.serveHTTP(w, r, rs) }),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		IdleTimeout:       2 * time.Minute,
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	defer func() {
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownGrace)
		defer cancel()
		_ = srv.Shutdown(sctx) // requests still open after the grace are cut; Telegram resends them
	}()

	// Listening comes first, so the first update Telegram sends finds us.
	if _, err := t.api.SetWebhook(ctx, &tgbot.SetWebhookParams{
		URL:            t.opts.WebhookURL,
		SecretToken:    t.opts.WebhookSecret,
		AllowedUpdates: allowedUpdates,
	}); err != nil {
		return fmt.Errorf("telegram: setWebhook: %w", err)
	}
	select {
	case err := <-served:
		return fmt.Errorf("telegram: webhook server: %w", err)
	case <-ctx.Done():
		return nil
	}
}

// serveHTTP takes one update from Telegram. A GET answers 200 for a load
// balancer's health check.
func (t *Telegram) serveHTTP(w http.ResponseWriter, r *http.Request, rs *runState) {
	if r.URL.Path != t.webhookPath {
		http.NotFound(w, r)
		return
	}
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		w.WriteHeader(http.StatusOK)
		return
	case http.MethodPost:
	default:
		w.Header().Set("Allow", "GET, HEAD, POST")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	got := r.Header.Get(secretHeader)
	if subtle.ConstantTimeCompare([]byte(got), []byte(t.opts.WebhookSecret)) != 1 {
		t.badSecrets.do(t.clock.Now(), func(suppressed int) {
			t.log.Warn("webhook request without the secret token refused", "remote", r.RemoteAddr, "suppressed", suppressed)
		})
		http.Error(w, "unauthorized", http.StatusUnauthorized)
		return
	}
	raw, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxUpdateBytes))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			http.Error(w, "too large", http.StatusRequestEntityTooLarge)
			return
		}
		http.Error(w, "bad request", http.StatusBadRequest) // Telegram sends it again
		return
	}
	var upd models.Update
	if err := json.Unmarshal(raw, &upd); err != nil {
		// An update this library cannot read would come back for ever:
		// it is dropped, as the library drops one when polling.
		t.log.Warn("webhook update not readable, dropped", "err", err)
		w.WriteHeader(http.StatusOK)
		return
	}
	// Telegram forgets an update once answered 200: only a kept update is.
	// One sent again (after a timeout, or a crash before the answer) is
	// kept once, by its update_id.
	if e, ok := entryOf(&upd, raw); ok {
		if err := t.keep(r.Context(), rs, []intake.Entry{e}); err != nil {
			t.keepErrs.do(t.clock.Now(), func(suppressed int) {
				t.log.Warn("webhook update not kept; Telegram will send it again", "update", upd.ID, "err", err, "suppressed", suppressed)
			})
			http.Error(w, "busy", http.StatusServiceUnavailable)
			return
		}
	}
	w.WriteHeader(http.StatusOK)
}
