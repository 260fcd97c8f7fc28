// Package metrics counts what the bot does, for Prometheus, and answers the
// health checks (/healthz, /readyz) beside the metrics (/metrics): messages
// by command and outcome, how long they took, Redis round trips, reminders
// due, sent, late, retried and dead-lettered, sends held back by a pacer,
// and platform errors.
//
// Nothing here is on unless the program makes a Metrics and serves its
// Handler; a Metrics is safe for concurrent use.
package metrics

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/redis/go-redis/v9"

	"github.com/huzhu-station/huzhu/bot"
)

// Outcome is how serving a message ended, the "outcome" label of
// huzhu_messages_total.
type Outcome string

// The outcomes of a message.
const (
	Served      Outcome = "served"       // the command did its work
	BadInput    Outcome = "bad_input"    // answered with what was wrong: a malformed command, a role missing, a refusal
	Busy        Outcome = "busy"         // the store was busy or could not be reached, or the message was being served already
	Failed      Outcome = "error"        // anything else: a bug, a panic, a platform that failed to answer
	RateLimited Outcome = "rate_limited" // over a person's or a group's rate limit
)

// Classifier tells the outcome of the error a command returned, for the
// errors only the program knows (its own bad-input and busy errors); it
// returns "" for one it does not know.
type Classifier func(error) Outcome

// Metrics holds huzhu's Prometheus metrics in a registry of its own.
type Metrics struct {
	reg      *prometheus.Registry
	classify Classifier

	messages       *prometheus.CounterVec
	latency        *prometheus.HistogramVec
	roundTrips     prometheus.Counter
	remindersDue   prometheus.Counter
	remindersSent  prometheus.Counter
	remindersLate  prometheus.Counter
	remindersRetry prometheus.Counter
	remindersDead  prometheus.Counter
	reminderLag    prometheus.Histogram
	throttled      *prometheus.CounterVec
	platformErrors *prometheus.CounterVec
}

// New returns the metrics, registered with the Go runtime's and the
// process's own. classify may be nil.
func New(classify Classifier) *Metrics {
	m := &Metrics{
		reg:      prometheus.NewRegistry(),
		classify: classify,
		messages: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "huzhu_messages_total",
			Help: "Messages that reached a command, by command and outcome (served, bad_input, busy, error, rate_limited).",
		}, []string{"command", "outcome"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "huzhu_message_duration_seconds",
			Help:    "Time to serve a message that reached a command, from dedupe to the last reply handed to the sender.",
			Buckets: []float64{.001, .0025, .005, .01, .02, .05, .1, .25, .5, 1, 2.5, 5},
		}, []string{"command"}),
		roundTrips: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "huzhu_redis_round_trips_total",
			Help: "Requests to Redis: a command alone, or a pipeline or MULTI/EXEC, is one.",
		}),
		remindersDue: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "huzhu_reminders_due_total", Help: "Reminder occurrences claimed for delivery.",
		}),
		remindersSent: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "huzhu_reminders_sent_total", Help: "Reminder occurrences delivered.",
		}),
		remindersLate: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "huzhu_reminders_late_total", Help: "Reminder occurrences dropped because they fell due longer ago than their useful window.",
		}),
		remindersRetry: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "huzhu_reminders_retried_total", Help: "Failed reminder deliveries put back in the queue to try again.",
		}),
		remindersDead: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "huzhu_reminders_dead_lettered_total", Help: "Reminder occurrences given up on and kept in the dead letters.",
		}),
		reminderLag: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "huzhu_reminder_lag_seconds",
			Help:    "How long after it fell due a reminder occurrence was sent.",
			Buckets: []float64{.01, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 300},
		}),
		throttled: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "huzhu_sends_throttled_total",
			Help: "Sends a pacer held back to keep within the platform's limits, by platform.",
		}, []string{"platform"}),
		platformErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "huzhu_platform_errors_total",
			Help: "Platform failures by platform and operation: send (a message refused or lost) or run (the platform stopped and is restarted).",
		}, []string{"platform", "op"}),
	}
	m.reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.messages, m.latency, m.roundTrips,
		m.remindersDue, m.remindersSent, m.remindersLate, m.remindersRetry, m.remindersDead, m.reminderLag,
		m.throttled, m.platformErrors,
	)
	return m
}

// Registry returns the registry the metrics are in, to read them back.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// outcomeSlot carries the outcome Outcomes saw from the inside of the chain
// out to Middleware.
type outcomeSlot struct{ outcome Outcome }

type slotKey struct{}

// Middleware counts every message that reached a command, by command and
// outcome, and times it. Put it outside the whole chain, so the time
// includes dedupe and identifying the sender; the outcome of a command
// whose error the chain answers and swallows (a malformed command, a rate
// limit) is noted by Outcomes further in. Messages that name no command and
// end without an error (ordinary chat) are not counted.
func (m *Metrics) Middleware() bot.Middleware {
	return func(next bot.Handler) bot.Handler {
		return bot.HandlerFunc(func(ctx context.Context, r bot.Responder, msg *bot.Message) error {
			start := time.Now()
			slot := &outcomeSlot{}
			err := next.ServeMessage(context.WithValue(ctx, slotKey{}, slot), r, msg)
			if msg.Command == "" && err == nil && (slot.outcome == "" || slot.outcome == Served) {
				return nil
			}
			outcome := slot.outcome
			if outcome == "" || (err != nil && outcome == Served) {
				outcome = m.outcome(err)
			}
			command := msg.Command
			if command == "" {
				command = "none"
			}
			m.messages.WithLabelValues(command, string(outcome)).Inc()
			m.latency.WithLabelValues(command).Observe(time.Since(start).Seconds())
			return err
		})
	}
}

// Outcomes notes the outcome of the error a command returned, before the
// chain answers it and lets it go, for Middleware to count. Put it just
// inside the middleware that turns errors into replies.
func (m *Metrics) Outcomes() bot.Middleware {
	return func(next bot.Handler) bot.Handler {
		return bot.HandlerFunc(func(ctx context.Context, r bot.Responder, msg *bot.Message) error {
			err := next.ServeMessage(ctx, r, msg)
			if slot, ok := ctx.Value(slotKey{}).(*outcomeSlot); ok {
				slot.outcome = m.outcome(err)
			}
			return err
		})
	}
}

// outcome classifies err: the program's classifier first, then the errors
// package bot knows.
func (m *Metrics) outcome(err error) Outcome {
	if err == nil {
		return Served
	}
	if m.classify != nil {
		if o := m.classify(err); o != "" {
			return o
		}
	}
	switch {
	case errors.Is(err, bot.ErrRateLimited), errors.Is(err, bot.ErrGroupRateLimited):
		return RateLimited
	case errors.Is(err, bot.ErrInFlight):
		return Busy
	}
	return Failed
}

// Handler serves the metrics in Prometheus's text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// RedisHook returns a go-redis hook that counts round trips: each command
// sent on its own, and each pipeline or MULTI/EXEC, is one. A context made
// with CountRoundTrips also has them added to its tally.
func (m *Metrics) RedisHook() redis.Hook { return roundTripHook{m.roundTrips} }

// tallyKey carries the tally of CountRoundTrips.
type tallyKey struct{}

// CountRoundTrips returns ctx carrying tally: every round trip a client
// with RedisHook makes under the returned context adds one to *tally.
func CountRoundTrips(ctx context.Context, tally *atomic.Int64) context.Context {
	return context.WithValue(ctx, tallyKey{}, tally)
}

// traceKey carries the trace of TraceRoundTrips.
type traceKey struct{}

// Trace lists the round trips made under a context of TraceRoundTrips,
// each as the commands it carried ("SET NX | GET", "MULTI: SET HSET").
type Trace struct {
	mu    sync.Mutex
	trips []string
}

// Trips returns the round trips traced so far, in order.
func (t *Trace) Trips() []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return slices.Clone(t.trips)
}

// TraceRoundTrips returns ctx under which every round trip a client with
// RedisHook makes is listed in t: which commands each carried.
func TraceRoundTrips(ctx context.Context, t *Trace) context.Context {
	return context.WithValue(ctx, traceKey{}, t)
}

type roundTripHook struct{ total prometheus.Counter }

func (h roundTripHook) count(ctx context.Context, cmds []redis.Cmder) {
	h.total.Inc()
	if t, ok := ctx.Value(tallyKey{}).(*atomic.Int64); ok {
		t.Add(1)
	}
	if t, ok := ctx.Value(traceKey{}).(*Trace); ok {
		names := make([]string, 0, len(cmds))
		for _, c := range cmds {
			name := strings.ToUpper(c.Name())
			if args := c.Args(); len(args) > 1 {
				name += " " + fmt.Sprint(args[1])
			}
			names = append(names, name)
		}
		t.mu.Lock()
		t.trips = append(t.trips, strings.Join(names, " | "))
		t.mu.Unlock()
	}
}

func (roundTripHook) DialHook(next redis.DialHook) redis.DialHook { return next }

func (h roundTripHook) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		if !Handshake(cmd) {
			h.count(ctx, []redis.Cmder{cmd})
		}
		return next(ctx, cmd)
	}
}

func (h roundTripHook) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		if len(cmds) == 0 || !Handshake(cmds[0]) {
			h.count(ctx, cmds)
		}
		return next(ctx, cmds)
	}
}

// Handshake reports whether cmd is part of go-redis's handshake on a new
// connection (HELLO, AUTH, CLIENT SETINFO, SELECT), which runs through the
// hooks with the context of the request that needed the connection: those
// are the pool's round trips, not the request's.
func Handshake(cmd redis.Cmder) bool {
	switch cmd.Name() {
	case "hello", "auth", "client", "select":
		return true
	}
	return false
}

// ReminderDue counts an occurrence claimed for delivery (scheduler.Observer).
func (m *Metrics) ReminderDue() { m.remindersDue.Inc() }

// ReminderSent counts an occurrence delivered lag after it fell due.
func (m *Metrics) ReminderSent(lag time.Duration) {
	m.remindersSent.Inc()
	m.reminderLag.Observe(max(lag, 0).Seconds())
}

// ReminderLate counts an occurrence dropped past its useful window.
func (m *Metrics) ReminderLate() { m.remindersLate.Inc() }

// ReminderRetried counts a failed delivery to be tried again.
func (m *Metrics) ReminderRetried() { m.remindersRetry.Inc() }

// ReminderDeadLettered counts an occurrence given up on.
func (m *Metrics) ReminderDeadLettered() { m.remindersDead.Inc() }

// PacerSleep returns the sleep for bot.NewPacer on platform: it counts each
// send the pacer holds back, then waits with sleep.
func (m *Metrics) PacerSleep(platform string, sleep func(ctx context.Context, d time.Duration) error) func(ctx context.Context, d time.Duration) error {
	held := m.throttled.WithLabelValues(platform)
	return func(ctx context.Context, d time.Duration) error {
		held.Inc()
		return sleep(ctx, d)
	}
}

// Sender returns next, counting the sends it fails as platform errors of
// platform.
func (m *Metrics) Sender(platform string, next bot.Sender) bot.Sender {
	failed := m.platformErrors.WithLabelValues(platform, "send")
	return bot.SenderFunc(func(ctx context.Context, out bot.Outgoing) error {
		err := next.Send(ctx, out)
		if err != nil && ctx.Err() == nil {
			failed.Inc()
		}
		return err
	})
}

// PlatformFailed counts a run of platform that stopped with an error.
func (m *Metrics) PlatformFailed(platform string) {
	m.platformErrors.WithLabelValues(platform, "run").Inc()
}

// Serve serves the metrics at /metrics and the checks (see Health) at
// /healthz and /readyz on addr until ctx is done. It returns once it is
// listening, or with the error that kept it from listening; the server stops
// when ctx is done.
func (m *Metrics) Serve(ctx context.Context, addr string, checks ...Check) (net.Addr, error) {
	mux := http.NewServeMux()
	mux.Handle("/metrics", m.Handler())
	healthz, readyz := Health(checks...)
	mux.Handle("/healthz", healthz)
	mux.Handle("/readyz", readyz)
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()
	return ln.Addr(), nil
}
