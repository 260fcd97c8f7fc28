package console

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/huzhu-station/huzhu/bot"
)

// MaxNameRunes is the longest speaker name a line may start with. Anything
// longer before the first colon is taken as text, not as a name.
const MaxNameRunes = 32

// LineKind says what an input line is.
type LineKind int

const (
	// Skip is an empty line or a // comment.
	Skip LineKind = iota
	// Directive is a line starting with ":", such as ":advance 25h".
	Directive
	// GroupLine is "NAME: TEXT", a message in the current group.
	GroupLine
	// PrivateLine is "NAME> TEXT", a private message to the bot.
	PrivateLine
	// Continued is text with no speaker, from whoever spoke last.
	Continued
)

// Line is one parsed input line.
type Line struct {
	Kind LineKind
	// Name is the speaker for GroupLine and PrivateLine, and the directive
	// word ("advance") for Directive.
	Name string
	// Text is what was said, or the directive's arguments, trimmed.
	Text string
}

// ParseLine parses one input line. It never fails: a line that does not start
// with a valid speaker name is Continued text. Only the first colon can end a
// name, so "张阿姨: 报事：漏水" keeps the resident's own colon; but a line
// with no speaker that starts with a short word and a colon ("报事：漏水")
// is read as that word speaking, which is why transcripts should name the
// speaker on every line. Invalid UTF-8 is replaced with U+FFFD.
func ParseLine(s string) Line {
	s = strings.TrimSpace(strings.ToValidUTF8(s, "\uFFFD"))
	switch {
	case s == "" || strings.HasPrefix(s, "//"):
		return Line{Kind: Skip}
	case strings.HasPrefix(s, ":"):
		word, args := cutSpace(strings.TrimSpace(s[1:]))
		return Line{Kind: Directive, Name: word, Text: args}
	}
	i := strings.IndexAny(s, ":：>")
	if i <= 0 {
		return Line{Kind: Continued, Text: s}
	}
	name := s[:i]
	sep, size := utf8.DecodeRuneInString(s[i:])
	rest := s[i+size:]
	if !validName(name) || (sep == ':' && strings.HasPrefix(rest, "//")) { // a URL, not a speaker
		return Line{Kind: Continued, Text: s}
	}
	kind := GroupLine
	if sep == '>' {
		kind = PrivateLine
	}
	return Line{Kind: kind, Name: name, Text: strings.TrimSpace(rest)}
}

// cutSpace splits s at its first space into a word and the trimmed rest.
func cutSpace(s string) (word, rest string) {
	i := strings.IndexFunc(s, unicode.IsSpace)
	if i < 0 {
		return s, ""
	}
	return s[:i], strings.TrimSpace(s[i:])
}

// validName reports whether s can be a speaker: short, no spaces, and none of
// the characters that start mentions, commands, photos or URLs, so that text
// such as "<photo:a.jpg>", "19:30开会" or "/report 漏水：3幢" is never taken
// for a speaker.
func validName(s string) bool {
	if s == "" || utf8.RuneCountInString(s) > MaxNameRunes || strings.ContainsAny(s, "<@/#＃") {
		return false
	}
	digits := true
	for _, r := range s {
		if unicode.IsSpace(r) || unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || r == utf8.RuneError {
			return false
		}
		digits = digits && unicode.IsDigit(r)
	}
	return !digits
}

// photoOpen starts a photo token, <photo:FILE>.
const photoOpen = "<photo:"

// content is what the console reads out of a message's text.
type content struct {
	text        string
	attachments []bot.Attachment
	mentions    []string
	addressed   bool
}

// parseContent removes <photo:FILE> tokens from text as attachments and
// finds @NAME mentions, which stay in the text as typed. A message is
// addressed to the bot when it starts with @botName.
func parseContent(text, botName string) content {
	var c content
	var b strings.Builder
	for {
		i := strings.Index(text, photoOpen)
		if i < 0 {
			break
		}
		j := strings.IndexByte(text[i:], '>')
		if j < 0 {
			break
		}
		ref := strings.TrimSpace(text[i+len(photoOpen) : i+j])
		if ref == "" || strings.Contains(ref, "<") {
			// Not a photo token; keep "<photo:" as text and look further on.
			b.WriteString(text[:i+len(photoOpen)])
			text = text[i+len(photoOpen):]
			continue
		}
		c.attachments = append(c.attachments, bot.Attachment{Kind: bot.AttachmentPhoto, Ref: ref})
		before, after := strings.TrimRightFunc(text[:i], unicode.IsSpace), strings.TrimLeftFunc(text[i+j+1:], unicode.IsSpace)
		b.WriteString(before)
		if b.Len() > 0 && after != "" {
			b.WriteByte(' ')
		}
		text = after
	}
	b.WriteString(text)
	c.text = strings.TrimSpace(b.String())

	seen := map[string]bool{}
	for pos, name := range mentionsIn(c.text) {
		if strings.EqualFold(name, botName) {
			c.addressed = c.addressed || pos == 0
			continue
		}
		if !seen[name] {
			seen[name] = true
			c.mentions = append(c.mentions, name)
		}
	}
	return c
}

// mentionsIn yields the byte offset of every @NAME in text and NAME. An @
// counts only at the start or after a character that cannot be part of a
// word, so e-mail addresses are not mentions.
func mentionsIn(text string) func(yield func(int, string) bool) {
	return func(yield func(int, string) bool) {
		prev := ' '
		for i := 0; i < len(text); {
			r, size := utf8.DecodeRuneInString(text[i:])
			if r != '@' || isNameRune(prev) {
				prev = r
				i += size
				continue
			}
			end := i + size
			for end < len(text) {
				nr, ns := utf8.DecodeRuneInString(text[end:])
				if !isNameRune(nr) {
					break
				}
				end += ns
			}
			name := text[i+size : end]
			if name != "" && utf8.RuneCountInString(name) <= MaxNameRunes {
				if !yield(i, name) {
					return
				}
			}
			prev = '@'
			if end > i+size {
				prev = 'x'
			}
			i = end
		}
	}
}

// isNameRune reports whether r can be part of a mentioned name: letters,
// digits, and the joiners people put in names (li_ming, 阿依·买买提).
func isNameRune(r rune) bool {
	return unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r) || strings.ContainsRune("_-·", r)
}
