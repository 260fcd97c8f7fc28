package storetest

import (
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"
)

// TestSlotKnownValues checks Slot against values the Redis Cluster
// specification and redis-cli give.
func TestSlotKnownValues(t *testing.T) {
	for key, want := range map[string]int{
		"123456789":    12739, // CRC16/XMODEM check value 0x31C3
		"foo":          12182,
		"{user1000}.a": 3443,
	} {
		if got := Slot(key); got != want {
			t.Errorf("Slot(%q) = %d, want %d", key, got, want)
		}
	}
	if Slot("a{b}c") != Slot("b") || Slot("x{b}{c}") != Slot("b") {
		t.Error("the first non-empty {…} is the hash tag")
	}
	if Slot("{}b") == Slot("b") {
		t.Error("an empty {} is no hash tag: the whole key is hashed")
	}
}

// TestOneSlotHookCheck shows the check the Miniredis backend runs on every
// MULTI: one tag passes, two tags fail, arguments without the prefix are
// not keys.
func TestOneSlotHookCheck(t *testing.T) {
	h := &oneSlotHook{prefix: "p:"}
	tx := func(keys ...string) []redis.Cmder {
		cmds := []redis.Cmder{redis.NewStatusCmd(nil, "multi")}
		for _, k := range keys {
			cmds = append(cmds, redis.NewIntCmd(nil, "hset", k, "f", "{other}"))
		}
		return append(cmds, redis.NewSliceCmd(nil, "exec"))
	}
	if err := h.check(tx("p:{st:1}:a", "p:{st:1}:b")); err != nil {
		t.Errorf("one tag: %v", err)
	}
	err := h.check(tx("p:{st:1}:a", "p:{st:2}:b"))
	if err == nil || !strings.Contains(err.Error(), "{st:2}") {
		t.Errorf("two tags: %v, want an error naming the second key", err)
	}
}
