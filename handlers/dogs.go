package handlers

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/huzhu-station/huzhu/bot"
	"github.com/huzhu-station/huzhu/bot/calendar"
	"github.com/huzhu-station/huzhu/bot/i18n"
	"github.com/huzhu-station/huzhu/bot/numerals"
	"github.com/huzhu-station/huzhu/bot/store"
	"github.com/huzhu-station/huzhu/scheduler"
)

// dogDueDays is how far ahead /dogs due looks.
const dogDueDays = store.DogsDueDays

// maxDogNameRunes bounds a dog's name and breed.
const maxDogNameRunes = 10

// oldestShotYears is how far back a last rabies shot may be; older is a
// typo.
const oldestShotYears = 20

// dogListLimit is how many dogs one list reply shows.
const dogListLimit = 100

// dog serves /dog add|vaccinated|sterilised|remove|nudge.
func (a *App) dog(ctx context.Context, r bot.Responder, m *bot.Message) error {
	sub, rest, _ := strings.Cut(strings.TrimSpace(m.Args), " ")
	rest = strings.TrimSpace(rest)
	switch strings.ToLower(sub) {
	case "add", "登记", "新增", "添加":
		return a.addDog(ctx, r, m, rest)
	case "vaccinated", "vaccine", "shot", "打疫苗", "疫苗":
		return a.dogVaccinated(ctx, r, m, rest)
	case "sterilised", "sterilized", "neutered", "已绝育", "绝育":
		return a.dogSterilised(ctx, r, m, rest)
	case "remove", "注销", "删除":
		return a.removeDog(ctx, r, m, rest)
	case "nudge", "绝育提醒":
		return a.dogNudge(ctx, r, rest)
	case "":
		return badForm("usage_dog", "dog_needs_subcommand")
	}
	return badForm("usage_dog", "unknown_subcommand", i18n.Args{"Word": clip(sub)})
}

// addDog serves /dog add NAME [BREED] [ROOM] [疫苗 DATE] [绝育 是|否] [@owner].
// Anyone registers their own dog; a patrol volunteer may register one for
// an owner they mention.
func (a *App) addDog(ctx context.Context, r bot.Responder, m *bot.Message, args string) error {
	st, err := needStation(ctx)
	if err != nil {
		return err
	}
	args, who := cutMentions(m, args)
	f, err := parseDogForm(ctx, args, a.now())
	if err != nil {
		return err
	}
	owner := m.Sender
	if len(who) > 0 {
		ok, err := a.onPatrol(ctx, st)
		if err != nil {
			return err
		}
		if !ok {
			return needRole(store.RoleHead, store.RoleTeamLead, rolePatrol)
		}
		owner = who[0]
	}
	if f.Room == (numerals.Room{}) {
		if f.Room, err = a.ownerRoom(ctx, st, owner, m.Sender); err != nil {
			return err
		}
	}
	ownerChat := ""
	if !m.IsPrivate() {
		ownerChat = m.Chat.Key()
	}
	d, err := a.store.RegisterDog(ctx, st.ID, store.Dog{
		Name: f.Name, Breed: f.Breed, Room: f.Room.Key(), Owner: owner.Key(), OwnerName: owner.Name,
		OwnerChat: ownerChat, LastShot: f.Shot, Sterilised: f.Sterilised, By: m.Sender.Key(), ByName: m.Sender.Name,
	}, a.now())
	if errors.Is(err, store.ErrDogExists) && d != nil {
		return say("dog_exists", i18n.Args{"N": d.N, "Name": d.Name, "Room": roomKeyText(ctx, d.Room)})
	}
	if err != nil {
		return err
	}
	reminders := a.scheduleDogShots(ctx, d)
	text := tr(ctx, "dog_added", i18n.Args{"N": d.N, "Name": d.Name, "Breed": d.Breed, "Room": roomKeyText(ctx, d.Room),
		"Owner": d.OwnerName, "Sterilised": tr(ctx, sterilisedKey(d.Sterilised))}) + "\n" + a.shotOutlook(ctx, d, reminders)
	if owner.Key() != m.Sender.Key() {
		a.notifyPerson(ctx, owner.Key(), owner.Name, "", tr(ctx, "dog_added_for_you", i18n.Args{"Who": m.Sender.Name})+"\n"+text)
	}
	return replyPersonal(ctx, r, m, tr(ctx, "dog_added_public", i18n.Args{"N": d.N, "Name": d.Name}), text)
}

// ownerRoom is the household owner is registered to, for a dog registered
// without a room; the reply asks for the room when there is none.
func (a *App) ownerRoom(ctx context.Context, st *store.Station, owner, sender bot.User) (numerals.Room, error) {
	me := sessionFrom(ctx).member()
	if owner.Key() != sender.Key() {
		var err error
		if me, err = a.store.Member(ctx, st.ID, owner); err != nil {
			return numerals.Room{}, err
		}
	}
	if me != nil && me.Room != "" {
		if room, err := numerals.ParseRoom(me.Room); err == nil {
			return room, nil
		}
	}
	return numerals.Room{}, badForm("usage_dog_add", "dog_needs_room")
}

// shotOutlook says when a dog's next shot is due and when its owner will
// be reminded.
func (a *App) shotOutlook(ctx context.Context, d *store.Dog, reminders []time.Time) string {
	due := d.ShotDue()
	args := i18n.Args{"Name": d.Name, "Owner": d.OwnerName, "Due": formatDay(ctx, due)}
	switch {
	case due.IsZero():
		return tr(ctx, "dog_no_shot", args)
	case !due.After(a.now()):
		return tr(ctx, "dog_shot_overdue", args)
	}
	var leads []string
	for _, days := range dogShotLeads {
		for _, t := range reminders {
			switch {
			case !t.Equal(dogShotTime(due, days)):
			case days == 1:
				leads = append(leads, tr(ctx, "dog_lead_day"))
			default:
				leads = append(leads, tr(ctx, "dog_lead", i18n.Args{"Days": days}))
			}
		}
	}
	args["Leads"] = strings.Join(leads, tr(ctx, "list_sep"))
	args["Hour"] = dogReminderHour
	return tr(ctx, "dog_shot_due", args)
}

// sterilisedKey is the catalogue key that says whether a dog is
// sterilised.
func sterilisedKey(v store.Sterilised) string {
	switch v {
	case store.SterilisedYes:
		return "dog_sterilised_yes"
	case store.SterilisedNo:
		return "dog_sterilised_no"
	}
	return "dog_sterilised_unknown"
}

// findDog finds the dog a person names: by name, preferring their own when
// several share it, else by number (犬3, D3, or as before #3).
func (a *App) findDog(ctx context.Context, st int64, word, me string) (*store.Dog, error) {
	dogs, err := a.store.DogsNamed(ctx, st, word)
	if err != nil {
		return nil, err
	}
	if len(dogs) == 0 {
		if n, err := parseKindRef(word, dogRef); err == nil {
			d, err := a.store.Dog(ctx, st, n)
			if errors.Is(err, store.ErrNotFound) {
				return nil, say("dog_not_found", i18n.Args{"Name": clip(word)})
			}
			return d, err
		}
		return nil, say("dog_not_found", i18n.Args{"Name": clip(word)})
	}
	if len(dogs) == 1 {
		return dogs[0], nil
	}
	var mine []*store.Dog
	for _, d := range dogs {
		if d.Owner == me {
			mine = append(mine, d)
		}
	}
	if len(mine) == 1 {
		return mine[0], nil
	}
	refs := make([]string, len(dogs))
	for i, d := range dogs {
		refs[i] = tr(ctx, "dog_ref", i18n.Args{"N": d.N, "Breed": d.Breed})
	}
	return nil, say("dog_ambiguous", i18n.Args{"Name": dogs[0].Name, "Count": len(dogs),
		"Dogs": strings.Join(refs, tr(ctx, "list_sep")), "N": dogs[0].N})
}

// mayChangeDog returns nil if the sender may change d's record: its owner
// or a patrol volunteer.
func (a *App) mayChangeDog(ctx context.Context, st *store.Station, d *store.Dog) error {
	if d.Owner == sessionFrom(ctx).user.Key() {
		return nil
	}
	ok, err := a.onPatrol(ctx, st)
	if err != nil || ok {
		return err
	}
	return needRole(store.RoleHead, store.RoleTeamLead, rolePatrol, roleDogOwner)
}

// dogVaccinated serves /dog vaccinated NAME [DATE]: records a rabies shot
// (today when no day is given) and moves the reminders to the next one.
func (a *App) dogVaccinated(ctx context.Context, r bot.Responder, m *bot.Message, args string) error {
	const usage = "usage_dog_vaccinated"
	st, err := needStation(ctx)
	if err != nil {
		return err
	}
	name, rest, _ := strings.Cut(bot.Normalize(args), " ")
	if name == "" {
		return badForm(usage, "dog_needs_name")
	}
	now := a.now().In(calendar.Shanghai)
	day := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, calendar.Shanghai)
	if rest = strings.TrimSpace(rest); rest != "" {
		var more string
		if day, more, err = parseShotDay(ctx, rest, now, usage); err != nil {
			return err
		}
		if more != "" {
			return badForm(usage, "dog_unknown_words", i18n.Args{"Text": clip(more)})
		}
	}
	d, err := a.findDog(ctx, st.ID, name, m.Sender.Key())
	if err != nil {
		return err
	}
	if err := a.mayChangeDog(ctx, st, d); err != nil {
		return err
	}
	shot, err := a.store.RecordShot(ctx, st.ID, d.N, day)
	if errors.Is(err, store.ErrShotOlder) {
		last, err := a.store.Dog(ctx, st.ID, d.N)
		if err != nil {
			return err
		}
		return say("dog_shot_older", i18n.Args{"Name": name, "Last": formatDay(ctx, last.LastShot)})
	}
	if err != nil {
		return err
	}
	d = shot
	reminders := a.scheduleDogShots(ctx, d)
	text := tr(ctx, "dog_vaccinated", i18n.Args{"N": d.N, "Name": d.Name, "Shot": formatDay(ctx, d.LastShot)})
	return replyPersonal(ctx, r, m, tr(ctx, "dog_updated_public", i18n.Args{"N": d.N, "Name": d.Name}),
		text+"\n"+a.shotOutlook(ctx, d, reminders))
}

// dogSterilised serves /dog sterilised NAME [是|否].
func (a *App) dogSterilised(ctx context.Context, r bot.Responder, m *bot.Message, args string) error {
	const usage = "usage_dog_sterilised"
	st, err := needStation(ctx)
	if err != nil {
		return err
	}
	fields := strings.Fields(bot.Normalize(args))
	if len(fields) == 0 || len(fields) > 2 {
		return badForm(usage, "dog_needs_name")
	}
	v := store.SterilisedYes
	if len(fields) == 2 {
		var ok bool
		if v, ok = parseSterilised(fields[1]); !ok {
			return badForm(usage, "dog_sterilised_word")
		}
	}
	d, err := a.findDog(ctx, st.ID, fields[0], m.Sender.Key())
	if err != nil {
		return err
	}
	if err := a.mayChangeDog(ctx, st, d); err != nil {
		return err
	}
	if d, err = a.store.SetSterilised(ctx, st.ID, d.N, v); err != nil {
		return err
	}
	return replyPersonal(ctx, r, m, tr(ctx, "dog_updated_public", i18n.Args{"N": d.N, "Name": d.Name}),
		tr(ctx, "dog_sterilised_set", i18n.Args{"N": d.N, "Name": d.Name, "Sterilised": tr(ctx, sterilisedKey(d.Sterilised))}))
}

// removeDog serves /dog remove NAME: the dog died or moved away; its
// reminders stop.
func (a *App) removeDog(ctx context.Context, r bot.Responder, m *bot.Message, args string) error {
	st, err := needStation(ctx)
	if err != nil {
		return err
	}
	fields := strings.Fields(bot.Normalize(args))
	if len(fields) != 1 {
		return badForm("usage_dog_remove", "dog_needs_name")
	}
	d, err := a.findDog(ctx, st.ID, fields[0], m.Sender.Key())
	if err != nil {
		return err
	}
	if err := a.mayChangeDog(ctx, st, d); err != nil {
		return err
	}
	if err := a.store.RemoveDog(ctx, st.ID, d.N); err != nil {
		return err
	}
	if err := a.sched.CancelAll(ctx, dogShotJobIDs(st.ID, d.N)...); err != nil {
		a.log.Warn("dog reminders not cancelled", "dog", d.N, "err", err)
	}
	return r.Reply(ctx, tr(ctx, "dog_removed", i18n.Args{"N": d.N, "Name": d.Name}))
}

// dogs serves /dogs [due]: the registry, or the shots due in the next 30
// days, sent privately because it names owners.
func (a *App) dogs(ctx context.Context, r bot.Responder, m *bot.Message) error {
	st, err := a.requirePatrol(ctx)
	if err != nil {
		return err
	}
	var text string
	switch strings.ToLower(strings.TrimSpace(m.Args)) {
	case "", "all", "全部", "所有", "名单":
		text, err = a.dogRegistry(ctx, st)
	case "due", "到期", "快到期", "疫苗", "疫苗到期":
		text, err = a.dogsDue(ctx, st)
	default:
		return badForm("usage_dogs", "unknown_filter", i18n.Args{"Word": clip(m.Args)})
	}
	if err != nil {
		return err
	}
	return r.ReplyPrivately(ctx, text)
}

func (a *App) dogRegistry(ctx context.Context, st *store.Station) (string, error) {
	all, err := a.store.Dogs(ctx, st.ID)
	if err != nil {
		return "", err
	}
	if len(all) == 0 {
		return tr(ctx, "dogs_empty"), nil
	}
	var b strings.Builder
	b.WriteString(tr(ctx, "dogs_header", i18n.Args{"Station": st.Name, "Count": len(all)}))
	for i, d := range all {
		if i == dogListLimit {
			b.WriteString("\n" + tr(ctx, "dogs_more", i18n.Args{"Shown": dogListLimit, "Count": len(all)}))
			break
		}
		b.WriteString("\n" + a.dogLine(ctx, d))
	}
	b.WriteString("\n" + tr(ctx, "dogs_footer"))
	return b.String(), nil
}

// dogLine is one dog in a list: number, name, breed, room, owner, shot,
// sterilisation.
func (a *App) dogLine(ctx context.Context, d *store.Dog) string {
	return tr(ctx, "dog_line", i18n.Args{"N": d.N, "Name": d.Name, "Breed": d.Breed, "Room": roomKeyText(ctx, d.Room),
		"Owner": d.OwnerName, "Shot": a.shotState(ctx, d),
		"Sterilised": tr(ctx, sterilisedKey(d.Sterilised))})
}

// shotState says where a dog stands with its rabies shot.
func (a *App) shotState(ctx context.Context, d *store.Dog) string {
	due := d.ShotDue()
	if due.IsZero() {
		return tr(ctx, "dog_state_no_shot")
	}
	left := daysBetween(a.now(), due)
	args := i18n.Args{"Due": formatDay(ctx, due), "Days": left, "Late": -left}
	switch {
	case left < 0:
		return tr(ctx, "dog_state_overdue", args)
	case left == 0:
		return tr(ctx, "dog_state_today", args)
	case left <= dogDueDays:
		return tr(ctx, "dog_state_soon", args)
	}
	return tr(ctx, "dog_state_due", args)
}

func (a *App) dogsDue(ctx context.Context, st *store.Station) (string, error) {
	now := a.now().In(calendar.Shanghai)
	until := time.Date(now.Year(), now.Month(), now.Day()+dogDueDays, 23, 59, 59, 0, calendar.Shanghai)
	due, err := a.store.DogsDue(ctx, st.ID, until)
	if err != nil {
		return "", err
	}
	all, err := a.store.Dogs(ctx, st.ID)
	if err != nil {
		return "", err
	}
	var unknown []*store.Dog
	for _, d := range all {
		if d.LastShot.IsZero() {
			unknown = append(unknown, d)
		}
	}
	if len(due) == 0 && len(unknown) == 0 {
		return tr(ctx, "dogs_due_empty", i18n.Args{"Days": dogDueDays}), nil
	}
	var b strings.Builder
	if len(due) == 0 {
		b.WriteString(tr(ctx, "dogs_due_none", i18n.Args{"Days": dogDueDays}))
	} else {
		b.WriteString(tr(ctx, "dogs_due_header", i18n.Args{"Station": st.Name, "Days": dogDueDays, "Count": len(due)}))
	}
	for i, d := range due {
		if i == dogListLimit {
			b.WriteString("\n" + tr(ctx, "dogs_more", i18n.Args{"Shown": dogListLimit, "Count": len(due)}))
			break
		}
		b.WriteString("\n" + a.dogLine(ctx, d))
	}
	if len(unknown) > 0 {
		b.WriteString("\n" + tr(ctx, "dogs_unknown_header", i18n.Args{"Count": len(unknown)}))
		for i, d := range unknown {
			if i == dogListLimit {
				break
			}
			b.WriteString("\n" + a.dogLine(ctx, d))
		}
	}
	return b.String(), nil
}

// dogNudge serves /dog nudge [on [DAY]|off]: the station's yearly nudge to
// owners of dogs not known to be sterilised, at 09:00 on DAY (3月1日 unless
// given).
func (a *App) dogNudge(ctx context.Context, r bot.Responder, args string) error {
	const usage = "usage_dog_nudge"
	st, _, err := requireAny(ctx, store.RoleDeputy, store.RoleTeamLead)
	if err != nil {
		return err
	}
	word, rest, _ := strings.Cut(bot.Normalize(args), " ")
	rest = strings.TrimSpace(rest)
	id := dogNudgeJobID(st.ID)
	switch strings.ToLower(word) {
	case "":
		spec, err := a.store.SterilisationNudge(ctx, st.ID)
		if err != nil {
			return err
		}
		if spec == "" {
			return r.Reply(ctx, tr(ctx, "dog_nudge_is_off"))
		}
		return r.Reply(ctx, tr(ctx, "dog_nudge_is_on", a.nudgeArgs(ctx, spec)))
	case "off", "关", "关闭", "停", "停止", "否":
		if err := a.store.SetSterilisationNudge(ctx, st.ID, ""); err != nil {
			return err
		}
		if err := a.sched.Cancel(ctx, id); err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		return r.Reply(ctx, tr(ctx, "dog_nudge_off"))
	case "on", "开", "开启", "打开", "是":
	default:
		return badForm(usage, "dog_nudge_word", i18n.Args{"Word": clip(word)})
	}
	month, day := defaultNudgeMonth, defaultNudgeDay
	if rest != "" {
		d, more, err := calendar.ParseDate(strings.TrimPrefix(rest, "每年"), a.now())
		if err != nil {
			return whenError(ctx, err, usage)
		}
		if more != "" {
			return badForm(usage, "dog_unknown_words", i18n.Args{"Text": clip(more)})
		}
		month, day = d.Month(), min(d.Day(), 28) // every year, so never 29 Feb
	}
	spec := fmt.Sprintf("0 %d %d %d *", dogReminderHour, day, int(month))
	if err := a.store.SetSterilisationNudge(ctx, st.ID, spec); err != nil {
		return err
	}
	if err := a.sched.Schedule(ctx, scheduler.Reminder{ID: id, Spec: spec, Job: jobDogNudge, Payload: id}); err != nil {
		return err
	}
	return r.Reply(ctx, tr(ctx, "dog_nudge_on", a.nudgeArgs(ctx, spec)))
}

// nudgeArgs describes a nudge spec: its day of the year and next time.
func (a *App) nudgeArgs(ctx context.Context, spec string) i18n.Args {
	var month, day int
	fmt.Sscanf(spec, "0 %d %d %d *", new(int), &day, &month)
	args := i18n.Args{"Day": formatMonthDay(ctx, time.Date(2000, time.Month(month), day, 0, 0, 0, 0, calendar.Shanghai)),
		"Hour": dogReminderHour}
	if next, err := calendar.NextFire(spec, a.now()); err == nil {
		args["Next"] = formatDay(ctx, next)
	}
	return args
}
