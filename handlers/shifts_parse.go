package handlers

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/huzhu-station/huzhu/bot/calendar"
	"github.com/huzhu-station/huzhu/bot/i18n"
	"github.com/huzhu-station/huzhu/bot/numerals"
	"github.com/huzhu-station/huzhu/bot/store"
)

// shiftForm is what /shift add says after the team.
type shiftForm struct {
	slot   calendar.Slot
	place  string
	places int
}

// Reasons parseShiftForm refuses a slot.
var (
	errShiftWhen      = errors.New("shift: days and times not understood")
	errShiftClock     = errors.New("shift: impossible time of day")
	errShiftTooLong   = errors.New("shift: longer than 12 hours")
	errShiftNoPlace   = errors.New("shift: no place")
	errShiftPlaceLong = errors.New("shift: place too long")
	errShiftPlaces    = errors.New("shift: impossible number of places")
)

// parseShiftForm reads 每天 06:00-08:00 1号垃圾点 1人: the days and times
// (calendar.ParseSlot), then the place, with the number of places (N人, N名,
// N位, N people) anywhere after the times; one place when none is given.
// An end before the start crosses midnight; a slot longer than 12 hours is
// refused, since that is nearly always an end typed before the start.
func parseShiftForm(text string) (shiftForm, error) {
	slot, rest, err := calendar.ParseSlot(text)
	if err != nil {
		if errors.Is(err, calendar.ErrBadTime) {
			return shiftForm{}, errShiftClock
		}
		return shiftForm{}, errShiftWhen
	}
	if slot.Duration > store.MaxShiftDuration {
		return shiftForm{}, errShiftTooLong
	}
	f := shiftForm{slot: slot, places: 1}
	var words []string
	counted := false
	fields := strings.Fields(rest)
	for i := 0; i < len(fields); i++ {
		w := fields[i]
		if !counted {
			n, isCount, ok := parsePlaces(w)
			if !isCount && i+1 < len(fields) && placesUnit(fields[i+1]) {
				if n, isCount, ok = parsePlaces(w + fields[i+1]); isCount {
					i++
				}
			}
			if isCount {
				if !ok {
					return shiftForm{}, errShiftPlaces
				}
				f.places, counted = n, true
				continue
			}
		}
		words = append(words, w)
	}
	f.place = strings.Join(words, " ")
	switch {
	case f.place == "":
		return shiftForm{}, errShiftNoPlace
	case utf8.RuneCountInString(f.place) > maxNameRunes:
		return shiftForm{}, errShiftPlaceLong
	}
	return f, nil
}

var placesUnits = []string{"个人", "人", "名", "位", "people", "persons", "person", "ppl"}

func placesUnit(w string) bool { return slices.Contains(placesUnits, strings.ToLower(w)) }

// parsePlaces reads a number of places such as 2人, 两人, 每班2人 or
// 3people. isCount says the word is meant as one; ok that it is a number
// from 1 to maxPlaces.
func parsePlaces(w string) (n int, isCount, ok bool) {
	lower := strings.ToLower(w)
	for _, u := range placesUnits {
		num, found := strings.CutSuffix(lower, u)
		if !found {
			continue
		}
		num = strings.TrimPrefix(strings.TrimPrefix(num, "每班"), "共")
		if num == "" {
			return 0, false, false
		}
		v, err := numerals.ParseChineseInt(num)
		if err != nil {
			// "老人活动室" is a place; "-1人" and "1.5人" are bad counts.
			return 0, strings.ContainsAny(num, "0123456789-+."), false
		}
		return int(v), true, v >= 1 && v <= maxPlaces
	}
	return 0, false, false
}

// shiftFormError is the reply to a slot parseShiftForm refused.
func shiftFormError(err error, usage string) error {
	switch {
	case errors.Is(err, errShiftClock):
		return badForm(usage, "shift_time_bad")
	case errors.Is(err, errShiftTooLong):
		return badForm(usage, "shift_too_long")
	case errors.Is(err, errShiftNoPlace):
		return badForm(usage, "shift_needs_place")
	case errors.Is(err, errShiftPlaceLong):
		return badForm(usage, "shift_place_too_long", i18n.Args{"Max": maxNameRunes})
	case errors.Is(err, errShiftPlaces):
		return badForm(usage, "shift_bad_places", i18n.Args{"Max": maxPlaces})
	}
	return badForm(usage, "shift_when_bad")
}

// shiftDayArg reads the date of an occurrence after /signup N or /cancel N.
func (a *App) shiftDayArg(ctx context.Context, text, usage string) (time.Time, error) {
	d, rest, err := calendar.ParseFutureDate(text, a.now())
	var amb *calendar.AmbiguousTimeError
	switch {
	case errors.As(err, &amb):
		choices := make([]string, len(amb.Choices))
		for i, c := range amb.Choices {
			choices[i] = formatDateWeekday(ctx, c)
		}
		return time.Time{}, badForm(usage, "shift_date_ambiguous", i18n.Args{"Input": amb.Input,
			"Choices": strings.Join(choices, tr(ctx, "or_sep"))})
	case errors.Is(err, calendar.ErrPastTime):
		return time.Time{}, badForm(usage, "shift_past_date")
	case errors.Is(err, calendar.ErrTooFar):
		return time.Time{}, badForm(usage, "time_too_far", i18n.Args{"Years": calendar.MaxYearsAhead})
	case err != nil:
		return time.Time{}, badForm(usage, "shift_bad_date")
	case rest != "":
		return time.Time{}, badForm(usage, "shift_one_date")
	}
	return d, nil
}
