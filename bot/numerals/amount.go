package numerals

import (
	"errors"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/huzhu-station/huzhu/bot"
)

// ErrAmountMalformed is returned by ParseAmount for text that is not a sum of
// money.
var ErrAmountMalformed = errors.New("malformed amount")

// ErrAmountNotPositive is returned by ParseAmount for zero and negative sums,
// which no pledge, payment or expense can be.
var ErrAmountNotPositive = errors.New("amount not positive")

// ErrAmountTooLarge is returned by ParseAmount for sums above MaxAmountFen.
var ErrAmountTooLarge = errors.New("amount too large")

// MaxAmountFen is the largest amount ParseAmount accepts: one million yuan,
// far above any compound's crowdfunding, so anything larger is a typo.
const MaxAmountFen = 100_000_000

// ParseAmount parses a sum of money as residents type it and returns it in
// fen, so that no float ever touches money.
//
// It accepts Arabic numbers with up to two decimals ("300", "300.5", "1,000"),
// Chinese numerals ("三百", "两百五", "一万五"), a decimal followed by 百, 千
// or 万 ("1.5万"), an optional prefix (¥, ￥, RMB, 人民币) and an optional
// suffix (元, 块, 块钱, 圆, 元整, rmb). After 元, 块 or 圆 it also reads
// jiao and fen as spoken: "3块5" and "3元5角" are 3.50, "3块5毛6" is 3.56,
// "3元零5分" is 3.05.
//
// Errors wrap ErrAmountMalformed, ErrAmountNotPositive or ErrAmountTooLarge
// with the input.
func ParseAmount(s string) (fen int64, err error) {
	rs, ok := normalizeField(s)
	if !ok {
		return 0, wrapParseInput(ErrAmountMalformed, s)
	}
	fen, negative, res := parseAmountRunes(rs)
	switch {
	case res == numeralMalformed:
		return 0, wrapParseInput(ErrAmountMalformed, s)
	case negative:
		return 0, wrapParseInput(ErrAmountNotPositive, s)
	case res == numeralTooLarge || fen > MaxAmountFen:
		return 0, wrapParseInput(ErrAmountTooLarge, s)
	case fen == 0:
		return 0, wrapParseInput(ErrAmountNotPositive, s)
	}
	return fen, nil
}

// FormatAmount writes fen as yuan the way the bot speaks it: "300元",
// "300.50元", "0.05元".
func FormatAmount(fen int64) string {
	sign := ""
	u := uint64(fen)
	if fen < 0 {
		sign, u = "-", -u
	}
	yuan := strconv.FormatUint(u/100, 10)
	if u%100 == 0 {
		return sign + yuan + "元"
	}
	frac := strconv.FormatUint(u%100, 10)
	if len(frac) == 1 {
		frac = "0" + frac
	}
	return sign + yuan + "." + frac + "元"
}

// amountYuanSuffixes are the suffixes after which jiao and fen may follow.
var amountYuanSuffixes = []string{"元", "块", "圆"}

// amountSuffixes end an amount; longer ones come first so that 块钱 is not
// read as 块 followed by 钱.
var amountSuffixes = []string{"块钱", "元整", "元", "块", "圆", "rmb"}

// amountPrefixes need no ￥: Normalize has folded it to ¥.
var amountPrefixes = []string{"¥", "rmb", "人民币"}

// parseAmountRunes splits an amount into sign, prefix, number, suffix and
// jiao-fen tail. A sign is reported separately so that "-5" is "not
// positive" rather than "malformed": the resident meant a number.
func parseAmountRunes(rs []rune) (fen int64, negative bool, res numeralResult) {
	s := string(rs)
	s, negative = cutAmountSign(s)
	for _, p := range amountPrefixes {
		if rest, ok := cutAmountAffix(s, p); ok {
			s = strings.TrimSpace(rest)
			break
		}
	}
	if !negative {
		s, negative = cutAmountSign(s)
	}
	end := 0
	for end < len(s) {
		r, size := utf8.DecodeRuneInString(s[end:])
		if !isNumeralRune(r) && r != '.' && r != ',' {
			break
		}
		end += size
	}
	number, rest := s[:end], strings.TrimSpace(s[end:])
	var tail int64
	if rest != "" {
		suffix := ""
		for _, x := range amountSuffixes {
			if r, ok := cutAmountAffix(rest, x); ok {
				suffix, rest = x, r
				break
			}
		}
		if suffix == "" {
			return 0, negative, numeralMalformed
		}
		if rest != "" {
			var ok bool
			tail, ok = parseJiaoFen([]rune(rest))
			if !ok || !slices.Contains(amountYuanSuffixes, suffix) || strings.ContainsRune(number, '.') {
				return 0, negative, numeralMalformed
			}
		}
	}
	yuanFen, res := parseYuan(number)
	if res == numeralMalformed {
		return 0, negative, res
	}
	return yuanFen + tail, negative, res
}

func cutAmountSign(s string) (string, bool) {
	for _, p := range []string{"-", "−", "﹣", "负"} {
		if rest, ok := strings.CutPrefix(s, p); ok {
			return strings.TrimSpace(rest), true
		}
	}
	return s, false
}

func cutAmountAffix(s, prefix string) (string, bool) {
	if len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix) {
		return s[len(prefix):], true
	}
	return s, false
}

// parseYuan reads the number part of an amount and returns it in fen,
// saturating above numeralLimit yuan.
func parseYuan(s string) (int64, numeralResult) {
	if s == "" {
		return 0, numeralMalformed
	}
	if strings.ContainsAny(s, ".,") {
		return parseDecimalYuan(s)
	}
	n, res := parseNumeral([]rune(s))
	if res != numeralOK {
		return 0, res
	}
	return n * 100, numeralOK
}

// parseDecimalYuan reads Arabic digits with optional thousands separators,
// an optional fraction and an optional trailing 百, 千 or 万 ("1.5万"). The
// fraction may have more than two digits only when the unit makes up for
// them ("1.234万" is 12340 yuan).
func parseDecimalYuan(s string) (int64, numeralResult) {
	scale := int64(100) // fen per unit of the written number
	for _, u := range []struct {
		suffix string
		yuan   int64
	}{{"百", 100}, {"千", 1000}, {"万", 10_000}} {
		if rest, ok := strings.CutSuffix(s, u.suffix); ok {
			s, scale = rest, u.yuan*100
			break
		}
	}
	intPart, frac, hasPoint := strings.Cut(s, ".")
	intPart, ok := stripThousands(intPart)
	if !ok || (hasPoint && frac == "") || !allLatinDigits(frac) {
		return 0, numeralMalformed
	}
	whole := int64(0)
	for _, r := range intPart {
		whole = numeralAdd(numeralMul(whole, 10), int64(r-'0'))
	}
	fen := numeralMul(whole, scale)
	// Each fraction digit divides the scale by ten; a digit beyond the fen
	// is rejected even when it is zero, as "300.500" is more likely a typo
	// than a price.
	num, den := int64(0), int64(1)
	for _, r := range frac {
		num, den = num*10+int64(r-'0'), den*10
		if den > scale {
			return 0, numeralMalformed
		}
	}
	fen = numeralAdd(fen, num*(scale/den))
	if fen > numeralLimit {
		return fen, numeralTooLarge
	}
	return fen, numeralOK
}

// stripThousands removes "," thousands separators, which must group the
// digits in threes ("1,000", "12,000"), and checks that only digits remain.
func stripThousands(s string) (string, bool) {
	if s == "" || !strings.Contains(s, ",") {
		return s, s != "" && allLatinDigits(s)
	}
	groups := strings.Split(s, ",")
	for i, g := range groups {
		if !allLatinDigits(g) || g == "" || len(g) > 3 || (i > 0 && len(g) != 3) {
			return "", false
		}
	}
	return strings.Join(groups, ""), true
}

func allLatinDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// parseJiaoFen reads what may follow 元 or 块: a jiao digit with or without
// 角/毛 and then a fen digit with or without 分 ("5", "5角", "5毛6", "5角6分"),
// or a fen digit alone, possibly after 零 ("6分", "零6分").
func parseJiaoFen(rs []rune) (int64, bool) {
	i := 0
	digit := func() (int64, bool) {
		if i >= len(rs) {
			return 0, false
		}
		r := rs[i]
		if bot.IsLatinDigit(r) {
			i++
			return int64(r - '0'), true
		}
		if d, ok := chineseDigit(r); ok {
			i++
			return d, true
		}
		return 0, false
	}
	if isChineseZero(rs[0]) {
		i++
		d, ok := digit()
		if !ok || i+1 != len(rs) || rs[i] != '分' {
			return 0, false
		}
		return d, true
	}
	d, ok := digit()
	if !ok {
		return 0, false
	}
	if i == len(rs) {
		return d * 10, true // 三块五
	}
	switch rs[i] {
	case '分':
		return d, i+1 == len(rs)
	case '角', '毛':
		i++
	default:
		return 0, false
	}
	jiao := d * 10
	if i == len(rs) {
		return jiao, true
	}
	d, ok = digit()
	if !ok {
		return 0, false
	}
	if i < len(rs) && rs[i] == '分' {
		i++
	}
	return jiao + d, i == len(rs)
}
