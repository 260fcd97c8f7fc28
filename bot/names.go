package bot

import (
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
	"golang.org/x/text/width"
)

// MaxNameRunes bounds a person's display name as the bot shows it.
const MaxNameRunes = 20

// FallbackName stands for a person whose display name is empty once
// cleaned.
const FallbackName = "居民"

// CleanName turns a display name chosen on a platform into one the bot can
// repeat safely: on one line, with nothing invisible in it, so that nobody
// can make the bot post a line that looks like its own or take a name that
// looks exactly like someone else's.
//
// Line breaks, tabs and other spaces become one space; control characters
// and every format character are removed — the zero-width characters
// (U+200B..U+200F, U+2060..U+2064, U+FEFF), the bidirectional controls
// (U+202A..U+202E, U+2066..U+2069), soft hyphens and tags. The lenticular
// brackets 【】 and 〖〗 are removed too: the bot's own headings are written
// in them. The name is NFC-normalised, trimmed and cut to MaxNameRunes; an
// empty result is FallbackName.
//
// CleanName is idempotent and accepts invalid UTF-8, whose bytes become
// U+FFFD.
func CleanName(s string) string {
	if len(s) > 16*MaxNameRunes*utf8.UTFMax {
		s = s[:16*MaxNameRunes*utf8.UTFMax] // a pasted essay: only its start can survive
	}
	s = norm.NFC.String(strings.ToValidUTF8(s, "\ufffd"))
	var b strings.Builder
	n := 0
	space := false // a space is owed before the next visible rune
	for _, r := range s {
		switch {
		case unicode.IsSpace(r) || isTypedLineBreak(r):
			space = n > 0
			continue
		case unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || isHeadingBracket(r):
			continue
		}
		if n == MaxNameRunes {
			break
		}
		if space {
			if n+1 == MaxNameRunes {
				break
			}
			b.WriteByte(' ')
			n++
			space = false
		}
		b.WriteRune(r)
		n++
	}
	// Removing characters can leave a combining mark next to a new base, so
	// compose again; NFC never lengthens a string in runes.
	out := norm.NFC.String(b.String())
	if out == "" {
		return FallbackName
	}
	return out
}

func isHeadingBracket(r rune) bool {
	switch r {
	case '【', '】', '〖', '〗':
		return true
	}
	return false
}

// NameKey is the form two names are compared in to tell whether one imitates
// the other: cleaned, width-folded (full-width letters become ASCII),
// lower-cased, without spaces or punctuation. Every message compares its
// sender's name with the station head's, so recent results are remembered
// (nameKeys).
func NameKey(s string) string {
	if len(s) > maxRememberedName {
		return nameKey(s)
	}
	nameKeys.Lock()
	k, ok := nameKeys.m[s]
	nameKeys.Unlock()
	if ok {
		return k
	}
	k = nameKey(s)
	nameKeys.Lock()
	if len(nameKeys.m) >= maxRememberedNames {
		clear(nameKeys.m)
	}
	nameKeys.m[s] = k
	nameKeys.Unlock()
	return k
}

// nameKeys remembers NameKey's results for up to maxRememberedNames names
// of up to maxRememberedName bytes, and forgets them all when full.
var nameKeys = struct {
	sync.Mutex
	m map[string]string
}{m: make(map[string]string)}

const (
	maxRememberedNames = 4096
	maxRememberedName  = 256
)

// nameKey computes NameKey.
func nameKey(s string) string {
	s = width.Fold.String(CleanName(s))
	var b strings.Builder
	for _, r := range s {
		if unicode.IsSpace(r) || unicode.IsPunct(r) || unicode.IsSymbol(r) {
			continue
		}
		b.WriteRune(unicode.ToLower(r))
	}
	return b.String()
}

// Quote shows text a person wrote inside one line of a bot message: line
// breaks become " / ", so the text cannot start a line of its own, and it
// is wrapped in 「」 so that it reads as quoted.
func Quote(s string) string { return "「" + OneLine(s) + "」" }

// OneLine collapses the lines of s into one, joined by " / ", with control
// and invisible format characters removed.
func OneLine(s string) string {
	return strings.Join(quotedLines(s), " / ")
}

// QuoteBlock shows text a person wrote, which may span lines, inside a bot
// message: wrapped in 「」, with every line after the first indented by
// "｜", so that no line of it can pass for the bot's own — not a heading such
// as 【通知】, nor what looks like another message.
func QuoteBlock(s string) string {
	return "「" + strings.Join(quotedLines(s), "\n｜") + "」"
}

// quotedLines splits s into its non-empty lines, each cleaned of control and
// invisible format characters and trimmed.
func quotedLines(s string) []string {
	s = norm.NFC.String(strings.ToValidUTF8(s, "\ufffd"))
	var lines []string
	var b strings.Builder
	flush := func() {
		if l := strings.TrimSpace(b.String()); l != "" {
			lines = append(lines, l)
		}
		b.Reset()
	}
	for _, r := range s {
		switch {
		case isTypedLineBreak(r):
			flush()
		case r == '\t':
			b.WriteByte(' ')
		case unicode.IsControl(r) || isInvisibleFormat(r):
		default:
			b.WriteRune(r)
		}
	}
	flush()
	return lines
}

// cleanIdentities cleans every display name a platform put in m — the
// sender's, a private chat's title (which is the sender's name) and the
// people mentioned — once, before any handler sees them.
func cleanIdentities(m *Message) {
	m.Sender.Name = CleanName(m.Sender.Name)
	if m.Chat.Kind == Private {
		m.Chat.Title = m.Sender.Name
	}
	for i := range m.Mentions {
		m.Mentions[i].Name = CleanName(m.Mentions[i].Name)
	}
}
