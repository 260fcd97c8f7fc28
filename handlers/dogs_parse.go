package handlers

import (
	"context"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/huzhu-station/huzhu/bot"
	"github.com/huzhu-station/huzhu/bot/calendar"
	"github.com/huzhu-station/huzhu/bot/i18n"
	"github.com/huzhu-station/huzhu/bot/numerals"
	"github.com/huzhu-station/huzhu/bot/store"
)

// dogForm is what /dog add says about a dog.
type dogForm struct {
	Name, Breed string
	// Room is the owner's household as written, or zero when none was
	// written: then the owner's own registered household is used.
	Room       numerals.Room
	Shot       time.Time
	Sterilised store.Sterilised
}

// shotWords and sterilisedWords start the clauses after the room.
var (
	shotWords       = []string{"狂犬疫苗", "打疫苗", "疫苗", "vaccinated", "vaccine", "shot"}
	sterilisedWords = []string{"绝育", "sterilised", "sterilized", "neutered"}
)

// startsDogClause reports whether s starts with a clause that may follow the
// room (疫苗 …, 已绝育 …), so that a name and breed without a room are told
// from a misspelt room.
func startsDogClause(s string) bool {
	if _, ok := cutLead(s, shotWords...); ok {
		return true
	}
	if _, _, ok := cutSterilised(s); ok {
		return true
	}
	_, ok := cutLead(s, sterilisedWords...)
	return ok
}

// parseDogForm reads NAME [BREED] [ROOM] [疫苗 DATE] [绝育 是|否]; the
// clauses after the room come in any order. The room may be left out (the
// owner's own household is used, see ownerRoom); text where it stands that
// is neither a room nor a clause is refused as a room. A last shot in the
// future is refused. Errors are the replies to send.
func parseDogForm(ctx context.Context, args string, now time.Time) (dogForm, error) {
	const usage = "usage_dog_add"
	var f dogForm
	fields := strings.Fields(bot.Normalize(args))
	if len(fields) == 0 {
		return f, badForm(usage, "dog_needs_fields")
	}
	f.Name = fields[0]
	rest := strings.Join(fields[1:], " ")
	if _, _, err := numerals.CutRoom(rest); err != nil && rest != "" && !startsDogClause(rest) {
		// Not a room straight after the name, so the breed comes first.
		f.Breed = fields[1]
		rest = strings.Join(fields[2:], " ")
	}
	for _, s := range []string{f.Name, f.Breed} {
		if utf8.RuneCountInString(s) > maxDogNameRunes {
			return f, badForm(usage, "dog_name_too_long", i18n.Args{"Max": maxDogNameRunes})
		}
	}
	if rest != "" && !startsDogClause(rest) {
		room, after, err := numerals.CutRoom(rest)
		if err != nil {
			first, _, _ := strings.Cut(rest, " ")
			return f, badForm(usage, "bad_room", i18n.Args{"Text": clip(first)})
		}
		f.Room, rest = room, after
	}
	for rest != "" {
		if after, ok := cutLead(rest, shotWords...); ok {
			day, more, err := parseShotDay(ctx, after, now, usage)
			if err != nil {
				return f, err
			}
			f.Shot, rest = day, more
			continue
		}
		if v, more, ok := cutSterilised(rest); ok {
			f.Sterilised, rest = v, more
			continue
		}
		if _, ok := cutLead(rest, sterilisedWords...); ok {
			return f, badForm(usage, "dog_sterilised_word")
		}
		return f, badForm(usage, "dog_unknown_words", i18n.Args{"Text": clip(rest)})
	}
	return f, nil
}

// parseShotDay reads the day of a rabies shot at the start of text: today
// or earlier, within the last oldestShotYears years.
func parseShotDay(ctx context.Context, text string, now time.Time, usage string) (time.Time, string, error) {
	day, rest, err := calendar.ParseDate(text, now)
	if err != nil {
		return time.Time{}, text, whenError(ctx, err, usage)
	}
	if day.After(now) {
		return time.Time{}, text, badForm(usage, "dog_shot_future", i18n.Args{"Date": formatDay(ctx, day)})
	}
	if day.Before(now.AddDate(-oldestShotYears, 0, 0)) {
		return time.Time{}, text, badForm(usage, "dog_shot_too_old", i18n.Args{"Date": formatDay(ctx, day)})
	}
	return day, strings.TrimLeft(rest, " ,;、"), nil
}

// cutLead removes a leading word that is one of words (ASCII case
// ignored), with the separators after it.
func cutLead(s string, words ...string) (string, bool) {
	for _, w := range words {
		if len(s) >= len(w) && strings.EqualFold(s[:len(w)], w) {
			return strings.TrimLeft(s[len(w):], " :,;、"), true
		}
	}
	return s, false
}

// cutSterilised reads a sterilisation clause at the start of s: 已绝育,
// 未绝育, 绝育 是, 绝育:否, sterilised yes…
func cutSterilised(s string) (store.Sterilised, string, bool) {
	for _, c := range []struct {
		words []string
		v     store.Sterilised
	}{
		{[]string{"已绝育", "绝育了", "已经绝育"}, store.SterilisedYes},
		{[]string{"未绝育", "没绝育", "没有绝育", "不绝育"}, store.SterilisedNo},
	} {
		if rest, ok := cutLead(s, c.words...); ok {
			return c.v, rest, true
		}
	}
	after, ok := cutLead(s, sterilisedWords...)
	if !ok {
		return "", s, false
	}
	word, rest, _ := strings.Cut(after, " ")
	if v, ok := parseSterilised(word); ok {
		return v, strings.TrimSpace(rest), true
	}
	return "", s, false
}

// parseSterilised reads the answer to "sterilised?".
func parseSterilised(s string) (store.Sterilised, bool) {
	switch strings.ToLower(strings.Trim(s, " ,;、")) {
	case "是", "已", "有", "做了", "已经", "yes", "y", "true":
		return store.SterilisedYes, true
	case "否", "未", "没", "没有", "不", "还没", "no", "n", "false":
		return store.SterilisedNo, true
	}
	return "", false
}
