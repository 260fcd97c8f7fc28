package handlers

import (
	"strings"
	"time"
	"unicode/utf8"

	"github.com/huzhu-station/huzhu/bot"
	"github.com/huzhu-station/huzhu/bot/calendar"
	"github.com/huzhu-station/huzhu/bot/i18n"
	"github.com/huzhu-station/huzhu/bot/numerals"
)

// pollForm is what /poll QUESTION | A | B … was given.
type pollForm struct {
	Question     string
	Options      []string
	Deadline     time.Time
	PerHousehold bool
}

// pollFlag reads the words that make a poll per household or per person.
// It returns the number of fields used (English takes two: per household).
func pollFlag(fields []string, i int) (perHousehold bool, used int) {
	switch strings.ToLower(fields[i]) {
	case "每户一票", "一户一票", "按户", "按户投票", "per-household", "household":
		return true, 1
	case "每人一票", "一人一票", "按人", "per-person":
		return false, 1
	case "per":
		if i+1 < len(fields) {
			switch strings.ToLower(fields[i+1]) {
			case "household":
				return true, 2
			case "person":
				return false, 2
			}
		}
	}
	return false, 0
}

// cutPollDeadlineWord reports whether field starts the deadline, and what
// of the field is already its value (截止周五).
func cutPollDeadlineWord(field string) (string, bool) {
	for _, w := range []string{"截止", "截至"} {
		if rest, ok := strings.CutPrefix(field, w); ok {
			return strings.TrimLeft(rest, ":"), true
		}
	}
	switch strings.ToLower(field) {
	case "until", "deadline":
		return "", true
	}
	return "", false
}

// parsePollForm reads "QUESTION | A | B [| C…] [截止 TIME] [每户一票]". The
// deadline and 每户一票 may stand after the last option or in a part of
// their own. Errors are replies, except a time that does not parse, which is
// a *dateArgError.
func parsePollForm(args string, now time.Time) (pollForm, error) {
	const usage = "usage_poll"
	var form pollForm
	parts := strings.Split(args, "|")
	var deadlineText []string
	hasDeadline := false
	for i, part := range parts {
		fields := strings.Fields(part)
		var text []string
		inDeadline, flagged := false, false
		for j := 0; j < len(fields); j++ {
			if per, used := pollFlag(fields, j); used > 0 {
				form.PerHousehold = form.PerHousehold || per
				flagged = true
				j += used - 1
				continue
			}
			if i > 0 {
				if value, ok := cutPollDeadlineWord(fields[j]); ok {
					if hasDeadline {
						return form, badForm(usage, "poll_deadline_twice")
					}
					hasDeadline, inDeadline = true, true
					if value != "" {
						deadlineText = append(deadlineText, value)
					}
					continue
				}
			}
			if inDeadline {
				deadlineText = append(deadlineText, fields[j])
			} else {
				text = append(text, fields[j])
			}
		}
		joined := strings.Join(text, " ")
		switch {
		case i == 0:
			form.Question = joined
		case joined != "":
			form.Options = append(form.Options, joined)
		case !inDeadline && !flagged:
			return form, badForm(usage, "poll_empty_option")
		}
	}
	if form.Question == "" {
		return form, badForm(usage, "poll_needs_question")
	}
	if n := utf8.RuneCountInString(form.Question); n > maxPollQuestionRunes {
		return form, badForm(usage, "report_too_long", i18n.Args{"Max": maxPollQuestionRunes, "Len": n})
	}
	if len(form.Options) < 2 {
		return form, badForm(usage, "poll_needs_options")
	}
	if len(form.Options) > maxPollOptions {
		return form, badForm(usage, "poll_too_many_options", i18n.Args{"Max": maxPollOptions})
	}
	for i, o := range form.Options {
		if utf8.RuneCountInString(o) > maxPollOptionRunes {
			return form, badForm(usage, "poll_option_too_long", i18n.Args{"Max": maxPollOptionRunes, "Text": clip(o)})
		}
		for _, earlier := range form.Options[:i] {
			if strings.EqualFold(earlier, o) {
				return form, badForm(usage, "poll_option_twice", i18n.Args{"Text": clip(o)})
			}
		}
	}
	if hasDeadline {
		text := strings.Join(deadlineText, " ")
		at, rest, err := calendar.ParseWhen(text, now)
		if err != nil {
			return form, &dateArgError{err}
		}
		if rest != "" {
			return form, badForm(usage, "poll_bad_deadline", i18n.Args{"Text": clip(text)})
		}
		form.Deadline = at
	}
	return form, nil
}

// voteArgs is what /vote was given.
type voteArgs struct {
	N      int64 // 0 when left out
	Option string
}

// parseVoteArgs reads "N OPTION", or "OPTION" alone for the one open poll.
func parseVoteArgs(args string) (voteArgs, error) {
	fields := strings.Fields(args)
	if len(fields) == 0 {
		return voteArgs{}, badForm("usage_vote", "poll_needs_option")
	}
	if len(fields) >= 2 {
		if n, err := parseKindRef(fields[0], pollRef); err == nil {
			return voteArgs{N: n, Option: strings.Join(fields[1:], " ")}, nil
		}
	}
	return voteArgs{Option: strings.Join(fields, " ")}, nil
}

// matchOption finds the option a voter means: its text, its number (2, 第2,
// 二), its letter (B), or a part of its text that fits only one option.
func matchOption(options []string, word string) (int, bool) {
	w := strings.ToLower(strings.TrimSpace(bot.Normalize(word)))
	if w == "" {
		return 0, false
	}
	for i, o := range options {
		if strings.ToLower(bot.Normalize(o)) == w {
			return i, true
		}
	}
	if n, err := numerals.ParseRef(strings.TrimSuffix(strings.TrimPrefix(w, "选项"), "个")); err == nil && n <= int64(len(options)) {
		return int(n - 1), true
	}
	if len(w) == 1 && w[0] >= 'a' && int(w[0]-'a') < len(options) {
		return int(w[0] - 'a'), true
	}
	found := -1
	for i, o := range options {
		if strings.Contains(strings.ToLower(bot.Normalize(o)), w) {
			if found >= 0 {
				return 0, false
			}
			found = i
		}
	}
	return found, found >= 0
}
