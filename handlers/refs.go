package handlers

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/huzhu-station/huzhu/bot"
	"github.com/huzhu-station/huzhu/bot/i18n"
	"github.com/huzhu-station/huzhu/bot/numerals"
	"github.com/huzhu-station/huzhu/bot/store"
)

// This file reads the numbers of the different kinds of records so that
// they cannot be confused in one chat: problems are #12, campaigns 筹2
// (F2), polls 票3 (P3), meetings 会1 (M1), shifts 班4 (S4), dogs 犬2 (D2)
// and patrol notes 劝3 (R3). The old bare
// forms (众筹 2, 投 3 A) are still read, and so is "#2", which every kind
// was shown as before; a number with another kind's mark is refused.
// It also reads "关于 #12", which opens a poll, a meeting, a campaign or a
// shift about a problem.

// refKind is one kind of numbered record and the marks its numbers carry.
type refKind struct {
	zh   string // the Chinese mark: 筹
	en   string // the English letter: F
	name string // in catalogue keys: ref_fund, kind_fund
	// link is how a problem links to a record of the kind, for the kinds
	// that can be opened about a problem.
	link store.LinkKind
}

// The marked kinds. Problems keep #, which numerals.ParseRef reads.
var (
	fundRef     = linkableKind("筹", "F", store.LinkFund)
	pollRef     = linkableKind("票", "P", store.LinkPoll)
	meetingRef  = linkableKind("会", "M", store.LinkMeeting)
	shiftRef    = linkableKind("班", "S", store.LinkShift)
	dogRef      = refKind{zh: "犬", en: "D", name: "dog"}
	incidentRef = refKind{zh: "劝", en: "R", name: "incident"}
	// refKinds are the kinds that can be opened about a problem;
	// markedKinds every kind whose numbers carry a mark.
	refKinds    = []refKind{fundRef, pollRef, meetingRef, shiftRef}
	markedKinds = append(slices.Clone(refKinds), dogRef, incidentRef)
)

// linkableKind is a kind that can be opened about a problem, named in the
// catalogues as its link is.
func linkableKind(zh, en string, link store.LinkKind) refKind {
	return refKind{zh: zh, en: en, name: string(link), link: link}
}

// refKindOf returns the kind a link points to.
func refKindOf(l store.LinkKind) refKind {
	for _, k := range refKinds {
		if k.link == l {
			return k
		}
	}
	return refKind{}
}

// cutMark returns what follows k's mark at the start of s, and whether s
// starts with it. The English letter must be followed by a digit, so a
// word (Sunday, Place) is not a mark.
func (k refKind) cutMark(s string) (string, bool) {
	if rest, ok := strings.CutPrefix(s, k.zh); ok {
		return rest, true
	}
	if len(s) > 1 && strings.EqualFold(s[:1], k.en) {
		if r, _ := utf8.DecodeRuneInString(s[1:]); bot.IsLatinDigit(r) {
			return s[1:], true
		}
	}
	return s, false
}

// parseKindRef reads the number of a record of kind k: "筹2", "F2",
// "筹 2" is not one word, so callers pass single fields; the bare forms
// numerals.ParseRef reads ("2", "#2", "第2", "二") are accepted too. A number
// marked for another kind ("票3" for a campaign) is refused with
// numerals.ErrBadRef.
func parseKindRef(s string, k refKind) (int64, error) {
	t := strings.TrimSpace(bot.Normalize(s))
	if rest, ok := k.cutMark(t); ok {
		n, err := numerals.ParseRef(rest)
		if err != nil || strings.TrimSpace(rest) != rest {
			return 0, fmt.Errorf("%w: %q", numerals.ErrBadRef, s)
		}
		return n, nil
	}
	for _, other := range markedKinds {
		if other == k {
			continue
		}
		if rest, ok := other.cutMark(t); ok {
			if _, err := numerals.ParseRef(rest); err == nil {
				return 0, fmt.Errorf("%w: %q is a %s", numerals.ErrBadRef, s, other.name)
			}
		}
	}
	return numerals.ParseRef(t)
}

// aboutWords start "about a problem".
var aboutWords = []string{"关于", "about"}

// problemWords may stand between 关于 and the number: 关于问题12.
var problemWords = []string{"问题", "事项", "报事", "problem", "issue"}

// cutAbout reads "关于 #12 REST" at the start of args: the problem's number
// and the rest. found is false, with args untouched, when args does not
// start so, or when what follows 关于 is not a number and is not marked as
// one (关于停车 | 同意 | 反对 is a question, not a link). A number marked as
// a problem's (#, 问题) that does not read is an error.
func cutAbout(args string) (n int64, rest string, found bool, err error) {
	t := strings.TrimSpace(args)
	after, ok := "", false
	for _, w := range aboutWords {
		if len(t) >= len(w) && strings.EqualFold(t[:len(w)], w) {
			after, ok = t[len(w):], true
			break
		}
	}
	if !ok {
		return 0, args, false, nil
	}
	if w := []rune(t[:len(t)-len(after)]); unicode.IsLetter(w[len(w)-1]) && w[len(w)-1] < utf8.RuneSelf {
		// "about" must end a word: "aboutme" is not it.
		if r, _ := utf8.DecodeRuneInString(after); r < utf8.RuneSelf && unicode.IsLetter(r) {
			return 0, args, false, nil
		}
	}
	after = strings.TrimLeft(after, " ")
	marked := false
	for _, w := range problemWords {
		if len(after) >= len(w) && strings.EqualFold(after[:len(w)], w) {
			after, marked = strings.TrimLeft(after[len(w):], " "), true
			break
		}
	}
	word, tail, _ := strings.Cut(after, " ")
	norm := bot.Normalize(word)
	marked = marked || strings.HasPrefix(norm, "#")
	n, perr := numerals.ParseRef(word)
	switch {
	case perr == nil:
		return n, strings.TrimSpace(tail), true, nil
	case !marked:
		return 0, args, false, nil
	}
	// A marked number written up against the text: 关于#12选哪种款式.
	digits := strings.TrimPrefix(norm, "#")
	end := strings.IndexFunc(digits, func(r rune) bool { return r < '0' || r > '9' })
	if end > 0 {
		if n, err := numerals.ParseRef(digits[:end]); err == nil {
			return n, strings.TrimSpace(digits[end:] + " " + tail), true, nil
		}
	}
	return 0, args, true, perr
}

// parseKindRefArg reads the number of a record of kind k at the start of
// args and returns the rest; usage is the form shown when it is missing or
// malformed.
func parseKindRefArg(ctx context.Context, args, usage string, k refKind) (int64, string, error) {
	n, rest, err := cutNumber(args, usage, func(s string) (int64, error) { return parseKindRef(s, k) })
	if err != nil {
		first, _, _ := strings.Cut(strings.TrimSpace(args), " ")
		if wrong := wrongKind(ctx, first, k); wrong != nil {
			return 0, "", wrong
		}
	}
	return n, rest, err
}

// cutNumber reads the first word of args with parse.
func cutNumber(args, usage string, parse func(string) (int64, error)) (int64, string, error) {
	first, rest, _ := strings.Cut(strings.TrimSpace(args), " ")
	if first == "" {
		return 0, "", badForm(usage, "needs_number")
	}
	n, err := parse(first)
	if err != nil {
		return 0, "", badForm(usage, "bad_number", i18n.Args{"Text": clip(first)})
	}
	return n, strings.TrimSpace(rest), nil
}
