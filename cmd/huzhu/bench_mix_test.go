package main

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// TestBenchMix runs `huzhu bench mix` small on the embedded store and
// checks the figures it promises on its last line; no timing is asserted.
func TestBenchMix(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	var out, errOut bytes.Buffer
	args := []string{"bench", "mix", "--stations", "2", "--residents", "10", "--messages", "200", "--concurrency", "4"}
	if err := run(ctx, args, func(string) string { return "" }, strings.NewReader(""), &out, &errOut); err != nil {
		t.Fatalf("huzhu bench mix: %v\nstdout:\n%s\nstderr:\n%s", err, out.String(), errOut.String())
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	last := lines[len(lines)-1]
	t.Logf("huzhu %s:\n%s", strings.Join(args, " "), out.String())
	var got map[string]any
	if err := json.Unmarshal([]byte(last), &got); err != nil {
		t.Fatalf("last line is not one JSON object: %v\n%s", err, last)
	}
	for _, field := range []string{"msgs_per_s", "p50_ms", "p99_ms", "redis_round_trips_per_msg", "allocs_per_msg", "rss_mb", "errors", "per_command"} {
		if _, ok := got[field]; !ok {
			t.Errorf("no %q in %s", field, last)
		}
	}
	if got["errors"] != 0.0 || got["messages"] != 200.0 {
		t.Errorf("errors = %v, messages = %v; want 0 and 200", got["errors"], got["messages"])
	}
	per, _ := got["per_command"].(map[string]any)
	for _, c := range theMix {
		f, ok := per[c.name].(map[string]any)
		if !ok {
			t.Errorf("per_command lacks %s", c.name)
			continue
		}
		if trips, _ := f["redis_round_trips_per_msg"].(float64); f["count"].(float64) > 0 && trips <= 0 {
			t.Errorf("%s: %v round trips per message, want some", c.name, trips)
		}
		outcomes, _ := f["outcomes"].(map[string]any)
		if f["count"].(float64) > 0 && outcomes["served"] == nil {
			t.Errorf("%s: none served: %v", c.name, outcomes)
		}
	}
	if !strings.Contains(out.String(), "\ncleanup: ") {
		t.Error("the bench's keys were not deleted")
	}
}

// TestBenchFloor runs `huzhu bench mix --floor` small on the embedded store,
// with the writes --floor-commands adds: every message is served, and its
// writes are made and deleted at the end.
func TestBenchFloor(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var out, errOut bytes.Buffer
	args := []string{"bench", "mix", "--floor", "--floor-commands", "17", "--stations", "2", "--residents", "10", "--messages", "300", "--concurrency", "4"}
	if err := run(ctx, args, func(string) string { return "" }, strings.NewReader(""), &out, &errOut); err != nil {
		t.Fatalf("huzhu bench mix --floor: %v\nstdout:\n%s\nstderr:\n%s", err, out.String(), errOut.String())
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	var got mixResult
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &got); err != nil {
		t.Fatalf("last line is not one JSON object: %v\n%s", err, out.String())
	}
	if got.Mode != "floor" || got.Messages != 300 || got.Errors != 0 || got.MsgsPerS <= 0 || got.RedisRoundTripsPerMsg != floorTrips {
		t.Errorf("figures %+v; want mode floor, 300 messages, no errors, %d round trips", got, floorTrips)
	}
	// 20 member records; for each message its claim, its problem, its
	// served mark and, of the 5 writes more than the fewest, its log; for
	// each resident their list and last report; each station's list of
	// problems, counter, due list and outbox, which the embedded store keeps
	// as a key once emptied.
	if want := "cleanup: 1268 keys under "; !strings.Contains(out.String(), want) {
		t.Errorf("output lacks %q:\n%s", want, out.String())
	}
}
