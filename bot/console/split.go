package console

import (
	"bytes"
	"unicode/utf8"
)

// lineSplitter is a bufio.SplitFunc for lines that never fails on a long
// line: bufio.ScanLines stops the whole scan with ErrTooLong, but one pasted
// essay must not end a session. A line longer than max is cut at a rune
// boundary, cut is set for that token, and the rest of the line is dropped.
type lineSplitter struct {
	max      int
	cut      bool // the token just returned was cut
	skipping bool // dropping the rest of a cut line
}

func (s *lineSplitter) split(data []byte, atEOF bool) (advance int, token []byte, err error) {
	if s.skipping {
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			s.skipping = false
			return i + 1, nil, nil
		}
		return len(data), nil, nil
	}
	if i := bytes.IndexByte(data, '\n'); i >= 0 && i <= s.max {
		s.cut = false
		return i + 1, dropCR(data[:i]), nil
	}
	if len(data) > s.max {
		n := s.max
		for n > 0 && n > s.max-utf8.UTFMax && !utf8.RuneStart(data[n]) {
			n-- // do not split a character
		}
		s.cut, s.skipping = true, true
		return n, data[:n], nil
	}
	if atEOF && len(data) > 0 {
		s.cut = false
		return len(data), dropCR(data), nil
	}
	return 0, nil, nil
}

func dropCR(b []byte) []byte {
	return bytes.TrimSuffix(b, []byte("\r"))
}
