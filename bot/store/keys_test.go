package store_test

import (
	"context"
	"go/ast"
	"go/parser"
	"go/token"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/huzhu-station/huzhu/bot/store"
	"github.com/huzhu-station/huzhu/bot/store/storetest"
)

// keyHelpers are the builders of keys.go that the others are made with;
// they build no key family of their own.
var keyHelpers = map[string]bool{"global": true, "station": true, "wechat": true, "outbox": true, "reminderShard": true, "build": true}

// TestKeyFamiliesAreComplete fails when keys.go gains a key builder that
// store.KeyFamilies does not call, so the slot tests below cover every key
// huzhu writes.
func TestKeyFamiliesAreComplete(t *testing.T) {
	f, err := parser.ParseFile(token.NewFileSet(), "keys.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	listed := map[string]bool{}
	for _, fam := range store.KeyFamilies("") {
		if listed[fam.Method] {
			t.Errorf("KeyFamilies lists %s twice", fam.Method)
		}
		listed[fam.Method] = true
	}
	declared := map[string]bool{}
	for _, d := range f.Decls {
		fn, ok := d.(*ast.FuncDecl)
		if !ok || fn.Recv == nil || len(fn.Recv.List) != 1 {
			continue
		}
		if id, ok := fn.Recv.List[0].Type.(*ast.Ident); !ok || id.Name != "keys" {
			continue
		}
		name := fn.Name.Name
		if keyHelpers[name] {
			continue
		}
		declared[name] = true
		if !listed[name] {
			t.Errorf("keys.go builds %s, which store.KeyFamilies (export_test.go) does not call: add it with its hash tag", name)
		}
	}
	for name := range listed {
		if !declared[name] {
			t.Errorf("store.KeyFamilies calls %s, which keys.go no longer declares", name)
		}
	}
}

// TestKeyFamilySlots asserts that every key of one station, every key of
// one WeChat account, every outbox key of one platform and every web link
// key hashes to one Redis Cluster slot, so any MULTI over
// them runs on a Cluster; and that a global key carries no hash tag, so
// global records spread over the Cluster.
func TestKeyFamilySlots(t *testing.T) {
	for _, prefix := range []string{"", "t0123456789ab:"} {
		slotOfTag := map[string]int{}
		for _, fam := range store.KeyFamilies(prefix) {
			key, slot := fam.Key, storetest.Slot(fam.Key)
			if fam.Tag == "" {
				if strings.HasPrefix(key, prefix+store.KeyVersion+"{") {
					t.Errorf("%s: global key %q begins with a hash tag", fam.Method, key)
				}
				continue
			}
			if !strings.HasPrefix(key, prefix+store.KeyVersion+"{"+fam.Tag+"}:") {
				t.Errorf("%s: key %q does not begin with the hash tag {%s}", fam.Method, key, fam.Tag)
			}
			if want, ok := slotOfTag[fam.Tag]; !ok {
				slotOfTag[fam.Tag] = slot
			} else if slot != want {
				t.Errorf("%s: key %q is in slot %d, the other {%s} keys in slot %d", fam.Method, key, slot, fam.Tag, want)
			}
		}
		if len(slotOfTag) != 6 {
			t.Errorf("hash tags seen: %v, want a station's, an account's, a platform's outbox, the web links', a reminder shard's and the reminders' own", slotOfTag)
		}
	}
}

// TestSlotMatchesRedis cross-checks storetest.Slot against CLUSTER KEYSLOT
// of a real redis-server, on every key family and on the corner cases of
// the hash tag rule.
func TestSlotMatchesRedis(t *testing.T) {
	addr := storetest.StartRedisServer(t, "--cluster-enabled", "yes")
	c := redis.NewClient(&redis.Options{Addr: addr})
	defer c.Close()
	samples := []string{"", "a", "foo", "{}", "{}x", "a{b}c", "{a}{b}", "x{", "x}{y}", "123456789", "站点"}
	for _, fam := range store.KeyFamilies("t0123456789ab:") {
		samples = append(samples, fam.Key)
	}
	ctx := context.Background()
	for _, key := range samples {
		want, err := c.ClusterKeySlot(ctx, key).Result()
		if err != nil {
			t.Fatalf("CLUSTER KEYSLOT %q: %v", key, err)
		}
		if got := storetest.Slot(key); int64(got) != want {
			t.Errorf("Slot(%q) = %d, Redis says %d", key, got, want)
		}
	}
}
