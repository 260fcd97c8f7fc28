package telegram

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	tgbot "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"

	"github.com/huzhu-station/huzhu/bot/intake"
)

// The library's own polling confirms a batch to Telegram (the next
// getUpdates' offset) as soon as it has read it, before anything was served
// or kept. huzhu polls itself instead: the offset moves past a batch only
// once the batch is in the intake, so a process killed at any moment loses
// no update, and Telegram hands out again what was not kept.

// pollTimeout is how long one getUpdates waits for an update.
const pollTimeout = 50 * time.Second

// pollLimit is the most updates one getUpdates returns (the Bot API's
// maximum).
const pollLimit = 100

// maxPollWait bounds the wait between failed polls.
const maxPollWait = 5 * time.Second

// defaultAPIURL is Telegram's own Bot API server.
const defaultAPIURL = "https://api.telegram.org"

// poll reads updates by long polling until ctx is done.
func (t *Telegram) poll(ctx context.Context, rs *runState) error {
	// getUpdates is refused while a webhook is set; someone who switched
	// from webhook to polling expects polling to work.
	info, err := t.api.GetWebhookInfo(ctx)
	if err != nil {
		return fmt.Errorf("telegram: getWebhookInfo: %w", err)
	}
	if info.URL != "" {
		t.log.Warn("removing the webhook to poll for updates; unset TELEGRAM_WEBHOOK_URL only when no instance serves it", "webhook", info.URL)
		if _, err := t.api.DeleteWebhook(ctx, &tgbot.DeleteWebhookParams{}); err != nil {
			return fmt.Errorf("telegram: deleteWebhook: %w", err)
		}
	}
	var offset int64
	var wait time.Duration
	for {
		if wait > 0 && sleep(ctx, wait) != nil {
			return nil
		}
		raws, err := t.getUpdates(ctx, offset)
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			t.onLibError(err)
			wait = pollBackoff(wait, err)
			continue
		}
		entries, next := t.entries(raws, offset)
		if err := t.keep(ctx, rs, entries); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			// Not confirmed: the same batch comes back on the next poll.
			t.keepErrs.do(t.clock.Now(), func(suppressed int) {
				t.log.Warn("updates not kept, asking Telegram again", "err", err, "suppressed", suppressed)
			})
			wait = pollBackoff(wait, err)
			continue
		}
		offset, wait = next, 0
	}
}

// pollBackoff is the wait after a failed poll: Telegram's retry_after, or
// doubling from 100 ms up to maxPollWait.
func pollBackoff(wait time.Duration, err error) time.Duration {
	var tooMany *tgbot.TooManyRequestsError
	if errors.As(err, &tooMany) && tooMany.RetryAfter > 0 {
		return time.Duration(tooMany.RetryAfter) * time.Second
	}
	if wait == 0 {
		return 100 * time.Millisecond
	}
	return min(2*wait, maxPollWait)
}

// entries turns a batch into the intake's entries, leaving out updates that
// cannot be read or are not for huzhu, and returns the offset that confirms
// the batch.
func (t *Telegram) entries(raws []json.RawMessage, offset int64) ([]intake.Entry, int64) {
	var out []intake.Entry
	for _, raw := range raws {
		var upd models.Update
		if err := json.Unmarshal(raw, &upd); err != nil {
			var head struct {
				ID int64 `json:"update_id"`
			}
			_ = json.Unmarshal(raw, &head)
			t.log.Warn("update not readable, dropped", "update", head.ID, "err", err)
			offset = max(offset, head.ID+1)
			continue
		}
		offset = max(offset, upd.ID+1)
		if e, ok := entryOf(&upd, raw); ok {
			out = append(out, e)
		}
	}
	return out, offset
}

// entryOf returns upd as an intake entry, and false for an update huzhu
// does not read.
func entryOf(upd *models.Update, raw []byte) (intake.Entry, bool) {
	chat, ok := updateChat(upd)
	if !ok {
		return intake.Entry{}, false
	}
	return intake.Entry{ID: strconv.FormatInt(upd.ID, 10), Chat: strconv.FormatInt(chat, 10),
		Sender: updateSender(upd), Data: raw}, true
}

// keep puts entries in the intake and opens the button presses among them:
// each is answered with its handler's note, or without one after
// Options.PressWait (the presser's button spins until it is answered, and
// the chat's turn may be a while). A press is opened before the intake may
// serve it, or its handler would find it not open: its note would go to
// the chat, and the press would spin until PressWait. When the intake
// cannot keep the entries, the presses opened here are closed unanswered;
// Telegram hands the updates over again.
func (t *Telegram) keep(ctx context.Context, rs *runState, entries []intake.Entry) error {
	if len(entries) == 0 {
		return nil
	}
	var opened []string
	for _, e := range entries {
		var head struct {
			CallbackQuery *struct {
				ID string `json:"id"`
			} `json:"callback_query"`
		}
		if json.Unmarshal(e.Data, &head) == nil && head.CallbackQuery != nil && t.openPress(rs.ctx, head.CallbackQuery.ID) {
			opened = append(opened, head.CallbackQuery.ID)
		}
	}
	if err := t.intake.Add(ctx, entries...); err != nil {
		for _, id := range opened {
			t.presses.take(id)
		}
		return err
	}
	return nil
}

// apiAnswer is the Bot API's answer to a request.
type apiAnswer struct {
	OK          bool            `json:"ok"`
	Result      json.RawMessage `json:"result"`
	ErrorCode   int             `json:"error_code"`
	Description string          `json:"description"`
	Parameters  struct {
		RetryAfter int `json:"retry_after"`
	} `json:"parameters"`
}

// getUpdates asks for the updates from offset on, which confirms those
// before it. Its errors wrap the library's (tgbot.ErrorUnauthorized,
// tgbot.ErrorConflict, *tgbot.TooManyRequestsError) and never contain the
// token.
func (t *Telegram) getUpdates(ctx context.Context, offset int64) ([]json.RawMessage, error) {
	var body bytes.Buffer
	form := multipart.NewWriter(&body)
	allowed, _ := json.Marshal(allowedUpdates)
	for k, v := range map[string]string{
		"offset":          strconv.FormatInt(offset, 10),
		"limit":           strconv.Itoa(pollLimit),
		"timeout":         strconv.Itoa(int(pollTimeout / time.Second)),
		"allowed_updates": string(allowed),
	} {
		if err := form.WriteField(k, v); err != nil {
			return nil, err
		}
	}
	if err := form.Close(); err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, t.apiURL+"/bot"+t.opts.Token+"/getUpdates", &body)
	if err != nil {
		return nil, errors.New("telegram: getUpdates: bad API URL")
	}
	req.Header.Set("Content-Type", form.FormDataContentType())
	resp, err := t.poller.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // the URL holds the token
		}
		return nil, fmt.Errorf("telegram: getUpdates: %w", err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return nil, fmt.Errorf("telegram: getUpdates: %w", err)
	}
	var ans apiAnswer
	if err := json.Unmarshal(raw, &ans); err != nil {
		return nil, fmt.Errorf("telegram: getUpdates: status %d, unreadable answer", resp.StatusCode)
	}
	if !ans.OK {
		switch ans.ErrorCode {
		case http.StatusUnauthorized:
			return nil, fmt.Errorf("telegram: getUpdates: %w: %s", tgbot.ErrorUnauthorized, ans.Description)
		case http.StatusConflict:
			return nil, fmt.Errorf("telegram: getUpdates: %w: %s", tgbot.ErrorConflict, ans.Description)
		case http.StatusTooManyRequests:
			return nil, &tgbot.TooManyRequestsError{Message: ans.Description, RetryAfter: ans.Parameters.RetryAfter}
		}
		return nil, fmt.Errorf("telegram: getUpdates: error %d: %s", ans.ErrorCode, ans.Description)
	}
	var out []json.RawMessage
	if err := json.Unmarshal(ans.Result, &out); err != nil {
		return nil, fmt.Errorf("telegram: getUpdates: unreadable updates: %w", err)
	}
	return out, nil
}

// newPoller returns the HTTP client long polls go through: its timeout
// outlasts a poll.
func newPoller() *http.Client { return &http.Client{Timeout: pollTimeout + 15*time.Second} }

// apiBase returns the Bot API server's address without a trailing slash.
func apiBase(apiURL string) string {
	if apiURL == "" {
		return defaultAPIURL
	}
	return strings.TrimRight(apiURL, "/")
}
