package handlers

import (
	"errors"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/huzhu-station/huzhu/bot/numerals"
)

// officeRef is a problem as an office group names it: the station's prefix
// (see store.StationPrefix) and the problem's number in that station.
type officeRef struct {
	Prefix string
	N      int64
}

// What parseOfficeRef may find wrong.
var (
	errOfficeRefMissing   = errors.New("no problem named")
	errOfficeRefNoStation = errors.New("no station named")
	errOfficeRefUnknown   = errors.New("unknown station prefix")
	errOfficeRefNumber    = errors.New("bad problem number")
)

// refSeparators may stand between a station's prefix and the number.
const refSeparators = "-－—–‐~～ \t#＃:：.。、"

// A problem's number is written in digits or in Chinese numerals, not a mix
// (清川-3一直没人管 is #3 and a note).
const (
	digitRunes   = "0123456789０１２３４５６７８９"
	chineseRunes = "零〇一二两三四五六七八九十百千"
	numeralRunes = digitRunes + chineseRunes
)

// parseOfficeRef reads the problem named at the start of args in an office
// group whose stations have prefixes, and returns it with the rest of args.
// It reads 清川-12 and, as people type it, 清川－12, 清川 12, 清川12,
// 清川#12, 清川-十二 and 清川-12号; prefixes match ignoring case, the
// longest first (清川2-3 is not 清川's). When the office serves one station
// a bare number (12, #12) is that station's. The word returned with
// errOfficeRefUnknown is what stood where a prefix should be.
func parseOfficeRef(args string, prefixes []string) (officeRef, string, string, error) {
	s := strings.TrimSpace(args)
	if s == "" {
		return officeRef{}, "", "", errOfficeRefMissing
	}
	byLength := slices.Clone(prefixes)
	slices.SortStableFunc(byLength, func(a, b string) int {
		return utf8.RuneCountInString(b) - utf8.RuneCountInString(a)
	})
	for _, p := range byLength {
		after, ok := cutPrefixFold(s, p)
		if !ok || p == "" {
			continue
		}
		num, rest := cutLeadingNumber(strings.TrimLeft(after, refSeparators))
		if num == "" {
			if next, _ := utf8.DecodeRuneInString(after); unicode.IsLetter(next) && !strings.ContainsRune(numeralRunes, next) {
				continue // a longer name that starts like p
			}
			return officeRef{}, "", "", errOfficeRefNumber
		}
		n, err := numerals.ParseRef(num)
		if err != nil {
			return officeRef{}, "", "", errOfficeRefNumber
		}
		return officeRef{Prefix: p, N: n}, rest, "", nil
	}
	if num, rest := cutLeadingNumber(strings.TrimLeft(s, "#＃")); num != "" {
		n, err := numerals.ParseRef(num)
		if err != nil {
			return officeRef{}, "", "", errOfficeRefNumber
		}
		if len(prefixes) != 1 {
			return officeRef{}, "", "", errOfficeRefNoStation
		}
		return officeRef{Prefix: prefixes[0], N: n}, rest, "", nil
	}
	word, _, _ := strings.Cut(s, " ")
	if i := strings.IndexAny(word, refSeparators+digitRunes); i > 0 {
		word = word[:i]
	}
	return officeRef{}, "", word, errOfficeRefUnknown
}

// cutLeadingNumber cuts the number at the start of s (digits or Chinese numerals,
// with an optional 号) from what follows, which it trims.
func cutLeadingNumber(s string) (string, string) {
	first, _ := utf8.DecodeRuneInString(s)
	set := chineseRunes
	if strings.ContainsRune(digitRunes, first) {
		set = digitRunes
	}
	end := 0
	for i, r := range s {
		if !strings.ContainsRune(set, r) {
			break
		}
		end = i + utf8.RuneLen(r)
	}
	if end == 0 {
		return "", s
	}
	num, rest := s[:end], s[end:]
	rest = strings.TrimPrefix(rest, "号")
	return num, strings.TrimSpace(strings.TrimLeft(rest, ":：,，"))
}
