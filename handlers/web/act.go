package web

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/huzhu-station/huzhu/bot"
	"github.com/huzhu-station/huzhu/bot/i18n"
	"github.com/huzhu-station/huzhu/bot/numerals"
	"github.com/huzhu-station/huzhu/bot/store"
)

// maxReportRunes bounds a report typed on a page, as a chat message is
// bounded by its platform.
const maxReportRunes = 500

// maxNameRunes bounds a name typed on a page: a team's, a dog's, a breed.
const maxNameRunes = 20

// ratings are the words a rating may be, as the chat takes them.
var ratings = []string{"满意", "基本满意", "不满意"}

// maxPollOptions bounds a poll's options written on a page.
const maxPollOptions = 10

// maxAmountYuan bounds a pledge typed on a page.
const maxAmountYuan = 1000000

// actionLine turns a page's form into the chat command it stands for, or
// errBadInput: the action and its fields are checked here, the rules of the
// command by the command itself. days are the dates a signup may name.
func actionLine(form url.Values, days []string) (string, error) {
	one := func(k string) string { return strings.TrimSpace(form.Get(k)) }
	// words is a free-text field on one line, 1 to most runes.
	words := func(k string, most int) (string, error) {
		text := strings.Join(strings.Fields(one(k)), " ")
		if text == "" || !utf8.ValidString(text) || utf8.RuneCountInString(text) > most {
			return "", errBadInput
		}
		return text, nil
	}
	n := func(k string) (string, error) {
		v := one(k)
		if v == "" || len(v) > 9 || strings.Trim(v, "0123456789") != "" || strings.TrimLeft(v, "0") == "" {
			return "", errBadInput
		}
		return strings.TrimLeft(v, "0"), nil
	}
	switch form.Get("action") {
	case "vote":
		p, err := n("n")
		if err != nil {
			return "", err
		}
		o, err := n("option")
		if err != nil {
			return "", err
		}
		return "投 票" + p + " " + o, nil
	case "rsvp", "norsvp":
		m, err := n("n")
		if err != nil {
			return "", err
		}
		if form.Get("action") == "norsvp" {
			return "不参加 会" + m, nil
		}
		return "参加 会" + m, nil
	case "signup", "cancel":
		sl, err := n("n")
		if err != nil {
			return "", err
		}
		word := "报名 班"
		if form.Get("action") == "cancel" {
			word = "取消 班"
		}
		line := word + sl
		if d := one("day"); d != "" {
			if !slices.Contains(days, d) {
				return "", errBadInput
			}
			line += " " + d
		}
		return line, nil
	case "pledge":
		f, err := n("n")
		if err != nil {
			return "", err
		}
		a, err := n("amount")
		if err != nil {
			return "", err
		}
		if v, _ := strconv.Atoi(a); v > maxAmountYuan {
			return "", errBadInput
		}
		return "认捐 筹" + f + " " + a, nil
	case "report":
		text, err := words("text", maxReportRunes)
		if err != nil {
			return "", err
		}
		if form.Get("anonymous") == "1" {
			return "报事 匿名 " + text, nil
		}
		return "报事 " + text, nil
	case "metoo":
		i, err := n("n")
		if err != nil {
			return "", err
		}
		return "同问 " + i, nil
	case "rate":
		i, err := n("n")
		if err != nil {
			return "", err
		}
		r := one("rating")
		if !slices.Contains(ratings, r) {
			return "", errBadInput
		}
		return "评价 " + i + " " + r, nil
	case "join":
		team, err := words("team", maxNameRunes)
		if err != nil {
			return "", err
		}
		return "入队 " + team, nil
	case "dog":
		name, err := words("name", maxNameRunes)
		if err != nil {
			return "", err
		}
		breed, err := words("breed", maxNameRunes)
		if err != nil {
			return "", err
		}
		if strings.ContainsRune(name, ' ') || strings.ContainsRune(breed, ' ') {
			return "", errBadInput
		}
		return "登记犬只 " + name + " " + breed, nil
	case "joinyes", "joinno":
		i, err := n("n")
		if err != nil {
			return "", err
		}
		if form.Get("action") == "joinno" {
			return "拒绝入户 " + i, nil
		}
		return "确认入户 " + i, nil
	case "accept":
		i, err := n("n")
		if err != nil {
			return "", err
		}
		return "受理 " + i, nil
	case "update", "resolve":
		i, err := n("n")
		if err != nil {
			return "", err
		}
		word := "进展 "
		if form.Get("action") == "resolve" {
			word = "办结 "
		}
		text, err := words("text", maxReportRunes)
		if err != nil {
			if form.Get("action") == "resolve" && one("text") == "" {
				return word + i, nil
			}
			return "", err
		}
		return word + i + " " + text, nil
	case "paid":
		room, err := numerals.ParseRoom(one("room"))
		if err != nil {
			return "", errBadInput
		}
		a, err := n("amount")
		if err != nil {
			return "", err
		}
		if v, _ := strconv.Atoi(a); v > maxAmountYuan {
			return "", errBadInput
		}
		line := "已收 " + room.Key() + " " + a
		if one("n") != "" {
			f, err := n("n")
			if err != nil {
				return "", err
			}
			line += " 筹" + f
		}
		return line, nil
	case "poll":
		q, err := words("question", maxNameRunes*5)
		if err != nil || strings.ContainsRune(q, '|') {
			return "", errBadInput
		}
		var opts []string
		for _, o := range strings.Split(form.Get("options"), "\n") {
			o = strings.Join(strings.Fields(o), " ")
			if o == "" {
				continue
			}
			if strings.ContainsRune(o, '|') || utf8.RuneCountInString(o) > maxNameRunes*2 || !utf8.ValidString(o) {
				return "", errBadInput
			}
			opts = append(opts, o)
		}
		if len(opts) < 2 || len(opts) > maxPollOptions {
			return "", errBadInput
		}
		return "投票 " + q + " | " + strings.Join(opts, " | "), nil
	case "fund":
		title, err := words("title", maxNameRunes*2)
		if err != nil || strings.ContainsAny(title, " |") {
			return "", errBadInput
		}
		target, err := n("target")
		if err != nil {
			return "", err
		}
		line := "众筹 新建 " + title + " 目标 " + target
		if one("each") != "" {
			each, err := n("each")
			if err != nil {
				return "", err
			}
			line += " 每户 " + each
		}
		for _, a := range []string{target} {
			if v, _ := strconv.Atoi(a); v > maxAmountYuan*100 {
				return "", errBadInput
			}
		}
		return line, nil
	case "shot":
		name, err := words("name", maxNameRunes)
		if err != nil || strings.ContainsRune(name, ' ') {
			return "", errBadInput
		}
		return "打疫苗 " + name + " 今天", nil
	}
	return "", errBadInput
}

// resultData is the page after an action: what the chat answered.
type resultData struct {
	Line  string
	Reply []string
}

// act serves a page's form: the command it stands for is served as a
// private message from the link's person, through the platforms' handler
// chain, and the page shows what the chat was answered.
func (s *Server) act(w http.ResponseWriter, r *http.Request, v *visitor) error {
	if err := stationOnly(v); err != nil {
		return err
	}
	if !v.canAct() {
		return errNotFound
	}
	r.Body = http.MaxBytesReader(w, r.Body, store.MaxWeChatPhotoBytes+64<<10)
	var photo []byte
	if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data") {
		if err := r.ParseMultipartForm(store.MaxWeChatPhotoBytes + 64<<10); err != nil {
			return s.tooBig(w, v, err)
		}
		if f, _, err := r.FormFile("photo"); err == nil {
			defer f.Close()
			if photo, err = io.ReadAll(io.LimitReader(f, store.MaxWeChatPhotoBytes+1)); err != nil {
				return err
			}
		}
	} else if err := r.ParseForm(); err != nil {
		return s.tooBig(w, v, err)
	}
	if !v.csrfOK(r.PostForm.Get("csrf")) {
		return errBadInput
	}
	user, err := v.actor()
	if err != nil {
		return err
	}
	if user.Platform == store.WebPlatform {
		// A household's code may have been revoked since the page was
		// read: check it before every action.
		if _, _, err := s.o.App.WebHousehold(r.Context(), user); errors.Is(err, store.ErrNotFound) {
			v.refused, v.home = true, nil
			return s.codePage(w, v, http.StatusForbidden, "")
		} else if err != nil {
			return err
		}
	}
	line, err := actionLine(r.PostForm, signupDates(s.o.Clock.Now()))
	if err != nil {
		return err
	}
	nonce := r.PostForm.Get("nonce")
	if !isNonce(nonce) {
		return errBadInput
	}
	var atts []bot.Attachment
	if len(photo) > 0 && r.PostForm.Get("action") == "report" && s.o.PhotoRef != nil {
		ref, err := s.keepPhoto(r.Context(), photo)
		if err != nil {
			return s.tooBig(w, v, err)
		}
		atts = append(atts, bot.Attachment{Kind: bot.AttachmentPhoto, Ref: ref})
	}
	replies, err := s.serveAs(r.Context(), user, nonce, line, atts)
	if err != nil {
		return err
	}
	p := s.page(v, "", "web_done")
	p.Data = resultData{Line: line, Reply: replies}
	return s.render(w, "done", p)
}

// errPhoto is a picture that is too big or not a picture.
var errPhoto = errors.New("photo not taken")

// keepPhoto keeps a picture sent from a page as a WeChat picture is kept
// (named by its content's hash), and returns its attachment handle
// (Options.PhotoRef).
func (s *Server) keepPhoto(ctx context.Context, b []byte) (string, error) {
	if len(b) > store.MaxWeChatPhotoBytes {
		return "", fmt.Errorf("%w: %d bytes", errPhoto, len(b))
	}
	switch http.DetectContentType(b) {
	case "image/jpeg", "image/png", "image/gif", "image/webp":
	default:
		return "", fmt.Errorf("%w: not a picture", errPhoto)
	}
	sum := sha256.Sum256(b)
	name := hex.EncodeToString(sum[:])
	if err := s.o.Store.SaveWeChatPhoto(ctx, name, b); err != nil {
		return "", err
	}
	return s.o.PhotoRef(name), nil
}

// tooBig answers a form that could not be read (a photo over the limit)
// with a page that says so.
func (s *Server) tooBig(w http.ResponseWriter, v *visitor, err error) error {
	var mbe *http.MaxBytesError
	if !errors.As(err, &mbe) && !errors.Is(err, errPhoto) {
		return errBadInput
	}
	w.WriteHeader(http.StatusRequestEntityTooLarge)
	p := s.page(v, "", "web_done")
	p.Data = resultData{Reply: []string{i18n.T(v.locale, "web_photo_too_big", i18n.Args{"MB": store.MaxWeChatPhotoBytes >> 20})}}
	return s.render(w, "done", p)
}

// serveAs serves line as a private message from user to the
// bot, on their platform, and returns what they were answered. The
// message's id is the form's nonce, so a form sent twice (a page reloaded)
// is served once, as a redelivered chat message is.
func (s *Server) serveAs(ctx context.Context, user bot.User, nonce, line string, atts []bot.Attachment) ([]string, error) {
	chat := user.PrivateChat()
	var mu sync.Mutex
	var replies []string
	ctx = bot.WithTap(ctx, func(out bot.Outgoing) {
		if out.Chat.Key() == chat.Key() {
			mu.Lock()
			replies = append(replies, out.Text)
			mu.Unlock()
		}
	})
	s.o.Receiver.Receive(ctx, &bot.Message{ID: "web-" + nonce, Chat: chat, Sender: user, Text: line,
		Time: s.o.Clock.Now(), Attachments: atts})
	mu.Lock()
	defer mu.Unlock()
	return replies, nil
}

// isNonce reports whether s is a form's nonce as randomID makes them.
func isNonce(s string) bool {
	if len(s) != 16 {
		return false
	}
	_, err := hex.DecodeString(s)
	return err == nil
}

// randomID is a form's nonce: 64 random bits, in hex.
func randomID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
