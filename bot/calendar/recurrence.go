package calendar

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
)

// ErrBadRecurrence means the text does not start with a repeating time we
// can read, or with a cron spec that is valid and ever fires.
var ErrBadRecurrence = errors.New("not a recurring time")

// MinRecurrenceGap is the shortest time ParseRecurrence and ParseSlot let
// pass between two firings of a schedule: a group told the same thing every
// few minutes stops reading, and leaves.
const MinRecurrenceGap = time.Hour

// ErrTooFrequent means a recurring time fires more often than once every
// MinRecurrenceGap (a cron spec such as * * * * *). It wraps
// ErrBadRecurrence, so errors.Is(err, ErrBadRecurrence) also holds.
var ErrTooFrequent = fmt.Errorf("%w: fires more often than hourly", ErrBadRecurrence)

// recGapFirings is how many firings recCheck looks at for two that come
// too close. Firings closer than an hour need two values in the minute
// field, and every hour such a spec fires in has both, so the first few
// firings tell.
const recGapFirings = 24

// ParseRecurrence reads a repeating time at the start of text and returns it
// as a standard 5-field cron spec (minute hour day-of-month month
// day-of-week, Sunday = 0), to be run in Shanghai (see NextFire), with the
// rest of the text trimmed as in ParseWhen.
//
// It reads:
//   - 每天 09:00, 每日 9:00, 天天, 每晚8点 (evening), every day 09:00, daily 9am
//   - 每周三 19:00, 每周三晚上7点, 每星期三, 每礼拜三, 每周日/每周天
//   - lists and ranges: 每周二四, 每周二、四, 每周二、周四, 每周二和周四,
//     每周一至五, 每周一到周五, 每周1-5, every mon,wed 19:00, every mon-fri;
//     a list or range of two or more days needs no 每 (周一至周五 08:00)
//   - 工作日 / 每个工作日 / every weekday (Monday–Friday); 周末 / every
//     weekend (Saturday and Sunday)
//   - 每月1号 09:00, 每月15日 9点, 每月1号、15号; 每年3月5日 9点
//   - a raw spec: "0 9 * * 1" (its first two fields must be numeric)
//
// Hours follow ParseWhen's rules except that an hour from 7 to 11 with 点
// and no part of the day is read as morning (每月15日 9点 is 09:00), since a
// recurrence has no "now" to offer choices against; callers should echo the
// schedule back. 每周三晚上12点 becomes Thursday 00:00. 每月31号 fires only in
// months with 31 days. A spec that fires twice within MinRecurrenceGap
// (*/10 9 * * *) gives ErrTooFrequent. Errors wrap ErrBadRecurrence (and
// ErrBadTime for an impossible hour such as 25:00).
func ParseRecurrence(text string) (spec string, rest string, err error) {
	sc := newWhenScanner(text)
	sc.skipSpace()
	start := sc.i
	if spec, ok, err := sc.rawCron(); err != nil {
		return "", text, err
	} else if ok {
		return spec, whenRest(text, sc.i), nil
	}
	days, ok, err := sc.recDays()
	if err != nil {
		return "", text, recWrap(err, sc.span(start, text))
	}
	if !ok {
		return "", text, recWrap(nil, sc.span(start, text))
	}
	hm, err := sc.recClock(days.period)
	if err != nil {
		return "", text, recWrap(err, sc.span(start, text))
	}
	spec, err = days.spec(hm)
	if err != nil {
		return "", text, recWrap(err, sc.span(start, text))
	}
	if err := recCheck(spec); err != nil {
		return "", text, err
	}
	return spec, whenRest(text, sc.i), nil
}

// Slot is a recurring time range: a volunteer shift such as
// 每天 06:00-08:00 or 每周二四 19:00-20:30.
type Slot struct {
	// Spec is the 5-field cron spec of the start, run in Shanghai.
	Spec string
	// Duration is how long each occurrence lasts, more than 0 and less
	// than 24 hours.
	Duration time.Duration
}

// ParseSlot reads a recurring time range at the start of text: the days as
// in ParseRecurrence, then a start and an end time joined by - ~ 至 or 到
// (每天 06:00-08:00, 每周二四 19:00-20:30, 每周六 晚上7点到8点半). An end with 点
// and no part of the day takes whichever of its morning and evening readings
// comes first after the start (晚上7点-9点 ends at 21:00); an end before the
// start crosses midnight (22:00-06:00 lasts 8 hours). Errors wrap
// ErrBadRecurrence.
func ParseSlot(text string) (slot Slot, rest string, err error) {
	sc := newWhenScanner(text)
	sc.skipSpace()
	start := sc.i
	days, ok, err := sc.recDays()
	if err != nil {
		return Slot{}, text, recWrap(err, sc.span(start, text))
	}
	if !ok {
		return Slot{}, text, recWrap(nil, sc.span(start, text))
	}
	from, err := sc.recClock(days.period)
	if err != nil {
		return Slot{}, text, recWrap(err, sc.span(start, text))
	}
	sc.skipSpace()
	if _, ok := sc.lit("-", "－", "~", "～", "—", "–", "至", "到"); !ok {
		return Slot{}, text, fmt.Errorf("%w: %q needs an end time (19:00-20:30)", ErrBadRecurrence, sc.span(start, text))
	}
	sc.skipSpace()
	c, found, _, err := sc.clock()
	if err != nil {
		return Slot{}, text, recWrap(err, sc.span(start, text))
	}
	if !found {
		return Slot{}, text, fmt.Errorf("%w: %q needs an end time (19:00-20:30)", ErrBadRecurrence, sc.span(start, text))
	}
	startMin := from.h*60 + from.m
	endMin, err := recEnd(c, startMin)
	if err != nil {
		return Slot{}, text, recWrap(err, sc.span(start, text))
	}
	length := ((endMin-startMin)%1440 + 1440) % 1440
	if length == 0 {
		return Slot{}, text, fmt.Errorf("%w: %q ends when it starts", ErrBadRecurrence, sc.span(start, text))
	}
	spec, err := days.spec(from)
	if err != nil {
		return Slot{}, text, recWrap(err, sc.span(start, text))
	}
	if err := recCheck(spec); err != nil {
		return Slot{}, text, err
	}
	return Slot{Spec: spec, Duration: time.Duration(length) * time.Minute}, whenRest(text, sc.i), nil
}

// Next returns the next start of the slot after t, in Shanghai, or the zero
// time if the spec is invalid.
func (s Slot) Next(t time.Time) time.Time {
	next, err := NextFire(s.Spec, t)
	if err != nil {
		return time.Time{}
	}
	return next
}

// NextFire returns the next time the cron spec fires after t, computed and
// returned in Shanghai whatever t's location. It accepts what
// cron.ParseStandard accepts except a TZ= or CRON_TZ= prefix, and fails
// with ErrBadRecurrence for a spec that never fires (0 0 30 2 *).
func NextFire(spec string, after time.Time) (time.Time, error) {
	sched, err := recSchedule(spec)
	if err != nil {
		return time.Time{}, err
	}
	next := sched.Next(after.In(Shanghai))
	if next.IsZero() {
		return time.Time{}, fmt.Errorf("%w: %q never fires", ErrBadRecurrence, whenClip(spec))
	}
	return next.In(Shanghai), nil
}

func recSchedule(spec string) (cron.Schedule, error) {
	s := strings.TrimSpace(spec)
	if len(s) > 256 {
		return nil, fmt.Errorf("%w: %q is too long", ErrBadRecurrence, whenClip(s))
	}
	// robfig/cron v3.0.1 panics on a TZ= prefix without a space, and a zone
	// would override Shanghai anyway.
	if strings.HasPrefix(s, "TZ=") || strings.HasPrefix(s, "CRON_TZ=") {
		return nil, fmt.Errorf("%w: %q: time zones are not allowed", ErrBadRecurrence, whenClip(s))
	}
	sched, err := cron.ParseStandard(s)
	if err != nil {
		return nil, fmt.Errorf("%w: %q: %v", ErrBadRecurrence, whenClip(s), err)
	}
	if ss, ok := sched.(*cron.SpecSchedule); ok {
		ss.Location = Shanghai
	}
	return sched, nil
}

// recCheck makes sure a spec parses, fires, and never fires twice within
// MinRecurrenceGap over its first recGapFirings firings.
func recCheck(spec string) error {
	sched, err := recSchedule(spec)
	if err != nil {
		return err
	}
	// Just before an hour starts, so that the first firing is the first of
	// its hour.
	prev := sched.Next(time.Date(2024, 1, 1, 0, 0, 0, 0, Shanghai).Add(-time.Second))
	if prev.IsZero() {
		return fmt.Errorf("%w: %q never fires", ErrBadRecurrence, whenClip(spec))
	}
	for range recGapFirings {
		next := sched.Next(prev)
		if next.IsZero() {
			break
		}
		if next.Sub(prev) < MinRecurrenceGap {
			return fmt.Errorf("%w: %q fires at %s and again at %s", ErrTooFrequent, whenClip(spec),
				prev.Format("15:04"), next.Format("15:04"))
		}
		prev = next
	}
	return nil
}

func recWrap(err error, input string) error {
	switch {
	case err == nil:
		return fmt.Errorf("%w: %q", ErrBadRecurrence, input)
	case errors.Is(err, ErrBadRecurrence):
		return fmt.Errorf("%w: %q", err, input)
	}
	return fmt.Errorf("%w: %q: %w", ErrBadRecurrence, input, err)
}

// rawCron reads five cron fields. ok is false, with the scanner unmoved,
// unless there are five fields whose first two are numeric.
func (sc *whenScanner) rawCron() (string, bool, error) {
	start := sc.i
	var fields [5]string
	for k := range fields {
		if k > 0 {
			if r, _ := sc.peek(); !whenIsSpace(r) {
				sc.i = start
				return "", false, nil
			}
			sc.skipSpace()
		}
		from := sc.i
		for sc.i < len(sc.s) && sc.i-from < 64 && recCronByte(sc.s[sc.i], k) {
			sc.i++
		}
		if sc.i == from {
			sc.i = start
			return "", false, nil
		}
		fields[k] = sc.s[from:sc.i]
	}
	spec := strings.Join(fields[:], " ")
	if err := recCheck(spec); err != nil {
		return "", false, err
	}
	return spec, true, nil
}

func recCronByte(b byte, field int) bool {
	switch {
	case '0' <= b && b <= '9', b == '*', b == '/', b == ',', b == '-':
		return true
	case b == '?':
		return field == 2 || field == 4
	case whenIsLetter(b):
		return field >= 3
	}
	return false
}

// recDays is the day part of a recurrence; empty masks mean every day.
type recDays struct {
	dow    uint8  // bit i: cron weekday i, 0 = Sunday
	dom    uint32 // bit d: day of month d
	month  int    // 0: every month
	period whenPeriod
}

const (
	recWeekdays uint8 = 0b0111110
	recWeekend  uint8 = 0b1000001
)

// recDays reads the days of a recurrence; ok is false, with the scanner
// unmoved, when the text does not start with any.
func (sc *whenScanner) recDays() (recDays, bool, error) {
	start := sc.i
	var rd recDays
	if _, ok := sc.word("daily", "everyday"); ok {
		return rd, true, nil
	}
	if _, ok := sc.word("weekdays"); ok {
		rd.dow = recWeekdays
		return rd, true, nil
	}
	if _, ok := sc.word("weekends"); ok {
		rd.dow = recWeekend
		return rd, true, nil
	}
	if _, ok := sc.word("every"); ok {
		sc.skipSpace()
		switch {
		case sc.wordOK("day"):
		case sc.wordOK("weekday", "weekdays"):
			rd.dow = recWeekdays
		case sc.wordOK("weekend", "weekends"):
			rd.dow = recWeekend
		default:
			mask, ok := sc.recEngDays()
			if !ok {
				sc.i = start
				return rd, false, nil
			}
			rd.dow = mask
		}
		return rd, true, nil
	}
	switch {
	case sc.litOK("每天", "每日", "天天", "每一天", "日日"):
		return rd, true, nil
	case sc.litOK("每晚", "每夜"):
		rd.period = periodEvening
		return rd, true, nil
	case sc.litOK("每早"):
		rd.period = periodMorning
		return rd, true, nil
	case sc.litOK("每个工作日", "每工作日", "工作日"):
		rd.dow = recWeekdays
		return rd, true, nil
	case sc.litOK("每个周末", "每周末", "每逢周末", "周末", "双休日"):
		rd.dow = recWeekend
		return rd, true, nil
	case sc.litOK("每个星期", "每个礼拜", "每个周", "每星期", "每礼拜", "每禮拜", "每周", "每週", "每逢"):
		mask, _, ok, err := sc.recCNDays(false)
		if err != nil {
			return rd, false, err
		}
		if !ok {
			return rd, false, fmt.Errorf("%w: which day of the week?", ErrBadRecurrence)
		}
		rd.dow = mask
		return rd, true, nil
	case sc.litOK("每个月", "每月"):
		mask, ok, err := sc.recMonthDays()
		if err != nil {
			return rd, false, err
		}
		if !ok {
			return rd, false, fmt.Errorf("%w: which day of the month?", ErrBadRecurrence)
		}
		rd.dom = mask
		return rd, true, nil
	case sc.litOK("每年"):
		m, d, ok := sc.monthDay()
		if !ok {
			return rd, false, fmt.Errorf("%w: which day of the year?", ErrBadRecurrence)
		}
		if m < 1 || m > 12 || d < 1 || d > whenMaxDays[m] {
			return rd, false, ErrBadTime
		}
		rd.month, rd.dom = m, 1<<d
		return rd, true, nil
	}
	// 周一至周五, 周二、周四: several days are a recurrence even without 每.
	if mask, n, ok, err := sc.recCNDays(true); err == nil && ok && n >= 2 {
		rd.dow = mask
		return rd, true, nil
	}
	sc.i = start
	return rd, false, nil
}

func (sc *whenScanner) litOK(words ...string) bool {
	_, ok := sc.lit(words...)
	return ok
}

func (sc *whenScanner) wordOK(words ...string) bool {
	_, ok := sc.word(words...)
	return ok
}

// recWeekday reads one day of the week, 1 Monday … 7 Sunday, after an
// optional 周/星期/礼拜 (required if needPrefix).
func (sc *whenScanner) recWeekday(needPrefix bool) (int, bool) {
	start := sc.i
	if _, ok := sc.lit("星期", "礼拜", "禮拜", "周", "週"); !ok && needPrefix {
		return 0, false
	}
	r, n := sc.peek()
	wd := whenWeekdayRune(r)
	if wd == 0 {
		sc.i = start
		return 0, false
	}
	sc.i += n
	if _, isDigit := whenDigit(r); isDigit {
		// 每周一7点: the 7 is an hour, not Sunday.
		if nr, _ := sc.peek(); nr >= 0 && strings.ContainsRune("0123456789:.点點时時", nr) {
			sc.i = start
			return 0, false
		}
	}
	return wd, true
}

// recCNDays reads 二, 二四, 二、四, 二、周四, 一至五, 一到周五, 1-5 and returns
// a cron weekday mask and how many days it names.
func (sc *whenScanner) recCNDays(needPrefix bool) (mask uint8, n int, ok bool, err error) {
	start := sc.i
	prev, ok := sc.recWeekday(needPrefix)
	if !ok {
		sc.i = start
		return 0, 0, false, nil
	}
	mask = 1 << (prev % 7)
	for {
		save := sc.i
		if sc.litOK("至", "到", "-", "－", "~", "～", "—", "–") {
			last, ok := sc.recWeekday(false)
			if !ok {
				sc.i = save
				break
			}
			mask |= weekdaySpan(prev, last)
			prev = last
			continue
		}
		sc.litOK("、", ",", "，", "和", "及", "与", "/", "&")
		wd, ok := sc.recWeekday(false)
		if !ok {
			sc.i = save
			break
		}
		mask |= 1 << (wd % 7)
		prev = wd
	}
	for b := mask; b != 0; b &= b - 1 {
		n++
	}
	return mask, n, true, nil
}

// weekdaySpan is the mask of the weekdays from first to last, going round
// the week (周五至周一: Fri, Sat, Sun, Mon); days are 1 to 7, Sunday 7.
func weekdaySpan(first, last int) uint8 {
	var mask uint8
	for d := first; ; d = d%7 + 1 {
		mask |= 1 << (d % 7)
		if d == last {
			return mask
		}
	}
}

func (sc *whenScanner) recEngDays() (uint8, bool) {
	day := func() (int, bool) {
		for _, e := range whenEngDays {
			if sc.wordOK(e.names...) {
				return e.wd, true
			}
		}
		return 0, false
	}
	prev, ok := day()
	if !ok {
		return 0, false
	}
	mask := uint8(1) << (prev % 7)
	for {
		save := sc.i
		sc.skipSpace()
		if sc.eat('-') {
			sc.skipSpace()
			last, ok := day()
			if !ok {
				sc.i = save
				break
			}
			mask |= weekdaySpan(prev, last)
			prev = last
			continue
		}
		if !sc.eat(',', '/', '&') && !sc.wordOK("and") {
			sc.i = save
			break
		}
		sc.skipSpace()
		wd, ok := day()
		if !ok {
			sc.i = save
			break
		}
		mask |= 1 << (wd % 7)
		prev = wd
	}
	return mask, true
}

// recMonthDays reads 1号, 15日, 1号、15号, 1、15号, 1-5号 as a mask of days.
func (sc *whenScanner) recMonthDays() (uint32, bool, error) {
	item := func() (int, bool, error) {
		save := sc.i
		v, nd, ok := sc.number()
		if !ok || nd > 2 {
			sc.i = save
			return 0, false, nil
		}
		// 每月1号9点: the 9 is an hour.
		if r, _ := sc.peek(); r >= 0 && strings.ContainsRune(":.点點时時", r) {
			sc.i = save
			return 0, false, nil
		}
		if v < 1 || v > 31 {
			return 0, false, ErrBadTime
		}
		sc.litOK("号", "日", "號")
		return v, true, nil
	}
	prev, ok, err := item()
	if !ok || err != nil {
		return 0, false, err
	}
	mask := uint32(1) << prev
	for {
		save := sc.i
		if sc.litOK("至", "到", "-", "－", "~", "～") {
			last, ok, err := item()
			if err != nil {
				return 0, false, err
			}
			if !ok || last < prev {
				sc.i = save
				break
			}
			for d := prev; d <= last; d++ {
				mask |= 1 << d
			}
			prev = last
			continue
		}
		if !sc.litOK("、", ",", "，", "和", "及", "与") {
			break
		}
		d, ok, err := item()
		if err != nil {
			return 0, false, err
		}
		if !ok {
			sc.i = save
			break
		}
		mask |= 1 << d
		prev = d
	}
	return mask, true, nil
}

// recClock reads the time of day after the days of a recurrence.
func (sc *whenScanner) recClock(dayPeriod whenPeriod) (whenHM, error) {
	before := sc.i
	sc.sep()
	c, found, _, err := sc.clock()
	if err != nil {
		return whenHM{}, err
	}
	if !found {
		sc.i = before
		return whenHM{}, fmt.Errorf("%w: a time of day is needed", ErrBadRecurrence)
	}
	readings, err := whenReadings(c, dayPeriod, true)
	if err != nil {
		return whenHM{}, err
	}
	return readings[0], nil
}

// recEnd gives the end of a slot in minutes after midnight.
func recEnd(c whenClock, startMin int) (int, error) {
	if c.period == periodNone && c.form == clockDian && c.h <= 12 && c.m >= 0 && c.m <= 59 {
		h := c.h % 12
		best := -1
		for _, cand := range []int{h*60 + c.m, (h+12)*60 + c.m} {
			if best < 0 || (cand-startMin+1439)%1440 < (best-startMin+1439)%1440 {
				best = cand
			}
		}
		return best, nil
	}
	readings, err := whenReadings(c, periodNone, true)
	if err != nil {
		return 0, err
	}
	return readings[0].h*60 + readings[0].m, nil
}

// spec builds the cron spec firing at hm on these days.
func (rd recDays) spec(hm whenHM) (string, error) {
	dow := rd.dow
	if hm.dayAdd > 0 {
		if rd.dom != 0 {
			return "", fmt.Errorf("%w: say 0点 of the next day instead of 晚上12点", ErrBadRecurrence)
		}
		dow = dow<<1 | dow>>6
		dow &= 0x7f
	}
	month := "*"
	if rd.month > 0 {
		month = strconv.Itoa(rd.month)
	}
	return fmt.Sprintf("%d %d %s %s %s", hm.m, hm.h, recField(uint64(rd.dom), 1, 31), month, recField(uint64(dow), 0, 6)), nil
}

// recField writes a set of values as a cron field: * for none or all, runs
// of three or more as ranges (1-5), others as a list (2,4).
func recField(mask uint64, lo, hi int) string {
	all := true
	for v := lo; v <= hi; v++ {
		if mask&(1<<v) == 0 {
			all = false
		}
	}
	if mask == 0 || all {
		return "*"
	}
	var parts []string
	for v := lo; v <= hi; {
		if mask&(1<<v) == 0 {
			v++
			continue
		}
		end := v
		for end+1 <= hi && mask&(1<<(end+1)) != 0 {
			end++
		}
		switch {
		case end-v >= 2:
			parts = append(parts, fmt.Sprintf("%d-%d", v, end))
		case end > v:
			parts = append(parts, strconv.Itoa(v), strconv.Itoa(end))
		default:
			parts = append(parts, strconv.Itoa(v))
		}
		v = end + 1
	}
	return strings.Join(parts, ",")
}
