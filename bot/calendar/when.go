package calendar

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"
	_ "time/tzdata" // Shanghai must load on machines without a zone database.
	"unicode/utf8"

	"github.com/huzhu-station/huzhu/bot"
	"github.com/huzhu-station/huzhu/bot/numerals"
)

// Shanghai is the zone every date and time in huzhu is read, computed and
// shown in. It falls back to a fixed UTC+8 zone, which has been the same since
// 1991, if the zone database cannot be loaded.
var Shanghai = loadShanghai()

func loadShanghai() *time.Location {
	if loc, err := time.LoadLocation("Asia/Shanghai"); err == nil {
		return loc
	}
	return time.FixedZone("CST", 8*3600)
}

// Errors returned by the time parsers. They are wrapped with the offending
// input; test them with errors.Is.
var (
	// ErrNoTime means the text does not start with anything that reads as a
	// date or a time.
	ErrNoTime = errors.New("no date or time")
	// ErrNoClock means the text names a day (明天, 周三, 12月1日) or a part
	// of the day (晚上) but ParseWhen needs a time of day too. It wraps
	// ErrNoTime, so errors.Is(err, ErrNoTime) also holds.
	ErrNoClock = fmt.Errorf("%w: a time of day is needed", ErrNoTime)
	// ErrBadTime means the text looks like a date or time that cannot
	// exist: 25:00, 2月30日, 13月, 周八.
	ErrBadTime = errors.New("impossible date or time")
	// ErrPastTime means the text resolves to a moment (ParseWhen) or a day
	// (ParseFutureDate) that is already over.
	ErrPastTime = errors.New("date or time is in the past")
	// ErrAmbiguousTime is what every *AmbiguousTimeError unwraps to.
	ErrAmbiguousTime = errors.New("ambiguous date or time")
	// ErrTooFar means the text resolves to a day more than MaxYearsAhead
	// years after today: 2100年1月1日 is a slip of the finger, not a plan.
	ErrTooFar = errors.New("date is too far ahead")
)

// MaxYearsAhead is how many years ahead of today the parsers of dates read
// a day; a later one gives ErrTooFar.
const MaxYearsAhead = 3

// Reasons an AmbiguousTimeError gives.
const (
	// AmbiguityWeekdayToday: a bare weekday (周三) said on that weekday
	// while the time is still ahead: today or a week from today.
	AmbiguityWeekdayToday = "weekday-today"
	// AmbiguityHourAmPm: an hour from 7 to 11 with 点 and no part of the
	// day (明天8点): morning or evening.
	AmbiguityHourAmPm = "hour-am-pm"
)

// AmbiguousTimeError reports text that could mean several times. The caller
// should ask which one was meant rather than guess.
type AmbiguousTimeError struct {
	// Input is the part of the text that was read as a time, e.g. "周三 8点".
	Input string
	// Reason is a short machine key: AmbiguityWeekdayToday or
	// AmbiguityHourAmPm.
	Reason string
	// Choices are the possible readings, all in the future for ParseWhen,
	// sorted from earliest to latest, in Shanghai.
	Choices []time.Time
}

func (e *AmbiguousTimeError) Error() string {
	return fmt.Sprintf("ambiguous time %q (%s): %d readings", e.Input, e.Reason, len(e.Choices))
}

// Unwrap lets errors.Is(err, ErrAmbiguousTime) hold.
func (e *AmbiguousTimeError) Unwrap() error { return ErrAmbiguousTime }

// ParseWhen reads a date and time of day at the start of text, relative to
// now, and returns it in Shanghai with the rest of the text, trimmed of
// spaces and one leading comma. On error rest is text unchanged.
//
// Dates: 2026-12-01, 2026/12/1, 2026.12.1, 20261201, 2026年12月1日,
// 12月1日, 12月1号, 12/1, 12.1, 12-01, 5号 (this month, or next month if the 5th
// has passed), 今天, 明天, 后天, 大后天, 3天后, 今晚, 明早, 明晚, 周三,
// 星期三, 礼拜三, 周日/周天/星期天, 本周三, 这周三, 下周一, 下下周一,
// 下个月5号, and English today, tomorrow, tonight, wed, next wed, 20 Dec,
// Dec 20, 20 December 2026. Times:
// 19:00, 9:00, 19点, 19点30, 19点30分, 7点半, 7点一刻, 晚上7点, 下午3点,
// 上午9点, 早上8点, 中午12点, 傍晚6点, 凌晨5点, 十九点, 7pm, 9:00am.
// Chinese numerals and full-width digits are read. A time of day is
// required: a day alone gives ErrNoClock.
//
// The rules, chosen so that a resident never gets a silently wrong day:
//   - A time with no date is today if still ahead of now, else tomorrow.
//   - A colon time (9:00, 19:00) is 24-hour. An hour with 点 and no part of
//     the day is as written for 0 and 12–23, afternoon for 1–6 (3点 is
//     15:00: nobody meets at 3 a.m.), and ambiguous for 7–11
//     (AmbiguityHourAmPm) unless one reading is already past (今天8点 said
//     at 10:00 is 20:00).
//   - A part of the day without an hour (后天上午, 明晚) is not given a
//     default hour: it gives ErrNoClock with the day and its part as the
//     error's input, so that the reply can ask which hour was meant.
//   - 晚上12点 and 晚上1点–4点 are after midnight: 今晚12点 is 00:00 tomorrow.
//   - A bare weekday (周三) is the next such day after today; said on that
//     very weekday with the time still ahead it is ambiguous
//     (AmbiguityWeekdayToday: today or in a week); with the time past, a
//     week from today. 周三 said on a Tuesday is tomorrow.
//   - 本周/这周 is the calendar week (Monday to Sunday) containing today; a
//     day of it already past gives ErrPastTime. 下周三 is the Wednesday of
//     next calendar week, 下下周三 the week after.
//   - A year-less date (12月1日) is this year; if that day is over, next year
//     when that is at most 183 days away, else ErrPastTime (11月20日 said on
//     11月24日 is a mistake, not next November).
//   - Anything resolving to now or earlier gives ErrPastTime, anything on
//     a day more than MaxYearsAhead years away ErrTooFar.
func ParseWhen(text string, now time.Time) (when time.Time, rest string, err error) {
	now = now.In(Shanghai)
	sc := newWhenScanner(text)
	sc.skipSpace()
	start := sc.i
	d, hasDate, err := sc.date()
	if err != nil {
		return time.Time{}, text, whenWrap(err, sc.span(start, text))
	}
	afterDate := sc.i
	if hasDate {
		sc.sep()
	}
	c, hasClock, sawPeriod, err := sc.clock()
	if err != nil {
		return time.Time{}, text, whenWrap(err, sc.span(start, text))
	}
	if !hasClock {
		if sawPeriod {
			sc.period() // 后天上午: the reply shows the day and its part
		} else {
			sc.i = afterDate
		}
		if hasDate || sawPeriod {
			return time.Time{}, text, whenWrap(ErrNoClock, sc.span(start, text))
		}
		return time.Time{}, text, whenWrap(ErrNoTime, sc.span(start, text))
	}
	input := sc.span(start, text)
	readings, err := whenReadings(c, d.period, false)
	if err != nil {
		return time.Time{}, text, whenWrap(err, input)
	}
	y, mo, dd := now.Date()
	var cands []time.Time
	if hasDate {
		days, err := d.days(now, whenModeWhen)
		if err != nil {
			return time.Time{}, text, whenWrap(err, input)
		}
		for _, day := range days {
			for _, r := range readings {
				t := time.Date(day.Year(), day.Month(), day.Day()+r.dayAdd, r.h, r.m, 0, 0, Shanghai)
				if t.After(now) {
					cands = append(cands, t)
				}
			}
		}
	} else {
		for _, r := range readings {
			t := time.Date(y, mo, dd, r.h, r.m, 0, 0, Shanghai)
			if !t.After(now) {
				t = time.Date(y, mo, dd+1, r.h, r.m, 0, 0, Shanghai)
			}
			cands = append(cands, t)
		}
	}
	cands = whenSortUnique(cands)
	switch {
	case len(cands) == 0:
		return time.Time{}, text, whenWrap(ErrPastTime, input)
	case len(cands) > 1:
		reason := AmbiguityWeekdayToday
		if len(readings) > 1 {
			reason = AmbiguityHourAmPm
		}
		return time.Time{}, text, &AmbiguousTimeError{Input: input, Reason: reason, Choices: cands}
	}
	return cands[0], whenRest(text, sc.i), nil
}

// ParseDate reads a calendar date at the start of text, relative to now, and
// returns midnight of that day in Shanghai with the rest of the text (trimmed
// as in ParseWhen). Past days are allowed: it is meant for records such as
// the day of the last rabies shot. A time after the date is left in rest.
//
// It reads every date form of ParseWhen, plus 昨天, 前天, 上周三, 去年12月10日,
// 今年/明年 and English yesterday. The rules differ from ParseWhen only where
// the past is concerned:
//   - A year-less date (12月10日) is this year, unless that is more than 31
//     days ahead of today, then it is last year: on 2026-11-24, 12月10日 is
//     2026-12-10 but 12月31日 is 2025-12-31.
//   - 5号 is the 5th of this month, even if that is ahead.
//   - A bare weekday is read forward as in ParseWhen; said on that weekday it
//     is ambiguous (AmbiguityWeekdayToday: today or in a week). Use 上周三 for
//     the past.
//
// A day more than MaxYearsAhead years ahead gives ErrTooFar. For a day that
// must not be past (a deadline, a shift to sign up for), use
// ParseFutureDate.
func ParseDate(text string, now time.Time) (day time.Time, rest string, err error) {
	return parseDay(text, now, whenModeDate)
}

// ParseFutureDate reads a calendar date like ParseDate but for a day that
// must be today or later, such as a deadline (截止 12月31日) or the shift to
// sign up for (报名 5 周三). Year-less dates and 5号 roll forward as in
// ParseWhen, and a day before today gives ErrPastTime.
func ParseFutureDate(text string, now time.Time) (day time.Time, rest string, err error) {
	return parseDay(text, now, whenModeFuture)
}

func parseDay(text string, now time.Time, mode whenMode) (time.Time, string, error) {
	now = now.In(Shanghai)
	sc := newWhenScanner(text)
	sc.skipSpace()
	start := sc.i
	d, ok, err := sc.date()
	if err != nil {
		return time.Time{}, text, whenWrap(err, sc.span(start, text))
	}
	if !ok {
		return time.Time{}, text, whenWrap(ErrNoTime, sc.span(start, text))
	}
	input := sc.span(start, text)
	days, err := d.days(now, mode)
	if err != nil {
		return time.Time{}, text, whenWrap(err, input)
	}
	if len(days) > 1 {
		return time.Time{}, text, &AmbiguousTimeError{Input: input, Reason: AmbiguityWeekdayToday, Choices: days}
	}
	return days[0], whenRest(text, sc.i), nil
}

// whenScanLimit caps how much of the text the parsers look at; the longest
// sensible expression (每周一、周二、周三 晚上十一点三十分-十二点) is well under it.
const whenScanLimit = 192

// whenScanner walks the start of a text rune by rune, folding full-width
// forms to ASCII so that ２０：００ reads like 20:00.
type whenScanner struct {
	s string
	i int
}

func newWhenScanner(text string) *whenScanner {
	if len(text) > whenScanLimit {
		text = text[:whenScanLimit]
	}
	return &whenScanner{s: text}
}

func whenFold(r rune) rune {
	switch {
	case r >= 0xFF01 && r <= 0xFF5E:
		return r - 0xFEE0
	case r == 0x3000:
		return ' '
	}
	return r
}

func (sc *whenScanner) peek() (rune, int) {
	if sc.i >= len(sc.s) {
		return -1, 0
	}
	r, n := utf8.DecodeRuneInString(sc.s[sc.i:])
	return whenFold(r), n
}

// peek2 returns the rune after the next one.
func (sc *whenScanner) peek2() rune {
	_, n := sc.peek()
	if n == 0 || sc.i+n >= len(sc.s) {
		return -1
	}
	r, _ := utf8.DecodeRuneInString(sc.s[sc.i+n:])
	return whenFold(r)
}

// eat consumes the next rune if it is one of rs (after folding).
func (sc *whenScanner) eat(rs ...rune) bool {
	r, n := sc.peek()
	for _, c := range rs {
		if n > 0 && r == c {
			sc.i += n
			return true
		}
	}
	return false
}

// lit consumes the first of words the text continues with; callers list a
// word before any word that is its prefix.
func (sc *whenScanner) lit(words ...string) (string, bool) {
	rest := sc.s[sc.i:]
	for _, w := range words {
		if strings.HasPrefix(rest, w) {
			sc.i += len(w)
			return w, true
		}
	}
	return "", false
}

// word consumes the first of the ASCII words the text continues with, in
// any case, when no letter follows it.
func (sc *whenScanner) word(words ...string) (string, bool) {
	rest := sc.s[sc.i:]
	for _, w := range words {
		if len(rest) < len(w) || !whenASCIIFold(rest[:len(w)], w) {
			continue
		}
		if len(rest) > len(w) && whenIsLetter(rest[len(w)]) {
			continue
		}
		sc.i += len(w)
		return w, true
	}
	return "", false
}

func whenASCIIFold(a, b string) bool {
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

func whenIsLetter(b byte) bool { return 'a' <= b && b <= 'z' || 'A' <= b && b <= 'Z' }

func whenIsSpace(r rune) bool {
	switch r {
	case ' ', '\t', '\n', '\r', '\v', '\f', 0x85, 0xA0:
		return true
	}
	return false
}

func (sc *whenScanner) skipSpace() {
	for {
		r, n := sc.peek()
		if n == 0 || !whenIsSpace(r) {
			return
		}
		sc.i += n
	}
}

// sep skips what may stand between a date and a time: spaces, commas, 的
// and English "at".
func (sc *whenScanner) sep() {
	for {
		sc.skipSpace()
		if sc.eat(',') {
			continue
		}
		if _, ok := sc.lit("的"); ok {
			continue
		}
		if _, ok := sc.word("at"); ok {
			continue
		}
		return
	}
}

// span returns the text read since start, or the head of the text when
// nothing was read, for error messages.
func (sc *whenScanner) span(start int, text string) string {
	if sc.i > start {
		return strings.TrimSpace(text[start:sc.i])
	}
	return whenClip(text)
}

func whenClip(s string) string {
	s = strings.TrimSpace(s)
	const max = 48
	if len(s) <= max {
		return s
	}
	cut := max
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// TimeError is how the time parsers report what they could not use: the
// reason (ErrNoTime, ErrBadTime …, tested with errors.Is) and the part of
// the text it concerns, so that a reply can show the resident what was read.
type TimeError struct {
	Err   error
	Input string
}

func (e *TimeError) Error() string { return fmt.Sprintf("%v: %q", e.Err, e.Input) }

// Unwrap lets errors.Is see the reason.
func (e *TimeError) Unwrap() error { return e.Err }

// TimeInput returns the text a time parser's error concerns: the date that
// needs a time of day (后天上午), the head of the text it could not read, or
// "" when there was no text at all.
func TimeInput(err error) string {
	var te *TimeError
	if errors.As(err, &te) {
		return te.Input
	}
	var amb *AmbiguousTimeError
	if errors.As(err, &amb) {
		return amb.Input
	}
	return ""
}

func whenWrap(err error, input string) error {
	return &TimeError{Err: err, Input: input}
}

// whenRest is the text after index i, trimmed of spaces and of one comma
// that separated the time from what follows.
func whenRest(text string, i int) string {
	rest := strings.TrimSpace(text[i:])
	for _, c := range []string{",", "，", "、"} {
		if strings.HasPrefix(rest, c) {
			return strings.TrimSpace(rest[len(c):])
		}
	}
	return rest
}

func whenSortUnique(ts []time.Time) []time.Time {
	sort.Slice(ts, func(i, j int) bool { return ts[i].Before(ts[j]) })
	out := ts[:0]
	for i, t := range ts {
		if i == 0 || !t.Equal(ts[i-1]) {
			out = append(out, t)
		}
	}
	return out
}

// Numbers.

func whenDigit(r rune) (int, bool) {
	if bot.IsLatinDigit(r) {
		return int(r - '0'), true
	}
	return 0, false
}

// digits reads up to 10 ASCII or full-width digits and says how many.
func (sc *whenScanner) digits() (v, n int) {
	for n < 10 {
		r, size := sc.peek()
		d, ok := whenDigit(r)
		if !ok {
			break
		}
		v = v*10 + d
		n++
		sc.i += size
	}
	return v, n
}

func (sc *whenScanner) digitNext() bool {
	r, _ := sc.peek()
	_, ok := whenDigit(r)
	return ok
}

// number reads a number in digits or Chinese numerals (十九, 三十一, 廿三, or
// digit by digit 二〇二六) with numerals.ReadNumber. ndig is the count of digits, 0 for
// Chinese numerals.
func (sc *whenScanner) number() (v, ndig int, ok bool) {
	if v, n := sc.digits(); n > 0 {
		return v, n, true
	}
	start := sc.i
	var buf [6]rune
	k := 0
	for k < len(buf) {
		r, n := sc.peek()
		if _, isD := numerals.SpokenDigit(r); !isD && r != '十' && r != '廿' || bot.IsLatinDigit(r) {
			break
		}
		buf[k] = r
		k++
		sc.i += n
	}
	if k == 0 {
		return 0, 0, false
	}
	n, ok := numerals.ReadNumber(buf[:k], true)
	if !ok || n > 9999 {
		sc.i = start
		return 0, 0, false
	}
	return int(n), 0, true
}

// Dates.

type whenDateKind int

const (
	dateNone     whenDateKind = iota
	dateAbs                   // y, m, d
	dateYearRel               // yearRel, m, d: 去年12月10日
	dateYearless              // m, d: 12月1日
	dateDOM                   // d, and monthRel if monthGiven: 5号, 下个月5号
	dateRel                   // rel days from today: 明天
	dateWeekday               // wd, week or bare: 周三, 下周三
)

type whenDate struct {
	kind       whenDateKind
	y, m, d    int
	yearRel    int
	monthRel   int
	monthGiven bool
	rel        int
	wd         int // 1 Monday … 7 Sunday
	week       int // 0 this week, 1 next, 2 the week after, -1 last
	bare       bool
	period     whenPeriod // from 今晚, 明早
}

type whenMode int

const (
	whenModeWhen whenMode = iota
	whenModeDate
	whenModeFuture
)

var whenRelWords = []struct {
	w      string
	rel    int
	period whenPeriod
}{
	{"大后天", 3, periodNone}, {"大後天", 3, periodNone},
	{"后天", 2, periodNone}, {"後天", 2, periodNone},
	{"明天", 1, periodNone}, {"明日", 1, periodNone},
	{"今天", 0, periodNone}, {"今日", 0, periodNone},
	{"大前天", -3, periodNone}, {"前天", -2, periodNone},
	{"昨天", -1, periodNone}, {"昨日", -1, periodNone},
	{"今晚", 0, periodEvening}, {"今夜", 0, periodEvening},
	{"今早", 0, periodMorning}, {"今晨", 0, periodMorning},
	{"明早", 1, periodMorning}, {"明晨", 1, periodMorning},
	{"明晚", 1, periodEvening}, {"明夜", 1, periodEvening},
	{"昨晚", -1, periodEvening},
}

var whenEngRelWords = []struct {
	w      string
	rel    int
	period whenPeriod
}{
	{"today", 0, periodNone}, {"tonight", 0, periodEvening},
	{"tomorrow", 1, periodNone}, {"yesterday", -1, periodNone},
}

var whenYearWords = map[string]int{"今年": 0, "去年": -1, "前年": -2, "明年": 1, "后年": 2, "後年": 2}

var whenMonthWords = map[string]int{
	"这个月": 0, "这月": 0, "本月": 0, "当月": 0,
	"下个月": 1, "下月": 1, "上个月": -1, "上月": -1,
}

var whenWeekWords = map[string]int{
	"下下个": 2, "下下": 2, "下一个": 1, "下个": 1, "下一": 1, "下": 1,
	"上上个": -2, "上上": -2, "上一个": -1, "上个": -1, "上一": -1, "上": -1,
	"这个": 0, "这一": 0, "这": 0, "本": 0,
}

var whenWeekPrefixes = []string{
	"下下个", "下下", "下一个", "下个", "下一", "下",
	"上上个", "上上", "上一个", "上个", "上一", "上",
	"这个", "这一", "这", "本",
}

var whenEngDays = []struct {
	names []string
	wd    int
}{
	{[]string{"monday", "mon"}, 1},
	{[]string{"tuesday", "tues", "tue"}, 2},
	{[]string{"wednesday", "wed"}, 3},
	{[]string{"thursday", "thurs", "thur", "thu"}, 4},
	{[]string{"friday", "fri"}, 5},
	{[]string{"saturday", "sat"}, 6},
	{[]string{"sunday", "sun"}, 7},
}

// whenHaoNouns are characters that make 号 part of a name (1号楼, 3号门),
// not a day of the month.
const whenHaoNouns = "楼樓院门門线口房室位车栋幢单床柜窗机厅店铺坑箱桶垃地场馆岗区"

// date reads a date. It returns ok false with the scanner unmoved when the
// text does not start with one, and ErrBadTime when it looks like a date but
// is malformed beyond doubt (周八).
func (sc *whenScanner) date() (whenDate, bool, error) {
	start := sc.i
	for _, w := range whenRelWords {
		if _, ok := sc.lit(w.w); ok {
			return whenDate{kind: dateRel, rel: w.rel, period: w.period}, true, nil
		}
	}
	for _, w := range whenEngRelWords {
		if _, ok := sc.word(w.w); ok {
			return whenDate{kind: dateRel, rel: w.rel, period: w.period}, true, nil
		}
	}
	if d, ok, err := sc.weekday(); ok || err != nil {
		return d, ok, err
	}
	if w, ok := sc.lit("今年", "去年", "前年", "明年", "后年", "後年"); ok {
		if m, d, ok := sc.monthDay(); ok {
			return whenDate{kind: dateYearRel, yearRel: whenYearWords[w], m: m, d: d}, true, nil
		}
		sc.i = start
		return whenDate{}, false, nil
	}
	if w, ok := sc.lit("这个月", "这月", "本月", "当月", "下个月", "下月", "上个月", "上月"); ok {
		if v, nd, ok := sc.number(); ok && nd <= 2 {
			if _, ok := sc.lit("号", "日", "號"); ok {
				return whenDate{kind: dateDOM, d: v, monthRel: whenMonthWords[w], monthGiven: true}, true, nil
			}
		}
		sc.i = start
		return whenDate{}, false, nil
	}
	if d, ok := sc.engDate(); ok {
		return d, true, nil
	}
	return sc.numericDate()
}

var whenEngMonths = []struct {
	names []string
	m     int
}{
	{[]string{"january", "jan"}, 1}, {[]string{"february", "feb"}, 2}, {[]string{"march", "mar"}, 3},
	{[]string{"april", "apr"}, 4}, {[]string{"may"}, 5}, {[]string{"june", "jun"}, 6},
	{[]string{"july", "jul"}, 7}, {[]string{"august", "aug"}, 8}, {[]string{"september", "sept", "sep"}, 9},
	{[]string{"october", "oct"}, 10}, {[]string{"november", "nov"}, 11}, {[]string{"december", "dec"}, 12},
}

func (sc *whenScanner) engMonth() (int, bool) {
	for _, e := range whenEngMonths {
		if _, ok := sc.word(e.names...); ok {
			sc.eat('.')
			return e.m, true
		}
	}
	return 0, false
}

// engDay reads a day of the month in digits, with an English ordinal
// ending if any (20, 20th, 1st).
func (sc *whenScanner) engDay() (int, bool) {
	d, n := sc.digits()
	if n < 1 || n > 2 {
		return 0, false
	}
	sc.word("st", "nd", "rd", "th")
	return d, true
}

// engDate reads the English dates the bot itself writes and people answer
// with: 20 Dec, 20 December 2026, Dec 20, Dec 20, 2026. It leaves the
// scanner unmoved when the text does not start with one.
func (sc *whenScanner) engDate() (whenDate, bool) {
	start := sc.i
	var m, d int
	if mm, ok := sc.engMonth(); ok {
		sc.skipSpace()
		dd, ok := sc.engDay()
		if !ok {
			sc.i = start
			return whenDate{}, false
		}
		m, d = mm, dd
	} else {
		dd, ok := sc.engDay()
		if !ok {
			sc.i = start
			return whenDate{}, false
		}
		sc.skipSpace()
		mm, ok := sc.engMonth()
		if !ok {
			sc.i = start
			return whenDate{}, false
		}
		m, d = mm, dd
	}
	// An optional year: four digits that do not start a time (2026, not 19:00).
	afterDay := sc.i
	sc.eat(',')
	sc.skipSpace()
	if y, n := sc.digits(); n == 4 {
		if r, _ := sc.peek(); r != ':' && r != '.' {
			return whenDate{kind: dateAbs, y: y, m: m, d: d}, true
		}
	}
	sc.i = afterDay
	return whenDate{kind: dateYearless, m: m, d: d}, true
}

// monthDay reads 12月1日, 12月1号, 12月1 or 十二月一日.
func (sc *whenScanner) monthDay() (m, d int, ok bool) {
	start := sc.i
	m, nd, ok := sc.number()
	if !ok || nd > 2 || !sc.eat('月') {
		sc.i = start
		return 0, 0, false
	}
	d, nd, ok = sc.number()
	if !ok || nd > 2 {
		sc.i = start
		return 0, 0, false
	}
	sc.lit("日", "号", "號")
	return m, d, true
}

func (sc *whenScanner) numericDate() (whenDate, bool, error) {
	start := sc.i
	none := func() (whenDate, bool, error) {
		sc.i = start
		return whenDate{}, false, nil
	}
	v, nd, ok := sc.number()
	if !ok {
		return none()
	}
	r, n := sc.peek()
	switch {
	case (nd == 4 || nd == 0 && v >= 1000) && r == '年':
		sc.i += n
		if m, d, ok := sc.monthDay(); ok {
			return whenDate{kind: dateAbs, y: v, m: m, d: d}, true, nil
		}
	case nd == 4 && (r == '-' || r == '/' || r == '.'):
		sc.i += n
		m, mn := sc.digits()
		if mn < 1 || mn > 2 || !sc.eat(r) {
			return none()
		}
		d, dn := sc.digits()
		if dn < 1 || dn > 2 {
			return none()
		}
		if t := sc.i; (sc.eat('T') || sc.eat('t')) && !sc.digitNext() {
			sc.i = t // a T not followed by a time is text
		}
		return whenDate{kind: dateAbs, y: v, m: m, d: d}, true, nil
	case nd == 8:
		return whenDate{kind: dateAbs, y: v / 10000, m: v / 100 % 100, d: v % 100}, true, nil
	case nd <= 2 && r == '月':
		sc.i = start
		if m, d, ok := sc.monthDay(); ok {
			return whenDate{kind: dateYearless, m: m, d: d}, true, nil
		}
	case nd >= 1 && nd <= 2 && (r == '-' || r == '/' || r == '.'):
		sc.i += n
		d, dn := sc.digits()
		if dn < 1 || dn > 2 {
			return none()
		}
		// 12.11 is a date only when it can be one: 19.30 and 7.45 are not.
		if r == '.' && (v < 1 || v > 12 || d < 1 || d > whenMaxDays[v]) {
			return none()
		}
		// 3-2-301 is a room, 6-8点 a range of hours, 12/1/5 nothing we know.
		if nr, _ := sc.peek(); nr >= 0 && strings.ContainsRune("-/:.点時时點号", nr) {
			return none()
		}
		return whenDate{kind: dateYearless, m: v, d: d}, true, nil
	case nd <= 2 && (r == '号' || r == '日' || r == '號'):
		sc.i += n
		if nr, _ := sc.peek(); nr >= 0 && strings.ContainsRune(whenHaoNouns, nr) {
			return none()
		}
		return whenDate{kind: dateDOM, d: v}, true, nil
	case nd <= 3 && r == '天':
		sc.i += n
		if _, ok := sc.lit("以后", "之后", "后", "後"); ok {
			return whenDate{kind: dateRel, rel: v}, true, nil
		}
	}
	return none()
}

func whenWeekdayRune(r rune) int {
	switch r {
	case '一', '1':
		return 1
	case '二', '2':
		return 2
	case '三', '3':
		return 3
	case '四', '4':
		return 4
	case '五', '5':
		return 5
	case '六', '6':
		return 6
	case '日', '天', '七', '7':
		return 7
	}
	return 0
}

// weekday reads 周三, 星期三, 礼拜天, 本周三, 下周一, 下下个星期五, wed, next wed.
func (sc *whenScanner) weekday() (whenDate, bool, error) {
	start := sc.i
	week, bare := 0, true
	if w, ok := sc.lit(whenWeekPrefixes...); ok {
		week, bare = whenWeekWords[w], false
	}
	if _, ok := sc.lit("星期", "礼拜", "禮拜", "周", "週"); !ok {
		sc.i = start
		return sc.engWeekday()
	}
	r, n := sc.peek()
	wd := whenWeekdayRune(r)
	if wd == 0 {
		_, isDigit := whenDigit(r)
		_, isCN := numerals.SpokenDigit(r)
		if isDigit || isCN {
			return whenDate{}, false, ErrBadTime
		}
		sc.i = start // 周末, 周边
		return whenDate{}, false, nil
	}
	sc.i += n
	if _, isDigit := whenDigit(r); isDigit && sc.digitNext() {
		return whenDate{}, false, ErrBadTime // 周12
	}
	return whenDate{kind: dateWeekday, wd: wd, week: week, bare: bare}, true, nil
}

func (sc *whenScanner) engWeekday() (whenDate, bool, error) {
	start := sc.i
	week, bare := 0, true
	if w, ok := sc.word("next", "this", "last"); ok {
		sc.skipSpace()
		bare = false
		switch w {
		case "next":
			week = 1
		case "last":
			week = -1
		}
	}
	for _, e := range whenEngDays {
		if _, ok := sc.word(e.names...); ok {
			return whenDate{kind: dateWeekday, wd: e.wd, week: week, bare: bare}, true, nil
		}
	}
	sc.i = start
	return whenDate{}, false, nil
}

func whenDaysIn(y int, m time.Month) int {
	return time.Date(y, m+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

func whenValidDate(y, m, d int) bool {
	return y >= 1900 && y <= 2999 && m >= 1 && m <= 12 && d >= 1 && d <= whenDaysIn(y, time.Month(m))
}

// whenMaxDays is the longest each month can be, 2月29日 included.
var whenMaxDays = [13]int{0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31}

func whenMidnight(y int, m time.Month, d int) time.Time {
	return time.Date(y, m, d, 0, 0, 0, 0, Shanghai)
}

// whenDaysBetween counts calendar days from a to b.
func whenDaysBetween(a, b time.Time) int {
	ay, am, ad := a.Date()
	by, bm, bd := b.Date()
	ua := time.Date(ay, am, ad, 0, 0, 0, 0, time.UTC).Unix()
	ub := time.Date(by, bm, bd, 0, 0, 0, 0, time.UTC).Unix()
	return int((ub - ua) / 86400)
}

// days resolves a date to the days it may mean: one, or two for a bare
// weekday said on that weekday.
func (d whenDate) days(now time.Time, mode whenMode) ([]time.Time, error) {
	y, mo, dd := now.Date()
	today := whenMidnight(y, mo, dd)
	var days []time.Time
	switch d.kind {
	case dateAbs, dateYearRel:
		yy := d.y
		if d.kind == dateYearRel {
			yy = y + d.yearRel
		}
		if !whenValidDate(yy, d.m, d.d) {
			return nil, ErrBadTime
		}
		days = []time.Time{whenMidnight(yy, time.Month(d.m), d.d)}
	case dateYearless:
		if d.m < 1 || d.m > 12 || d.d < 1 || d.d > whenMaxDays[d.m] {
			return nil, ErrBadTime
		}
		yy := y
		this := whenMidnight(yy, time.Month(d.m), d.d)
		if mode == whenModeDate {
			if whenDaysBetween(today, this) > 31 {
				yy--
			}
		} else if this.Before(today) {
			if whenDaysBetween(today, whenMidnight(yy+1, time.Month(d.m), d.d)) > 183 {
				return nil, ErrPastTime
			}
			yy++
		}
		if !whenValidDate(yy, d.m, d.d) {
			return nil, ErrBadTime
		}
		days = []time.Time{whenMidnight(yy, time.Month(d.m), d.d)}
	case dateDOM:
		if d.d < 1 || d.d > 31 {
			return nil, ErrBadTime
		}
		first := whenMidnight(y, mo, 1)
		switch {
		case d.monthGiven:
			first = whenMidnight(y, mo+time.Month(d.monthRel), 1)
		case mode != whenModeDate && d.d < dd:
			first = whenMidnight(y, mo+1, 1)
		}
		if d.d > whenDaysIn(first.Year(), first.Month()) {
			return nil, ErrBadTime
		}
		days = []time.Time{whenMidnight(first.Year(), first.Month(), d.d)}
	case dateRel:
		days = []time.Time{whenMidnight(y, mo, dd+d.rel)}
	case dateWeekday:
		wdToday := int(today.Weekday())
		if wdToday == 0 {
			wdToday = 7
		}
		if d.bare {
			delta := (d.wd - wdToday + 7) % 7
			if delta == 0 {
				days = []time.Time{today, whenMidnight(y, mo, dd+7)}
			} else {
				days = []time.Time{whenMidnight(y, mo, dd+delta)}
			}
		} else {
			monday := dd - (wdToday - 1)
			days = []time.Time{whenMidnight(y, mo, monday+7*d.week+d.wd-1)}
		}
	default:
		return nil, ErrNoTime
	}
	latest := whenMidnight(y+MaxYearsAhead, mo, dd)
	for _, day := range days {
		if day.After(latest) {
			return nil, ErrTooFar
		}
	}
	if mode == whenModeFuture {
		kept := days[:0]
		for _, day := range days {
			if !day.Before(today) {
				kept = append(kept, day)
			}
		}
		if len(kept) == 0 {
			return nil, ErrPastTime
		}
		days = kept
	}
	return days, nil
}

// Times of day.

type whenPeriod int

const (
	periodNone      whenPeriod = iota
	periodDawn                 // 凌晨
	periodMorning              // 早上, 上午
	periodNoon                 // 中午
	periodAfternoon            // 下午
	periodDusk                 // 傍晚
	periodEvening              // 晚上
	periodLateNight            // 半夜
)

var whenPeriods = []struct {
	w string
	p whenPeriod
}{
	{"凌晨", periodDawn},
	{"早上", periodMorning}, {"早晨", periodMorning}, {"清晨", periodMorning}, {"上午", periodMorning}, {"早", periodMorning},
	{"中午", periodNoon}, {"正午", periodNoon}, {"午间", periodNoon},
	{"下午", periodAfternoon}, {"午后", periodAfternoon},
	{"傍晚", periodDusk}, {"黄昏", periodDusk},
	{"晚上", periodEvening}, {"晚间", periodEvening}, {"夜里", periodEvening}, {"夜晚", periodEvening}, {"夜间", periodEvening}, {"晚", periodEvening},
	{"半夜", periodLateNight}, {"深夜", periodLateNight}, {"午夜", periodLateNight},
}

func (sc *whenScanner) period() whenPeriod {
	for _, p := range whenPeriods {
		if _, ok := sc.lit(p.w); ok {
			return p.p
		}
	}
	return periodNone
}

type whenClockForm int

const (
	clockColon whenClockForm = iota + 1 // 19:00
	clockDian                           // 7点, 7点半
	clockAM                             // 9am
	clockPM                             // 7pm
)

type whenClock struct {
	h, m   int
	period whenPeriod
	form   whenClockForm
}

// clock reads a time of day. When the text does not start with one it
// returns found false with the scanner unmoved, and sawPeriod when a part of
// the day (晚上) stood there without an hour.
func (sc *whenScanner) clock() (c whenClock, found, sawPeriod bool, err error) {
	start := sc.i
	c.period = sc.period()
	if c.period != periodNone {
		sc.skipSpace()
	}
	notClock := func() (whenClock, bool, bool, error) {
		sc.i = start
		return whenClock{}, false, c.period != periodNone, nil
	}
	h, nd, ok := sc.number()
	if !ok || nd > 2 {
		return notClock()
	}
	c.h = h
	if nd > 0 && sc.eat(':') {
		m, mn := sc.digits()
		if mn != 2 {
			return whenClock{}, false, false, ErrBadTime
		}
		c.m, c.form = m, clockColon
		if r, n := sc.peek(); r == ':' && sc.peek2() >= '0' && sc.peek2() <= '9' {
			sc.i += n
			if s, sn := sc.digits(); sn != 2 || s > 59 {
				return whenClock{}, false, false, ErrBadTime
			}
		}
		sc.ampm(&c)
		return c, true, false, nil
	}
	save := sc.i
	sc.skipSpace()
	if _, ok := sc.lit("点钟", "點鐘"); ok {
		c.form = clockDian
		return c, true, false, nil
	}
	if _, ok := sc.lit("点", "點", "时", "時"); ok {
		c.form = clockDian
		if err := sc.minutes(&c); err != nil {
			return whenClock{}, false, false, err
		}
		return c, true, false, nil
	}
	sc.i = save
	if nd > 0 && sc.ampm(&c) {
		return c, true, false, nil
	}
	return notClock()
}

// minutes reads what follows 点: 半, 一刻, 三刻, 整, 30, 30分, 零五, 十五分.
func (sc *whenScanner) minutes(c *whenClock) error {
	switch {
	case sc.eat('半'):
		c.m = 30
		return nil
	case sc.eat('整'):
		return nil
	}
	if _, ok := sc.lit("一刻"); ok {
		c.m = 15
		return nil
	}
	if _, ok := sc.lit("三刻"); ok {
		c.m = 45
		return nil
	}
	start := sc.i
	first, _ := sc.peek()
	m, nd, ok := sc.number()
	if !ok {
		return nil
	}
	if nd > 2 || m > 59 {
		return ErrBadTime
	}
	_, minute := sc.lit("分钟", "分鐘", "分")
	// 七点一起走, 7点3号楼: a lone single figure after 点 is not a minute.
	if !minute && (nd == 1 || nd == 0 && m < 10 && first != '零' && first != '〇') {
		sc.i = start
		return nil
	}
	c.m = m
	return nil
}

func (sc *whenScanner) ampm(c *whenClock) bool {
	save := sc.i
	sc.skipSpace()
	if _, ok := sc.word("a.m.", "a.m", "am"); ok {
		c.form = clockAM
		return true
	}
	if _, ok := sc.word("p.m.", "p.m", "pm"); ok {
		c.form = clockPM
		return true
	}
	sc.i = save
	return false
}

// whenHM is one reading of a clock: hour and minute, and dayAdd 1 when it
// falls after the midnight that ends the named day (今晚12点).
type whenHM struct{ h, m, dayAdd int }

// whenReadings gives the possible 24-hour readings of a clock; see ParseWhen
// for the rules. dayPeriod is the part of the day carried by the date (今晚).
// A recurrence reads a bare 7–11 as morning instead of asking.
func whenReadings(c whenClock, dayPeriod whenPeriod, recurring bool) ([]whenHM, error) {
	if c.m < 0 || c.m > 59 {
		return nil, ErrBadTime
	}
	switch c.form {
	case clockAM, clockPM:
		if c.h < 1 || c.h > 12 {
			return nil, ErrBadTime
		}
		h := c.h % 12
		if c.form == clockPM {
			h += 12
		}
		return []whenHM{{h, c.m, 0}}, nil
	}
	p := c.period
	if p == periodNone {
		p = dayPeriod
	}
	if p != periodNone {
		hm, ok := whenApplyPeriod(p, c.h)
		if !ok {
			return nil, ErrBadTime
		}
		hm.m = c.m
		return []whenHM{hm}, nil
	}
	h := c.h
	switch {
	case h > 23:
		return nil, ErrBadTime
	case c.form == clockColon || h == 0 || h >= 12:
		return []whenHM{{h, c.m, 0}}, nil
	case h <= 6:
		return []whenHM{{h + 12, c.m, 0}}, nil
	case recurring:
		return []whenHM{{h, c.m, 0}}, nil
	}
	return []whenHM{{h, c.m, 0}, {h + 12, c.m, 0}}, nil
}

func whenApplyPeriod(p whenPeriod, h int) (whenHM, bool) {
	in := func(lo, hi int) bool { return lo <= h && h <= hi }
	switch p {
	case periodDawn:
		switch {
		case in(0, 6):
			return whenHM{h: h}, true
		case h == 12:
			return whenHM{h: 0}, true
		}
	case periodMorning:
		if in(0, 12) {
			return whenHM{h: h}, true
		}
	case periodNoon:
		switch {
		case in(11, 14):
			return whenHM{h: h}, true
		case in(1, 2):
			return whenHM{h: h + 12}, true
		}
	case periodAfternoon:
		switch {
		case in(1, 11):
			return whenHM{h: h + 12}, true
		case in(12, 23):
			return whenHM{h: h}, true
		}
	case periodDusk:
		switch {
		case in(4, 8):
			return whenHM{h: h + 12}, true
		case in(16, 20):
			return whenHM{h: h}, true
		}
	case periodEvening:
		switch {
		case in(5, 11):
			return whenHM{h: h + 12}, true
		case in(17, 23):
			return whenHM{h: h}, true
		case h == 12 || h == 0:
			return whenHM{h: 0, dayAdd: 1}, true
		case in(1, 4):
			return whenHM{h: h, dayAdd: 1}, true
		}
	case periodLateNight:
		switch {
		case h == 11 || h == 23:
			return whenHM{h: 23}, true
		case h == 12 || h == 0:
			return whenHM{h: 0, dayAdd: 1}, true
		case in(1, 4):
			return whenHM{h: h, dayAdd: 1}, true
		}
	}
	return whenHM{}, false
}
