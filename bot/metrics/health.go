package metrics

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// ReadyTimeout bounds how long /readyz waits for all its checks together.
const ReadyTimeout = 2 * time.Second

// Check is one thing /readyz asks: Check returns nil when Name is ready.
type Check struct {
	Name  string
	Check func(ctx context.Context) error
}

// Health returns the handlers of /healthz, which answers 200 while the
// process runs, and /readyz, which answers 200 when every check passes
// within ReadyTimeout and 503 otherwise, naming each check and what failed
// (never a secret: the checks' errors name addresses at most).
func Health(checks ...Check) (healthz, readyz http.Handler) {
	healthz = http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintln(w, "ok")
	})
	readyz = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), ReadyTimeout)
		defer cancel()
		var report strings.Builder
		ready := true
		for _, c := range checks {
			if err := c.Check(ctx); err != nil {
				ready = false
				fmt.Fprintf(&report, "%s: %v\n", c.Name, err)
				continue
			}
			fmt.Fprintf(&report, "%s: ok\n", c.Name)
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		if !ready {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
		fmt.Fprint(w, report.String())
	})
	return healthz, readyz
}
