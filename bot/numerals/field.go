package numerals

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/huzhu-station/huzhu/bot"
)

// maxParsedRunes bounds the inputs the value parsers look at: no room, amount
// or number is longer, and the bound keeps pasted essays cheap.
const maxParsedRunes = 64

// normalizeField normalizes s for one of the value parsers and reports false
// when it is too long or spans lines, which no single value does.
func normalizeField(s string) ([]rune, bool) {
	if len(s) > 4*maxParsedRunes*utf8.UTFMax {
		return nil, false
	}
	n := bot.Normalize(s)
	if strings.IndexByte(n, '\n') >= 0 || utf8.RuneCountInString(n) > maxParsedRunes {
		return nil, false
	}
	return []rune(n), true
}

// wrapParseInput wraps a parser's sentinel with the offending input, clipped
// so that a pasted essay does not end up whole in a log line.
func wrapParseInput(sentinel error, s string) error {
	if utf8.RuneCountInString(s) > maxParsedRunes {
		s = string([]rune(s)[:maxParsedRunes]) + "…"
	}
	return fmt.Errorf("%w: %q", sentinel, s)
}
