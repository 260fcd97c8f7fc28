package wechat

import (
	"context"
	"fmt"
	"hash/fnv"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// person is what one login shows of a person.
type person struct {
	UserName string // valid in this login only
	Nick     string
	Attr     int64 // AttrStatus, 0 when not reported
	Uin      int64 // 0 when not disclosed
	Remark   string
	Group    string // stable id of the group they were seen in, "" in a private chat
	Display  string // their group nickname (群昵称) there
}

// name is how the person is called where they were seen.
func (o person) name() string {
	if o.Display != "" {
		return o.Display
	}
	return o.Nick
}

// group is what one login shows of a group.
type group struct {
	UserName string
	Name     string
	// Roster holds a fingerprint of every member (nickname and AttrStatus),
	// nil when the member list is not known.
	Roster []string
}

// Identity record fields and fingerprint kinds. Fingerprints are kept by the
// store as sets of ids; fields as one hash per id.
const (
	fKind    = "kind" // "u" or "g"
	fName    = "name"
	fNick    = "nick"
	fAttr    = "attr"
	fUin     = "uin"
	fRemark  = "remark"
	fSession = "sess"  // the login session it was last bound in
	fUser    = "uname" // its UserName in that session
	fRoster  = "roster"
	fInGroup = "in:" // "in:g12" = their group nickname in group g12

	fpUin     = "uin:"
	fpRemark  = "remark:"
	fpNick    = "nick:"
	fpDisplay = "disp:" // "disp:g12:3-2-301 张"
	fpGroup   = "gname:"
	fpGroups  = "groups" // every group of the account
)

// Group matching thresholds: the share of members two member lists have in
// common (Jaccard) for a same-named group to be told apart by its members,
// and for a group whose name matches nothing to be taken for a renamed one.
const (
	sameNameOverlap = 0.5
	renamedOverlap  = 0.6
	// sameNameKeep is the least overlap for the only group of a name to be
	// taken for this one: a group of another compound may have the same
	// name ("3幢"), and must not inherit a station.
	sameNameKeep = 0.3
)

// identities maps the UserNames of the current login to stable ids and
// back; see the package documentation for the rules.
type identities struct {
	store   Store
	account string
	log     *slog.Logger
	alert   func(ctx context.Context, text string)
	say     func(key string, args map[string]any) string

	resolve sync.Mutex // one resolution at a time, so none allocates twice

	mu      sync.Mutex // guards the fields below
	session string
	self    string
	byUser  map[string]string // UserName → id
	byID    map[string]string // id → UserName
	fresh   map[string]bool   // ids whose record is up to date in this session
}

// startSession begins login session key: UserNames of other sessions mean
// nothing now, and those of this one (after a restart into the same
// session) are loaded from the store.
func (r *identities) startSession(ctx context.Context, key, self string) error {
	aliases, err := r.store.WeChatAliases(ctx, r.account, key)
	if err != nil {
		return fmt.Errorf("load aliases: %w", err)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.session, r.self = key, self
	r.byUser, r.byID, r.fresh = map[string]string{}, map[string]string{}, map[string]bool{}
	for u, id := range aliases {
		r.byUser[u], r.byID[id] = id, u
	}
	return nil
}

// known returns the stable id of a UserName of this session.
func (r *identities) known(userName string) (string, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	id, ok := r.byUser[userName]
	return id, ok
}

// userName returns the UserName of a stable id in this session.
func (r *identities) userName(id string) (string, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	u, ok := r.byID[id]
	return u, ok
}

func (r *identities) current() (session string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.session
}

// bind records that userName is id in this session.
func (r *identities) bind(ctx context.Context, session, userName, id string) error {
	if err := r.store.SetWeChatAlias(ctx, r.account, session, userName, id); err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.session == session {
		r.byUser[userName], r.byID[id] = id, userName
	}
	return nil
}

// person returns the stable id of o, creating one when o is new.
func (r *identities) person(ctx context.Context, o person) (string, error) {
	id, ok := r.known(o.UserName)
	if ok && r.isFresh(id, o.Group) {
		return id, nil
	}
	r.resolve.Lock()
	defer r.resolve.Unlock()
	session := r.current()
	if !ok {
		match, ambiguous, err := r.matchPerson(ctx, session, o)
		if err != nil {
			return "", err
		}
		if ambiguous {
			r.log.Warn("wechat: cannot tell apart people with this nickname; treating as a new person",
				"nick", o.Nick, "group", o.Group, "display", o.Display)
			r.alert(ctx, r.say("wechat_alert_member_ambiguous", map[string]any{"Name": o.Nick, "Display": o.Display}))
		}
		if id = match; id == "" {
			if id, err = r.store.NewWeChatID(ctx, "u"); err != nil {
				return "", err
			}
		}
	}
	if err := r.savePerson(ctx, session, id, o); err != nil {
		return "", err
	}
	if err := r.bind(ctx, session, o.UserName, id); err != nil {
		return "", err
	}
	r.markFresh(id, o.Group)
	return id, nil
}

func (r *identities) isFresh(id, group string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.fresh[id+"@"+group]
}

func (r *identities) markFresh(id, group string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.fresh[id+"@"+group] = true
}

type record struct {
	id string
	f  map[string]string
}

func (r *identities) load(ctx context.Context, ids []string) ([]record, error) {
	out := make([]record, 0, len(ids))
	for _, id := range ids {
		f, err := r.store.WeChatIdentity(ctx, r.account, id)
		if err != nil {
			return nil, err
		}
		if len(f) > 0 {
			out = append(out, record{id: id, f: f})
		}
	}
	return out, nil
}

func (r *identities) find(ctx context.Context, fingerprint string) ([]record, error) {
	ids, err := r.store.WeChatIdentities(ctx, r.account, fingerprint)
	if err != nil {
		return nil, err
	}
	return r.load(ctx, ids)
}

// matchPerson finds the identity o belongs to: "" when none, ambiguous when
// several could be it.
func (r *identities) matchPerson(ctx context.Context, session string, o person) (id string, ambiguous bool, err error) {
	fits := func(rec record) bool { return rec.f[fKind] == "u" && r.personFits(session, rec, o) }
	if o.Uin != 0 {
		recs, err := r.find(ctx, fpUin+strconv.FormatInt(o.Uin, 10))
		if err != nil {
			return "", false, err
		}
		if recs = filter(recs, fits); len(recs) == 1 {
			return recs[0].id, false, nil
		}
	}
	if o.Remark != "" {
		recs, err := r.find(ctx, fpRemark+o.Remark)
		if err != nil {
			return "", false, err
		}
		if recs = filter(recs, fits); len(recs) == 1 {
			return recs[0].id, false, nil
		}
	}
	var recs []record
	if o.Nick != "" {
		if recs, err = r.find(ctx, fpNick+o.Nick); err != nil {
			return "", false, err
		}
		recs = filter(recs, fits)
	}
	if len(recs) == 0 && o.Group != "" && o.Display != "" && o.Attr != 0 {
		// A new nickname, the same 群昵称: only the same AttrStatus vouches
		// for it.
		if recs, err = r.find(ctx, fpDisplay+o.Group+":"+o.Display); err != nil {
			return "", false, err
		}
		recs = filter(recs, func(rec record) bool { return fits(rec) && rec.f[fAttr] == strconv.FormatInt(o.Attr, 10) })
	}
	if o.Group != "" && len(recs) > 1 {
		recs = prefer(recs, func(rec record) bool { _, in := rec.f[fInGroup+o.Group]; return in })
		recs = prefer(recs, func(rec record) bool { return rec.f[fInGroup+o.Group] == o.Display })
	}
	switch len(recs) {
	case 0:
		return "", false, nil
	case 1:
		return recs[0].id, false, nil
	}
	return "", true, nil
}

// personFits reports whether rec may be o: nothing recorded contradicts
// what is seen, and rec is not another UserName of this session.
func (r *identities) personFits(session string, rec record, o person) bool {
	f := rec.f
	if f[fSession] == session && f[fUser] != o.UserName {
		return false
	}
	differ := func(field, seen string) bool { return f[field] != "" && seen != "" && f[field] != seen }
	return !differ(fUin, nonZero(o.Uin)) && !differ(fRemark, o.Remark) && !differ(fAttr, nonZero(o.Attr))
}

func (r *identities) savePerson(ctx context.Context, session, id string, o person) error {
	old, err := r.store.WeChatIdentity(ctx, r.account, id)
	if err != nil {
		return err
	}
	f := map[string]string{fKind: "u", fNick: o.Nick, fName: o.name(), fSession: session, fUser: o.UserName}
	if o.Attr != 0 {
		f[fAttr] = nonZero(o.Attr)
	}
	if o.Uin != 0 {
		f[fUin] = nonZero(o.Uin)
	}
	if o.Remark != "" {
		f[fRemark] = o.Remark
	}
	if o.Group != "" {
		f[fInGroup+o.Group] = o.Display
	}
	fps := []string{}
	if o.Nick != "" {
		fps = append(fps, fpNick+o.Nick)
	}
	if v := first(f[fUin], old[fUin]); v != "" {
		fps = append(fps, fpUin+v)
	}
	if v := first(f[fRemark], old[fRemark]); v != "" {
		fps = append(fps, fpRemark+v)
	}
	for k, v := range old {
		if g, ok := strings.CutPrefix(k, fInGroup); ok && g != o.Group && v != "" {
			fps = append(fps, fpDisplay+g+":"+v)
		}
	}
	if o.Group != "" && o.Display != "" {
		fps = append(fps, fpDisplay+o.Group+":"+o.Display)
	}
	return r.store.SaveWeChatIdentity(ctx, r.account, id, f, fps)
}

// group returns the stable id of o, creating one when o is new.
func (r *identities) group(ctx context.Context, o group) (string, error) {
	id, ok := r.known(o.UserName)
	if ok && r.isFresh(id, "") {
		return id, nil
	}
	r.resolve.Lock()
	defer r.resolve.Unlock()
	session := r.current()
	if !ok {
		match, ambiguous, err := r.matchGroup(ctx, session, o)
		if err != nil {
			return "", err
		}
		if ambiguous {
			r.log.Warn("wechat: cannot tell apart groups with this name; treating as a new group", "name", o.Name)
			r.alert(ctx, r.say("wechat_alert_group_ambiguous", map[string]any{"Name": o.Name}))
		}
		if id = match; id == "" {
			if id, err = r.store.NewWeChatID(ctx, "g"); err != nil {
				return "", err
			}
		}
	}
	f := map[string]string{fKind: "g", fName: o.Name, fSession: session, fUser: o.UserName}
	if o.Roster != nil {
		f[fRoster] = strings.Join(o.Roster, ",")
	}
	if err := r.store.SaveWeChatIdentity(ctx, r.account, id, f, []string{fpGroup + o.Name, fpGroups}); err != nil {
		return "", err
	}
	if err := r.bind(ctx, session, o.UserName, id); err != nil {
		return "", err
	}
	if o.Roster != nil {
		r.markFresh(id, "")
	}
	return id, nil
}

func (r *identities) matchGroup(ctx context.Context, session string, o group) (id string, ambiguous bool, err error) {
	fits := func(rec record) bool {
		return rec.f[fKind] == "g" && (rec.f[fSession] != session || rec.f[fUser] == o.UserName)
	}
	recs, err := r.find(ctx, fpGroup+o.Name)
	if err != nil {
		return "", false, err
	}
	recs = filter(recs, fits)
	switch {
	case len(recs) == 1:
		if o.Roster != nil && recs[0].f[fRoster] != "" &&
			overlap(o.Roster, strings.Split(recs[0].f[fRoster], ",")) < sameNameKeep {
			r.log.Info("wechat: a group has a known group's name but not its members; taking it for a new group",
				"name", o.Name, "known", recs[0].id)
			return "", false, nil
		}
		return recs[0].id, false, nil
	case len(recs) > 1:
		if best, ok := closest(recs, o.Roster, sameNameOverlap); ok {
			return best, false, nil
		}
		return "", true, nil
	case o.Roster == nil:
		return "", false, nil
	}
	if recs, err = r.find(ctx, fpGroups); err != nil {
		return "", false, err
	}
	if best, ok := closest(filter(recs, fits), o.Roster, renamedOverlap); ok {
		r.log.Info("wechat: a group with a new name has the members of a known group; taking it for that group renamed",
			"id", best, "name", o.Name)
		return best, false, nil
	}
	return "", false, nil
}

// closest returns the record whose roster overlaps roster most, when that
// overlap reaches min and no other record's does as well.
func closest(recs []record, roster []string, min float64) (string, bool) {
	if len(roster) == 0 {
		return "", false
	}
	best, bestScore, tie := "", -1.0, false
	for _, rec := range recs {
		s := overlap(roster, strings.Split(rec.f[fRoster], ","))
		switch {
		case s > bestScore:
			best, bestScore, tie = rec.id, s, false
		case s == bestScore:
			tie = true
		}
	}
	return best, bestScore >= min && !tie
}

// overlap is the Jaccard index of two member lists.
func overlap(a, b []string) float64 {
	set := map[string]int{}
	for _, x := range a {
		if x != "" {
			set[x] |= 1
		}
	}
	for _, x := range b {
		if x != "" {
			set[x] |= 2
		}
	}
	both := 0
	for _, v := range set {
		if v == 3 {
			both++
		}
	}
	if len(set) == 0 {
		return 0
	}
	return float64(both) / float64(len(set))
}

// renameGroup follows a rename seen while logged in.
func (r *identities) renameGroup(ctx context.Context, id, name string) error {
	r.resolve.Lock()
	defer r.resolve.Unlock()
	return r.store.SaveWeChatIdentity(ctx, r.account, id, map[string]string{fName: name}, []string{fpGroup + name, fpGroups})
}

// memberPrint is one roster entry: a member's nickname and AttrStatus,
// hashed short.
func memberPrint(nick string, attr int64) string {
	h := fnv.New32a()
	_, _ = h.Write([]byte(nick + "\x00" + strconv.FormatInt(attr, 10)))
	return strconv.FormatUint(uint64(h.Sum32()), 36)
}

func filter(recs []record, keep func(record) bool) []record {
	return slices.DeleteFunc(recs, func(rec record) bool { return !keep(rec) })
}

// prefer narrows recs to those that satisfy p, when any does.
func prefer(recs []record, p func(record) bool) []record {
	var some []record
	for _, rec := range recs {
		if p(rec) {
			some = append(some, rec)
		}
	}
	if len(some) == 0 {
		return recs
	}
	return some
}

func nonZero(n int64) string {
	if n == 0 {
		return ""
	}
	return strconv.FormatInt(n, 10)
}

func first(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
