package web

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

const testBotToken = "123456789:AAtestTOKENtestTOKENtestTOKENtest"

// signInitData signs fields as Telegram does.
func signInitData(fields map[string]string, token string) string {
	var lines []string
	for k, v := range fields {
		lines = append(lines, k+"="+v)
	}
	sort.Strings(lines)
	secret := hmac.New(sha256.New, []byte("WebAppData"))
	secret.Write([]byte(token))
	mac := hmac.New(sha256.New, secret.Sum(nil))
	mac.Write([]byte(strings.Join(lines, "\n")))
	q := url.Values{}
	for k, v := range fields {
		q.Set(k, v)
	}
	q.Set("hash", hex.EncodeToString(mac.Sum(nil)))
	return q.Encode()
}

func TestValidateInitData(t *testing.T) {
	now := time.Unix(1_790_000_000, 0)
	fields := func(auth time.Time) map[string]string {
		return map[string]string{"auth_date": strconv.FormatInt(auth.Unix(), 10), "query_id": "AAH",
			"user": `{"id":4242,"first_name":"王","last_name":"阿姨","language_code":"zh-hans"}`}
	}
	good := signInitData(fields(now.Add(-time.Minute)), testBotToken)
	tampered := strings.Replace(good, "4242", "4243", 1)
	tests := []struct {
		name, data, token string
		ok                bool
	}{
		{"signed", good, testBotToken, true},
		{"other bot", good, "987654321:BBother", false},
		{"tampered", tampered, testBotToken, false},
		{"old", signInitData(fields(now.Add(-2*time.Hour)), testBotToken), testBotToken, false},
		{"from the future", signInitData(fields(now.Add(time.Hour)), testBotToken), testBotToken, false},
		{"no hash", "auth_date=1&user=%7B%7D", testBotToken, false},
		{"two hashes", good + "&hash=00", testBotToken, false},
		{"no user", signInitData(map[string]string{"auth_date": strconv.FormatInt(now.Unix(), 10)}, testBotToken), testBotToken, false},
		{"empty", "", testBotToken, false},
		{"no token", good, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u, err := ValidateInitData(tt.data, tt.token, now, time.Hour)
			if tt.ok && (err != nil || u.ID != 4242 || u.FirstName != "王") {
				t.Errorf("= %+v, %v; want user 4242", u, err)
			}
			if !tt.ok && !errors.Is(err, ErrInitData) {
				t.Errorf("= %+v, %v; want ErrInitData", u, err)
			}
		})
	}
}

func FuzzValidateInitData(f *testing.F) {
	now := time.Unix(1_790_000_000, 0)
	f.Add(signInitData(map[string]string{"auth_date": strconv.FormatInt(now.Unix(), 10), "user": `{"id":1}`}, testBotToken))
	f.Add("hash=" + strings.Repeat("0", 64))
	f.Add("a=%zz&hash=1")
	f.Add("")
	f.Fuzz(func(t *testing.T, data string) {
		u, err := ValidateInitData(data, testBotToken, now, time.Hour)
		if err == nil && u.ID <= 0 {
			t.Errorf("accepted %q with user %+v", data, u)
		}
		if err != nil && !errors.Is(err, ErrInitData) {
			t.Errorf("error %v does not wrap ErrInitData", err)
		}
	})
}
