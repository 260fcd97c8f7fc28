// Package icalfeed builds a household's calendar feed (iCalendar), so that
// a phone's own calendar reminds a household that has no bot in its group:
// its members' volunteer shifts, the meetings one of them said they will
// attend, its dogs' rabies shots falling due, and the deadlines of the
// campaigns it may pledge to. It names nobody outside the household and
// nothing another household did.
//
// It reads the store and the catalogues; it must not import handlers, so
// the web package can serve a feed without the chat machinery.
package icalfeed

import (
	"context"
	"fmt"
	"slices"
	"time"

	ics "github.com/arran4/golang-ical"

	"github.com/huzhu-station/huzhu/bot"
	"github.com/huzhu-station/huzhu/bot/calendar"
	"github.com/huzhu-station/huzhu/bot/i18n"
	"github.com/huzhu-station/huzhu/bot/numerals"
	"github.com/huzhu-station/huzhu/bot/store"
)

// Horizon is how far ahead the feed lists shifts and vaccinations.
const Horizon = 90 * 24 * time.Hour

// ContentType is what the feed is served as.
const ContentType = "text/calendar; charset=utf-8"

// Reminders before a timed event (a shift, a meeting): the evening before
// is left to the day-before alarm, an hour before is the nudge to leave.
var (
	timedAlarms = []string{"-P1D", "-PT1H"}
	// An all-day event starts at midnight: -PT15H is 09:00 the day before,
	// -P6DT15H 09:00 a week before.
	shotAlarms     = []string{"-P6DT15H", "-PT15H"}
	deadlineAlarms = []string{"-PT15H"}
)

// Feed returns the iCalendar feed of household room of station station, as
// of now, in the station's language. Times are UTC; all-day events are
// Shanghai dates. Each event's UID is stable, so a calendar that fetches
// the feed again updates events rather than adding them twice.
func Feed(ctx context.Context, st *store.Store, station int64, room numerals.Room, now time.Time) ([]byte, error) {
	info, err := st.Station(ctx, station)
	if err != nil {
		return nil, err
	}
	locale := info.Locale
	if locale == "" {
		locale = bot.DefaultLocale
	}
	members, err := st.HouseholdMembers(ctx, station, room.Key())
	if err != nil {
		return nil, err
	}
	f := &feed{cal: ics.NewCalendarFor("huzhu"), locale: locale, station: station, now: now}
	f.cal.SetMethod(ics.MethodPublish)
	f.cal.SetName(f.tr("feed_name", i18n.Args{"Station": info.Name, "Room": roomText(locale, room)}))
	f.cal.SetXWRCalName(f.tr("feed_name", i18n.Args{"Station": info.Name, "Room": roomText(locale, room)}))
	f.cal.SetRefreshInterval("PT6H")
	for _, add := range []func(context.Context) error{
		func(ctx context.Context) error { return f.shifts(ctx, st, members) },
		func(ctx context.Context) error { return f.meetings(ctx, st, members) },
		func(ctx context.Context) error { return f.dogs(ctx, st, room) },
		func(ctx context.Context) error { return f.funds(ctx, st, room) },
	} {
		if err := add(ctx); err != nil {
			return nil, err
		}
	}
	return []byte(f.cal.Serialize()), nil
}

type feed struct {
	cal     *ics.Calendar
	locale  string
	station int64
	now     time.Time
}

func (f *feed) tr(key string, args ...i18n.Args) string { return i18n.T(f.locale, key, args...) }

func (f *feed) uid(kind string, parts ...any) string {
	return fmt.Sprintf("huzhu-%d-%s-%s@huzhu", f.station, kind, fmt.Sprint(parts...))
}

// timed adds an event from start to end with alarms.
func (f *feed) timed(uid, summary, place string, start, end time.Time) {
	e := f.cal.AddEvent(uid)
	e.SetDtStampTime(f.now)
	e.SetStartAt(start)
	e.SetEndAt(end)
	e.SetSummary(summary)
	if place != "" {
		e.SetLocation(place)
	}
	f.alarms(e, summary, timedAlarms)
}

// allDay adds a one-day event on day's Shanghai date with alarms.
func (f *feed) allDay(uid, summary string, day time.Time, alarms []string) {
	day = day.In(calendar.Shanghai)
	date := time.Date(day.Year(), day.Month(), day.Day(), 0, 0, 0, 0, time.UTC)
	e := f.cal.AddEvent(uid)
	e.SetDtStampTime(f.now)
	e.SetAllDayStartAt(date)
	e.SetAllDayEndAt(date.AddDate(0, 0, 1))
	e.SetSummary(summary)
	f.alarms(e, summary, alarms)
}

func (f *feed) alarms(e *ics.VEvent, summary string, triggers []string) {
	for _, tr := range triggers {
		a := e.AddAlarm()
		a.SetAction(ics.ActionDisplay)
		a.SetTrigger(tr)
		a.SetProperty(ics.ComponentPropertyDescription, summary)
	}
}

// shifts adds the occurrences the household's members hold or wait for.
func (f *feed) shifts(ctx context.Context, st *store.Store, members []string) error {
	seen := map[string]bool{}
	teams := map[int64]string{}
	for _, key := range members {
		refs, err := st.VolunteerShifts(ctx, f.station, key, f.now, f.now.Add(Horizon))
		if err != nil {
			return err
		}
		occs, err := st.Occurrences(ctx, f.station, refs)
		if err != nil {
			return err
		}
		for i, ref := range refs {
			uid := f.uid("shift", ref.N, "-", ref.Day)
			if seen[uid] {
				continue
			}
			sh, err := st.Shift(ctx, f.station, ref.N)
			if err != nil {
				return err
			}
			if _, ok := teams[sh.Team]; !ok {
				if t, err := st.Team(ctx, f.station, sh.Team); err == nil {
					teams[sh.Team] = t.Name
				}
			}
			summary := f.tr("feed_shift", i18n.Args{"Team": teams[sh.Team], "Place": sh.Place})
			if pos := occs[i].WaitPosition(key); pos > 0 {
				summary = f.tr("feed_shift_waiting", i18n.Args{"Team": teams[sh.Team], "Place": sh.Place, "Pos": pos})
			}
			seen[uid] = true
			f.timed(uid, summary, sh.Place, ref.Start, ref.Start.Add(sh.Duration))
		}
	}
	return nil
}

// meetings adds the meetings to come that a member said they will attend.
func (f *feed) meetings(ctx context.Context, st *store.Store, members []string) error {
	ms, err := st.UpcomingMeetings(ctx, f.station, f.now)
	if err != nil {
		return err
	}
	for _, m := range ms {
		coming, err := st.AnyComing(ctx, f.station, m.N, members)
		if err != nil {
			return err
		}
		if coming {
			f.timed(f.uid("meeting", m.N), f.tr("feed_meeting", i18n.Args{"Topic": m.Topic}), m.Place, m.At, m.At.Add(time.Hour))
		}
	}
	return nil
}

// dogs adds the rabies shots of the household's dogs falling due before
// the horizon, overdue ones on today.
func (f *feed) dogs(ctx context.Context, st *store.Store, room numerals.Room) error {
	dogs, err := st.Dogs(ctx, f.station)
	if err != nil {
		return err
	}
	for _, d := range dogs {
		due := d.ShotDue()
		if d.Room != room.Key() || due.IsZero() || due.After(f.now.Add(Horizon)) {
			continue
		}
		day := due
		if day.Before(f.now) {
			day = f.now
		}
		f.allDay(f.uid("dog", d.N, "-", due.In(calendar.Shanghai).Format("20060102")),
			f.tr("feed_dog_shot", i18n.Args{"Dog": d.Name}), day, shotAlarms)
	}
	return nil
}

// funds adds the last day of the open campaigns the household may pledge
// to: the whole station's, and its building's.
func (f *feed) funds(ctx context.Context, st *store.Store, room numerals.Room) error {
	funds, err := st.OpenFunds(ctx, f.station)
	if err != nil {
		return err
	}
	for _, fd := range funds {
		if fd.Deadline.IsZero() || fd.Deadline.Before(f.now.Add(-24*time.Hour)) ||
			(len(fd.Buildings) > 0 && !slices.Contains(fd.Buildings, room.Building)) {
			continue
		}
		f.allDay(f.uid("fund", fd.N), f.tr("feed_fund_deadline", i18n.Args{"Title": fd.Title}), fd.Deadline, deadlineAlarms)
	}
	return nil
}

// roomText shows a room as the catalogues do.
func roomText(locale string, room numerals.Room) string {
	return i18n.Room(locale, room.Building, room.Unit, room.Number)
}

// ByToken returns the feed that token (from the feed's address) opens, or
// store.ErrCodeUnknown once the household's code was revoked or re-issued.
func ByToken(ctx context.Context, st *store.Store, token string, now time.Time) ([]byte, error) {
	station, room, err := st.FeedHousehold(ctx, token)
	if err != nil {
		return nil, err
	}
	return Feed(ctx, st, station, room, now)
}
