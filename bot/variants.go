package bot

import (
	"slices"
	"sync"
	"unicode/utf8"

	"github.com/longbridgeapp/opencc"
	"github.com/mozillazg/go-pinyin"
)

// This file reads the keyword of a line typed in another script or with a
// slip of the input method: traditional characters (報事 is 报事, converted
// by OpenCC's t2s dictionaries) and keywords one homophone away (抱事 is
// probably 报事, found by pinyin). The conversion serves parsing only: the
// text a handler stores and shows is the resident's own (Message.RawArgs).

// toSimplified is the traditional-to-simplified converter, loaded on first
// use: building it reads OpenCC's dictionaries (about 5 ms and 0.4 MB), a
// cost only a line that names no command as typed can cause.
var toSimplified = sync.OnceValue(func() *opencc.OpenCC {
	cc, err := opencc.New("t2s")
	if err != nil {
		return nil // the dictionaries are embedded; a failure leaves lines as typed
	}
	return cc
})

// simplify converts t to simplified characters, and reports false when
// nothing changed or the conversion did not keep every character in its
// place (the router maps parsed parts back to the typed text rune by rune).
func simplify(t string) (string, bool) {
	if !hasHan(t) {
		return t, false
	}
	cc := toSimplified()
	if cc == nil {
		return t, false
	}
	s, err := cc.Convert(t)
	if err != nil || s == t || utf8.RuneCountInString(s) != utf8.RuneCountInString(t) {
		return t, false
	}
	return s, true
}

// simplifyPrefix converts only the first n runes of t, enough to read a
// keyword, and only when one of them is traditional, so that chat lines
// cost little.
func simplifyPrefix(t string, n int) (string, bool) {
	head := t
	traditional := false
	for i, r := range t {
		if n == 0 {
			head = t[:i]
			break
		}
		traditional = traditional || isTraditional(r)
		n--
	}
	if !traditional {
		return t, false
	}
	s, ok := simplify(head)
	if !ok {
		return t, false
	}
	return s + t[len(head):], true
}

// traditionalRunes remembers, per character met, whether t2s changes it.
var traditionalRunes sync.Map // rune → bool

// isTraditional reports whether r, alone, becomes another character in
// simplified Chinese.
func isTraditional(r rune) bool {
	if r < 0x3400 {
		return false
	}
	if v, ok := traditionalRunes.Load(r); ok {
		return v.(bool)
	}
	cc := toSimplified()
	changed := false
	if cc != nil {
		s, err := cc.Convert(string(r))
		changed = err == nil && s != string(r)
	}
	traditionalRunes.Store(r, changed)
	return changed
}

func hasHan(s string) bool {
	for _, r := range s {
		if r >= 0x3400 {
			return true
		}
	}
	return false
}

// nearMiss returns the line the sender probably meant when t, a normalised
// line that names no command, starts with a keyword of two or more
// characters with exactly one of them replaced by a homophone (抱事, 报是,
// 认娟), followed by what the command takes; "" when there is none, or
// more than one command it could be. tidy is the line as typed, aligned
// with t rune for rune: the suggestion keeps the sender's own text. In a
// group the keyword must end at a boundary and be followed by a clear
// argument.
func (r *Router) nearMiss(t, tidy string, group bool) string {
	if s, ok := simplifyPrefix(t, r.longest); ok {
		t = s
	}
	head := make([]rune, 0, r.longest)
	for _, c := range t {
		if len(head) == r.longest {
			break
		}
		head = append(head, c)
	}
	// A keyword one character away shares its first or its second.
	if len(head) < 2 || !r.near[0][head[0]] && !r.near[1][head[1]] {
		return ""
	}
	var found *keyword
	var after string
	for i := range r.keywords {
		k := &r.keywords[i]
		name := k.runes
		if len(name) < 2 || len(name) > len(head) || !oneHomophoneAway(head[:len(name)], name) {
			continue
		}
		rest := t[len(string(head[:len(name)])):]
		next, _ := utf8.DecodeRuneInString(rest)
		if group && rest != "" && !isBoundary(next) || !k.takes(rest, false) {
			continue
		}
		want := shapeUnsure
		if group {
			want = shapeClear
		}
		if fits(*k, next, trimArgs(rest)) < want {
			continue
		}
		if found != nil {
			if found.cmd != k.cmd && len(found.name) == len(k.name) {
				return "" // 2 commands as likely: ask nothing
			}
			continue // a longer keyword was found first
		}
		found, after = k, trimArgs(rest)
	}
	if found == nil {
		return ""
	}
	if after == "" {
		return found.name
	}
	return found.name + " " + tailRunes(tidy, utf8.RuneCountInString(after))
}

// oneHomophoneAway reports whether got differs from want in exactly one
// character, a homophone of want's (tones aside).
func oneHomophoneAway(got, want []rune) bool {
	diff := -1
	for i := range want {
		if got[i] != want[i] {
			if diff >= 0 {
				return false
			}
			diff = i
		}
	}
	return diff >= 0 && homophones(got[diff], want[diff])
}

// pinyinArgs reads every pronunciation of a character, without tones.
var pinyinArgs = pinyin.Args{Style: pinyin.Normal, Heteronym: true}

// homophones reports whether a and b share a pronunciation, tones aside
// (报 and 抱 are both bao).
func homophones(a, b rune) bool {
	pb := readings(b)
	for _, p := range readings(a) {
		if slices.Contains(pb, p) {
			return true
		}
	}
	return false
}

// pinyinOf remembers the readings of the characters met.
var pinyinOf sync.Map // rune → []string

// readings returns every pronunciation of r, without tones.
func readings(r rune) []string {
	if v, ok := pinyinOf.Load(r); ok {
		return v.([]string)
	}
	p := pinyin.SinglePinyin(r, pinyinArgs)
	pinyinOf.Store(r, p)
	return p
}
