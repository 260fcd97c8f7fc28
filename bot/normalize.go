package bot

import (
	"slices"
	"strings"
	"unicode"

	"golang.org/x/text/width"
)

// Normalize folds what residents type on a phone into the one form every
// command is parsed from, so that parsers never have to know about
// full-width digits, Chinese punctuation or the invisible characters that
// chat apps and copy-paste leave behind.
//
// Full-width letters, digits, punctuation and the ideographic space become
// their ASCII twins (golang.org/x/text/width does the folding); Chinese
// punctuation with an ASCII twin (：，；！？（）【】) becomes ASCII; dashes
// between two digits become "-" so that 3—2—301 reads as a room. The list
// separator 、 and the full stop 。 are kept because they have no ASCII
// meaning. Zero-width and control characters are removed, except a zero-width
// joiner between two symbols, which holds an emoji sequence together. Spaces
// and tabs collapse to one space, each line is trimmed, empty lines are
// dropped, and the lines are joined with "\n".
//
// Normalize is idempotent and accepts invalid UTF-8, whose bytes become
// U+FFFD.
func Normalize(s string) string {
	norm, _ := normalizeAligned(s)
	return norm
}

// normalizeAligned returns Normalize(s) and s tidied alike but in the
// resident's own characters: the same invisible characters removed, spaces
// collapsed and lines trimmed, while ，？ and full-width letters stay as
// typed. The two have the same number of runes, and rune i of one stands for
// rune i of the other, so a part parsed from the first can be shown as it
// was written from the second (see Message.RawArgs).
func normalizeAligned(s string) (norm, tidy string) {
	folded := make([]rune, 0, len(s))
	own := make([]rune, 0, len(s))
	for _, r := range s {
		switch {
		case isTypedLineBreak(r):
			r = '\n'
		case r == '\t' || r == '\v' || r == '\f':
			r = ' '
		case unicode.IsControl(r) || isInvisibleFormat(r):
			continue
		}
		f := r
		if w := width.LookupRune(r).Folded(); w != 0 {
			f = w
		}
		folded = append(folded, asciiTwin(f))
		own = append(own, r)
	}
	if slices.Contains(folded, '\u200d') {
		folded, own = keepEmojiJoiners(folded, own)
	}
	// Dashes are decided only after the invisible characters are gone, or a
	// second pass could see digit-dash-digit where the first did not.
	for i, r := range folded {
		if isDashLike(r) && i > 0 && i+1 < len(folded) && IsLatinDigit(folded[i-1]) && IsLatinDigit(folded[i+1]) {
			folded[i] = '-'
		}
	}
	return joinTrimmedLines(folded, own)
}

func isTypedLineBreak(r rune) bool {
	switch r {
	case '\n', '\r', '\u0085', '\u2028', '\u2029':
		return true
	}
	return false
}

// isInvisibleFormat reports the format characters that carry no meaning in a chat
// message but break keyword matching when pasted into one. Emoji tag
// characters (U+E0020..U+E007F) are format characters too and are kept.
func isInvisibleFormat(r rune) bool {
	switch {
	case r == '\u00ad', r == '\u180e', r == '\ufeff':
		return true
	case r >= '\u200b' && r <= '\u200f' && r != '\u200d':
		return true
	case r >= '\u202a' && r <= '\u202e':
		return true
	case r >= '\u2060' && r <= '\u2064':
		return true
	case r >= '\u2066' && r <= '\u2069':
		return true
	}
	return false
}

// asciiTwin maps the Chinese punctuation that width folding leaves alone
// because it has no full-width form.
func asciiTwin(r rune) rune {
	switch r {
	case '【':
		return '['
	case '】':
		return ']'
	}
	return r
}

func isDashLike(r rune) bool {
	switch r {
	case '\u2010', '\u2011', '\u2012', '\u2013', '\u2014', '\u2015', '\u2212', '\ufe58', '\ufe63':
		return true
	}
	return false
}

// IsLatinDigit reports whether r is one of the ASCII digits 0-9, as
// Normalize leaves every digit a person types (full-width ones folded).
// unicode.IsDigit is wider: it takes the digits of every script.
func IsLatinDigit(r rune) bool { return r >= '0' && r <= '9' }

// keepEmojiJoiners drops every zero-width joiner except those between two
// symbols: there it is part of an emoji such as 👩‍💻, elsewhere it only hides
// inside a word and stops 报‍事 from matching 报事. The decision looks at the
// input neighbours, so the result does not change on a second pass. own,
// the same text as typed, loses the same runes.
func keepEmojiJoiners(rs, own []rune) ([]rune, []rune) {
	out, outOwn := rs[:0:0], own[:0:0]
	for i, r := range rs {
		if r == '\u200d' && (i == 0 || i+1 == len(rs) || !isEmojiPart(rs[i-1]) || !isEmojiPart(rs[i+1])) {
			continue
		}
		out, outOwn = append(out, r), append(outOwn, own[i])
	}
	return out, outOwn
}

func isEmojiPart(r rune) bool {
	return r == '\ufe0f' || unicode.In(r, unicode.So, unicode.Sk)
}

// joinTrimmedLines collapses the spaces in rs, trims each line and drops
// the empty ones, deciding on rs alone and writing own (rs as typed) the
// same way, rune for rune.
func joinTrimmedLines(rs, own []rune) (string, string) {
	var b, o strings.Builder
	b.Grow(len(rs))
	o.Grow(len(own))
	lineStart := true // nothing written on the current output line yet
	space := false    // a space is owed before the next visible rune
	for i, r := range rs {
		switch {
		case r == '\n':
			if !lineStart {
				b.WriteByte('\n')
				o.WriteByte('\n')
			}
			lineStart, space = true, false
		case unicode.IsSpace(r):
			space = !lineStart
		default:
			if space {
				b.WriteByte(' ')
				o.WriteByte(' ')
				space = false
			}
			b.WriteRune(r)
			o.WriteRune(own[i])
			lineStart = false
		}
	}
	return strings.TrimSuffix(b.String(), "\n"), strings.TrimSuffix(o.String(), "\n")
}
