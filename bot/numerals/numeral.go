package numerals

import (
	"errors"
	"strings"

	"github.com/huzhu-station/huzhu/bot"
)

// ErrNotANumber is returned by ParseChineseInt for text that is not a whole
// number written in Arabic digits or Chinese numerals.
var ErrNotANumber = errors.New("not a number")

// ErrNumberTooLarge is returned by ParseChineseInt for numbers beyond
// 1,000,000,000,000 (一万亿), far more than any count or sum a station has.
var ErrNumberTooLarge = errors.New("number too large")

// ErrBadRef is returned by ParseRef for anything that is not a number from 1
// to 999999.
var ErrBadRef = errors.New("bad reference number")

// numeralLimit is the largest value ParseChineseInt accepts. Keeping every
// intermediate value at or near it also keeps the arithmetic far from int64
// overflow.
const numeralLimit = 1_000_000_000_000

// maxRef is the largest per-station number; six digits outlast any station.
const maxRef = 999_999

// ParseChineseInt parses a whole number as residents write it: Arabic digits
// ("300"), Chinese numerals ("三百", "一百零五", "十二"), the financial forms
// ("叁佰"), and mixtures of digits and units ("3百", "1万5千", "250万"). A
// digit after 百, 千, 万 or 亿 with nothing after it counts in the next
// unit down, as in speech: 两百五 is 250, 一千二 is 1200, 一万五 is 15000.
// Strings of Chinese digits ("一二三") are rejected because they are read
// digit by digit (a phone number, a year), not as a quantity.
//
// The input is normalized first, so full-width digits and surrounding spaces
// are fine. Errors wrap ErrNotANumber or ErrNumberTooLarge with the input.
func ParseChineseInt(s string) (int64, error) {
	rs, ok := normalizeField(s)
	if !ok {
		return 0, wrapParseInput(ErrNotANumber, s)
	}
	n, res := parseNumeral(rs)
	switch res {
	case numeralTooLarge:
		return 0, wrapParseInput(ErrNumberTooLarge, s)
	case numeralMalformed:
		return 0, wrapParseInput(ErrNotANumber, s)
	}
	return n, nil
}

// ParseRef parses the short per-station number that names a problem, poll,
// campaign or shift: "12", "#12", "第12", "第12号", "12号", "No.12" or
// "十二". Errors wrap ErrBadRef with the input.
func ParseRef(s string) (int64, error) {
	rs, ok := normalizeField(s)
	if !ok {
		return 0, wrapParseInput(ErrBadRef, s)
	}
	t := string(rs)
	t = strings.TrimSpace(cutRefPrefix(t))
	t = strings.TrimSpace(strings.TrimSuffix(t, "号"))
	n, res := parseNumeral([]rune(t))
	if res != numeralOK || n < 1 || n > maxRef {
		return 0, wrapParseInput(ErrBadRef, s)
	}
	return n, nil
}

func cutRefPrefix(s string) string {
	for _, p := range []string{"#", "第", "№"} {
		if rest, ok := strings.CutPrefix(s, p); ok {
			return rest
		}
	}
	if len(s) >= 2 && strings.EqualFold(s[:2], "no") {
		return strings.TrimPrefix(s[2:], ".")
	}
	return s
}

type numeralResult int

const (
	numeralOK numeralResult = iota
	numeralMalformed
	numeralTooLarge
)

// chineseDigit returns the value of a Chinese digit from 1 to 9, including
// the financial and traditional forms; 零 is not a digit here because it
// only marks a skipped place.
func chineseDigit(r rune) (int64, bool) {
	switch r {
	case '一', '壹':
		return 1, true
	case '二', '贰', '貳', '两', '兩':
		return 2, true
	case '三', '叁', '參':
		return 3, true
	case '四', '肆':
		return 4, true
	case '五', '伍':
		return 5, true
	case '六', '陆', '陸':
		return 6, true
	case '七', '柒':
		return 7, true
	case '八', '捌':
		return 8, true
	case '九', '玖':
		return 9, true
	}
	return 0, false
}

func chineseUnit(r rune) (int64, bool) {
	switch r {
	case '十', '拾':
		return 10, true
	case '百', '佰':
		return 100, true
	case '千', '仟':
		return 1000, true
	case '万', '萬':
		return 10_000, true
	case '亿', '億':
		return 100_000_000, true
	}
	return 0, false
}

func isChineseZero(r rune) bool { return r == '零' || r == '〇' }

// SpokenDigit returns the value of a digit read out one by one, as in a room
// number (三零一), a year (二〇二六) or a phone number: Arabic and Chinese
// digits, 零 and 〇 as 0, and 幺 as 1, which is how 一 is said in numbers
// read digit by digit.
func SpokenDigit(r rune) (int64, bool) {
	switch {
	case bot.IsLatinDigit(r):
		return int64(r - '0'), true
	case isChineseZero(r):
		return 0, true
	case r == '幺':
		return 1, true
	}
	return chineseDigit(r)
}

// maxSpokenDigits bounds the digit strings parseSpokenDigits reads: a year
// or a room number, never a phone number.
const maxSpokenDigits = 6

// parseSpokenDigits reads a number written digit by digit (三零一, 二〇二六,
// 幺零二, 3零1) and returns its value with the digits in written form, so
// that a caller can keep or drop leading zeros. Units (十, 百) are not read
// here: a number with units is a quantity, read by parseNumeral.
func parseSpokenDigits(rs []rune) (value int64, digits string, ok bool) {
	if len(rs) == 0 || len(rs) > maxSpokenDigits {
		return 0, "", false
	}
	buf := make([]byte, len(rs))
	for i, r := range rs {
		d, ok := SpokenDigit(r)
		if !ok {
			return 0, "", false
		}
		value = value*10 + d
		buf[i] = byte('0' + d)
	}
	return value, string(buf), true
}

// ReadNumber reads a number either way residents say one: as a quantity
// with units (十二, 三十一, 廿三, 一百零五) or digit by digit (三零一, 二〇二六).
// It is the one reader behind the date, room and amount parsers; a string
// of Chinese digits without units is only read when spokenDigitsOK, since
// in an amount 一二三 is a typo, not 123.
func ReadNumber(rs []rune, spokenDigitsOK bool) (int64, bool) {
	if len(rs) > 0 && rs[0] == '廿' {
		rs = append([]rune{'二', '十'}, rs[1:]...) // 廿三 is twenty-three
	}
	if n, res := parseNumeral(rs); res == numeralOK {
		return n, true
	}
	if !spokenDigitsOK {
		return 0, false
	}
	n, _, ok := parseSpokenDigits(rs)
	return n, ok
}

// isNumeralRune reports whether r can be part of a number ParseChineseInt
// reads, so that callers can find where a number ends.
func isNumeralRune(r rune) bool {
	if bot.IsLatinDigit(r) || isChineseZero(r) || r == '幺' {
		return true
	}
	if _, ok := chineseDigit(r); ok {
		return true
	}
	_, ok := chineseUnit(r)
	return ok
}

// numeralAdd and numeralMul cap at numeralLimit+1 so that a too-large number
// stays too large through the rest of the parse instead of overflowing.
func numeralAdd(a, b int64) int64 {
	if a > numeralLimit-b {
		return numeralLimit + 1
	}
	return a + b
}

func numeralMul(a, b int64) int64 {
	if b != 0 && a > numeralLimit/b {
		return numeralLimit + 1
	}
	return a * b
}

// parseNumeral does the work of ParseChineseInt on normalized runes.
//
// A number is read as sections of four places separated by 万 and 亿, each
// section built from digit-unit pairs with falling units (三千五百). 零 marks
// skipped places and so must be followed by something at least two places
// lower than the unit before it (一百零五, 一万零五百), which rejects
// nonsense such as 二十零五.
func parseNumeral(rs []rune) (int64, numeralResult) {
	if len(rs) == 0 {
		return 0, numeralMalformed
	}
	if len(rs) == 1 && isChineseZero(rs[0]) {
		return 0, numeralOK
	}
	var (
		total, section   int64
		pending          int64 = -1 // a digit or Arabic run not yet given a unit
		pendingLen       int        // Arabic digits in pending; 1 for a Chinese digit
		pendingAfterUnit bool       // pending directly follows a unit, not 零
		lastSmall        int64      // last 十/百/千 in this section, 0 if none
		lastPlace        int64      // place of the last unit within a section
		lastUnit         int64      // value of the last unit of any size
		afterUnit        bool       // the previous token was a unit
		zero             bool       // 零 seen since the last unit
		wanSeen, yiSeen  bool
	)
	// onesAfterZero checks the place-skipping rule for a pending digit that
	// ends up in the ones place of a section.
	onesAfterZero := func() bool { return !zero || (pending >= 0 && lastPlace >= 100) }
	for i := 0; i < len(rs); {
		r := rs[i]
		if bot.IsLatinDigit(r) {
			if pending >= 0 {
				return 0, numeralMalformed
			}
			j, v := i, int64(0)
			for ; j < len(rs) && bot.IsLatinDigit(rs[j]); j++ {
				v = numeralAdd(numeralMul(v, 10), int64(rs[j]-'0'))
			}
			pending, pendingLen, pendingAfterUnit = v, j-i, afterUnit
			afterUnit = false
			i = j
			continue
		}
		i++
		if d, ok := chineseDigit(r); ok {
			if pending >= 0 {
				return 0, numeralMalformed
			}
			pending, pendingLen, pendingAfterUnit = d, 1, afterUnit
			afterUnit = false
			continue
		}
		if isChineseZero(r) {
			if !afterUnit || zero {
				return 0, numeralMalformed
			}
			zero, afterUnit = true, false
			continue
		}
		u, ok := chineseUnit(r)
		if !ok {
			return 0, numeralMalformed
		}
		switch {
		case u < 10_000:
			n := pending
			if n < 0 && u == 10 && i == 1 {
				n = 1 // 十二: a leading 十 means one ten
			}
			if n < 1 || n > 9 || (lastSmall != 0 && u >= lastSmall) || (zero && u > lastPlace/100) {
				return 0, numeralMalformed
			}
			section += n * u
			lastSmall, lastPlace = u, u
		case u == 10_000:
			if wanSeen || !onesAfterZero() {
				return 0, numeralMalformed
			}
			v := section + max(pending, 0)
			if v < 1 || v >= 10_000 {
				return 0, numeralMalformed
			}
			total = numeralAdd(total, v*10_000)
			wanSeen = true
			section, lastSmall, lastPlace = 0, 0, 10_000
		default: // 亿
			if yiSeen || !onesAfterZero() {
				return 0, numeralMalformed
			}
			v := numeralAdd(total, section+max(pending, 0))
			if v < 1 {
				return 0, numeralMalformed
			}
			total = numeralMul(v, 100_000_000)
			yiSeen, wanSeen = true, false
			section, lastSmall, lastPlace = 0, 0, 10_000
		}
		pending, zero, afterUnit, lastUnit = -1, false, true, u
	}
	if !onesAfterZero() {
		return 0, numeralMalformed
	}
	if pending >= 0 {
		switch {
		case !pendingAfterUnit:
			// A bare number, or the ones after 零.
		case pendingLen == 1 && pending >= 1:
			pending = numeralMul(pending, lastUnit/10) // 两百五 is 250, not 205
		case pending >= lastPlace:
			return 0, numeralMalformed // 1万20000 says nothing sensible
		}
		section += pending
	}
	n := numeralAdd(total, section)
	if n > numeralLimit {
		return 0, numeralTooLarge
	}
	return n, numeralOK
}
