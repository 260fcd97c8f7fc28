package main

import (
	"io"
	"strings"
	"testing"
	"time"

	"github.com/huzhu-station/huzhu/bot/store"
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

// TestWebSettings: --http and --public-url (or their environment) reach
// the Config, the public URL defaults to the listen address, and settings
// that cannot work stop start-up.
func TestWebSettings(t *testing.T) {
	tests := []struct {
		args []string
		env  map[string]string
		url  string // PublicURL; "" when refused
	}{
		{nil, nil, ""},
		{[]string{"console", "--http", ":8080"}, nil, "http://localhost:8080"},
		{[]string{"--http", "127.0.0.1:9000"}, nil, "http://127.0.0.1:9000"},
		{[]string{"--http", ":8080", "--public-url", "https://huzhu.example.org/"}, nil, "https://huzhu.example.org"},
		{nil, map[string]string{"HUZHU_HTTP": ":80", "HUZHU_PUBLIC_URL": "https://a.example"}, "https://a.example"},
		{[]string{"--http", "8080"}, nil, ""},
		{[]string{"--public-url", "https://a.example"}, nil, ""},
		{[]string{"--http", ":8080", "--public-url", "ftp://a.example"}, nil, ""},
		{[]string{"--http", ":8080", "--public-url", "https://a.example/?x=1"}, nil, ""},
	}
	for _, tt := range tests {
		cfg, err := parseConfig(tt.args, func(k string) string { return tt.env[k] }, io.Discard)
		refused := tt.url == "" && (len(tt.args) > 0 || len(tt.env) > 0)
		switch {
		case refused && err == nil:
			t.Errorf("%v %v: accepted, PublicURL %q", tt.args, tt.env, cfg.PublicURL)
		case !refused && err != nil:
			t.Errorf("%v %v: %v", tt.args, tt.env, err)
		case !refused && cfg.PublicURL != tt.url:
			t.Errorf("%v %v: PublicURL %q; want %q", tt.args, tt.env, cfg.PublicURL, tt.url)
		}
	}
}

func TestProcsBesideRedis(t *testing.T) {
	local := store.Config{URL: "redis://127.0.0.1:6379"}
	for _, tc := range []struct {
		cfg         store.Config
		procs, want int
	}{
		{local, 2, 1},
		{local, 8, 7},
		{local, 1, 1}, // never none
		{store.Config{URL: "redis://redis.internal:6379"}, 8, 8},
		{store.Config{}, 2, 2}, // the embedded store runs inside huzhu: every core
	} {
		if got := procsBesideRedis(tc.cfg, tc.procs); got != tc.want {
			t.Errorf("procsBesideRedis(%+v, %d) = %d, want %d", tc.cfg, tc.procs, got, tc.want)
		}
	}
}
