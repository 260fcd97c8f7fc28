package main

import (
	"io"
	"strings"
	"testing"
	"time"
)

func TestAdminsRefusedAtStartUp(t *testing.T) {
	tests := []struct {
		admins string
		ok     bool
		says   string // part of the error, when refused
	}{
		{"", true, ""},
		{"telegram:123456", true, ""},
		{"telegram:1,wechat:u31 console:街道管理员", true, ""},
		{"console:", false, "no id"},
		{":", false, "no platform"},
		{":123", false, "no platform"},
		{"a;b", false, "no colon"},
		{"telegram", false, "no colon"},
		{"telegram:1:2", false, "more than one colon"},
		{"Telegram:1", false, `"telegram:1"`},
		{"WECHAT:u3", false, `"wechat:u3"`},
		{"signal:123", false, "unknown platform"},
		{"tg:123", false, "unknown platform"},
		{"telegram:abc", false, "positive number"},
		{"telegram:-100123", false, "positive number"},
		{"telegram:0", false, "positive number"},
		{"telegram:0123", false, "positive number"},
		{"telegram:", false, "no id"},
		{"wechat:31", false, "wechat:u31"},
		{"wechat:u", false, "wechat:u31"},
		{"wechat:@1f3a", false, "wechat:u31"},
		{"console:a;b", false, "commas"},
		{"telegram:1;telegram:2", false, "more than one colon"},
	}
	for _, tt := range tests {
		t.Run(tt.admins, func(t *testing.T) {
			env := map[string]string{"HUZHU_ADMINS": tt.admins}
			_, err := parseConfig(nil, func(k string) string { return env[k] }, io.Discard)
			if (err == nil) != tt.ok {
				t.Fatalf("parseConfig = %v, want ok=%v", err, tt.ok)
			}
			if err == nil {
				return
			}
			for _, want := range []string{"HUZHU_ADMINS", tt.says, "telegram:123456"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not say %q", err, want)
				}
			}
		})
	}
}

// TestWaitSettings: REDIS_WAIT_REPLICAS and REDIS_WAIT_TIMEOUT reach the
// store's Config, and a value that is not a count or a duration stops
// start-up.
func TestWaitSettings(t *testing.T) {
	env := map[string]string{"REDIS_WAIT_REPLICAS": "2", "REDIS_WAIT_TIMEOUT": "250ms"}
	cfg, err := parseConfig(nil, func(k string) string { return env[k] }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Store.WaitReplicas == nil || *cfg.Store.WaitReplicas != 2 || cfg.Store.WaitTimeout != 250*time.Millisecond {
		t.Errorf("store config %+v", cfg.Store)
	}
	cfg, err = parseConfig(nil, func(string) string { return "" }, io.Discard)
	if err != nil || cfg.Store.WaitReplicas != nil || cfg.Store.WaitTimeout != 0 {
		t.Errorf("unset: %+v, %v; want the store's defaults", cfg.Store, err)
	}
	for _, bad := range []map[string]string{{"REDIS_WAIT_REPLICAS": "-1"}, {"REDIS_WAIT_REPLICAS": "one"}, {"REDIS_WAIT_TIMEOUT": "100"}} {
		if _, err := parseConfig(nil, func(k string) string { return bad[k] }, io.Discard); err == nil {
			t.Errorf("%v accepted", bad)
		}
	}
}
