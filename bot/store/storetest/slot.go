package storetest

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/huzhu-station/huzhu/bot/store"
)

// Slot returns the Redis Cluster hash slot of key, as the Cluster
// specification defines it: CRC16 (XMODEM) of the key's hash tag, the part
// between the first "{" and the next "}" when that part is not empty, or
// else of the whole key, modulo 16384.
func Slot(key string) int {
	if open := strings.IndexByte(key, '{'); open >= 0 {
		if n := strings.IndexByte(key[open+1:], '}'); n > 0 {
			key = key[open+1 : open+1+n]
		}
	}
	return int(crc16(key)) % clusterSlots
}

// crc16 is CRC-16/XMODEM (polynomial 0x1021, initial value 0), the checksum
// Redis Cluster hashes keys with.
func crc16(s string) uint16 {
	var crc uint16
	for i := 0; i < len(s); i++ {
		crc ^= uint16(s[i]) << 8
		for range 8 {
			if crc&0x8000 != 0 {
				crc = crc<<1 ^ 0x1021
			} else {
				crc <<= 1
			}
		}
	}
	return crc
}

// oneSlotHook fails the test when a MULTI/EXEC touches keys of more than one
// Cluster slot, which a Redis Cluster refuses (CROSSSLOT). The MULTI that
// makes a message's held writes with its served mark is left out
// (store.AcrossSlots): a Cluster never holds writes, and each held write is
// checked alone wherever it is made at once. A key is any
// argument that begins with the Backend's prefix, so the check needs no
// table of which argument of which command is a key.
type oneSlotHook struct {
	t      testing.TB
	prefix string

	mu     sync.Mutex
	failed bool // report only the first offence, not one per command
}

func (h *oneSlotHook) DialHook(next redis.DialHook) redis.DialHook { return next }

func (h *oneSlotHook) ProcessHook(next redis.ProcessHook) redis.ProcessHook { return next }

func (h *oneSlotHook) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		if len(cmds) > 0 && strings.EqualFold(cmds[0].Name(), "multi") && !store.AcrossSlots(ctx) {
			if err := h.check(cmds); err != nil {
				h.mu.Lock()
				first := !h.failed
				h.failed = true
				h.mu.Unlock()
				if first {
					h.t.Errorf("storetest: %v", err)
				}
			}
		}
		return next(ctx, cmds)
	}
}

// check reports the keys of a transaction that fall in different slots.
func (h *oneSlotHook) check(cmds []redis.Cmder) error {
	first, slot := "", -1
	for _, c := range cmds {
		for _, a := range c.Args()[1:] {
			key, ok := a.(string)
			if !ok || !strings.HasPrefix(key, h.prefix) {
				continue
			}
			switch s := Slot(key); {
			case slot < 0:
				first, slot = key, s
			case s != slot:
				return fmt.Errorf("one MULTI touches %q (slot %d) and %q (slot %d); a Redis Cluster refuses it", first, slot, key, s)
			}
		}
	}
	return nil
}
