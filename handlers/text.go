package handlers

import (
	"context"
	"strings"
	"unicode/utf8"

	"github.com/huzhu-station/huzhu/bot"
	"github.com/huzhu-station/huzhu/bot/i18n"
)

// cutWord removes a leading word that is one of words.
func cutWord(s string, words ...string) (string, bool) {
	first, rest, _ := strings.Cut(s, " ")
	for _, w := range words {
		if strings.EqualFold(first, w) {
			return strings.TrimSpace(rest), true
		}
	}
	return s, false
}

// clip shortens text quoted back to a person, so a 5,000-character message
// is not echoed whole.
func clip(s string) string { return clipN(s, 20) }

// cutPrefixFold is strings.CutPrefix ignoring ASCII case.
func cutPrefixFold(s, prefix string) (string, bool) {
	if len(s) < len(prefix) || !strings.EqualFold(s[:len(prefix)], prefix) {
		return s, false
	}
	return s[len(prefix):], true
}

// clipN shortens s to n runes with an ellipsis, on one line (see
// bot.OneLine): what is clipped is quoted inside a sentence.
func clipN(s string, n int) string {
	s = bot.OneLine(s)
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n]) + "…"
}

// quoteIfAny quotes text a person wrote (see bot.Quote), or returns "" when
// there is none, for templates that leave out what is empty.
func quoteIfAny(s string) string {
	if strings.TrimSpace(s) == "" {
		return ""
	}
	return bot.Quote(s)
}

// countOf renders n things with the sentence key for one (key+"_one") or
// for several (key), for languages that tell them apart.
func countOf(ctx context.Context, key string, n int) string {
	if n == 1 {
		key += "_one"
	}
	return tr(ctx, key, i18n.Args{"N": n})
}

// shareBar draws part of whole in ten cells: ███████░░░.
func shareBar(part, whole int64) string {
	const cells = 10
	filled := int64(cells)
	if whole > 0 && part < whole {
		filled = part * cells / whole
	}
	if filled < 0 {
		filled = 0
	}
	return strings.Repeat("█", int(filled)) + strings.Repeat("░", cells-int(filled))
}

// rawParts returns parts of m.Args as the sender typed them (bot.Message.Raw).
func rawParts(m *bot.Message, parts []string) []string {
	out := make([]string, len(parts))
	for i, p := range parts {
		out[i] = m.Raw(p)
	}
	return out
}

// oneLines collapses each of options to one line (bot.OneLine): they are
// shown inside the bot's own lines.
func oneLines(options []string) []string {
	out := make([]string, len(options))
	for i, o := range options {
		out[i] = bot.OneLine(o)
	}
	return out
}
