package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/huzhu-station/huzhu/bot"
	"github.com/huzhu-station/huzhu/bot/numerals"
)

// Household codes (住户码) let a household act from the station's web page
// with no bot in its group: a building leader hands each household a slip
// with a short code, and typing it (or scanning the slip) binds that phone
// to the household. A code is consent to join the household, as a member's
// confirmation is for /bind.
//
// The station keeps, per room, the code's generation, the code's hash (never
// the code) and the household's calendar feed token; a global key per code
// hash finds the station and room in one round trip, and is only trusted
// when the station's record agrees with it. So the station's record is the
// truth: a key left behind by a crash names a generation the record no
// longer holds and is refused.

// HouseholdCodeLen is how many characters a household code has: 8 from a
// 32-letter alphabet, 40 bits.
const HouseholdCodeLen = 8

// householdCodeAlphabet is Crockford's base 32: no I, L, O or U, so a code
// read aloud or copied by hand cannot be mistyped as another one — what
// looks alike (O and 0, I, L and 1) is read as the same character.
const householdCodeAlphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// Wrong codes are limited per client (an IP address, say): CodeFailLimit
// wrong tries in one CodeFailWindow, then refused until the window ends.
const (
	CodeFailLimit  = 5
	CodeFailWindow = 15 * time.Minute
)

// WebPlatform is the platform of the users who act from the station's web
// page with a household code.
const WebPlatform = "web"

var (
	// ErrCodeUnknown is returned for a code that is malformed, was never
	// issued, or was revoked or re-issued.
	ErrCodeUnknown = fmt.Errorf("%w: household code", ErrNotFound)
	// ErrCodeLimited is returned when a client gave too many wrong codes
	// and must wait before trying again.
	ErrCodeLimited = errors.New("too many wrong household codes")
	// ErrMalformedCode is returned by ParseHouseholdCode.
	ErrMalformedCode = errors.New("malformed household code")
)

// ParseHouseholdCode reads a code as a person types it: any case, full- or
// half-width, with spaces or dashes between the groups, O for 0 and I or L
// for 1. It returns the code's canonical form ("7KQ2M9XD").
func ParseHouseholdCode(s string) (string, error) {
	var b strings.Builder
	for _, r := range s {
		if r >= 0xFF01 && r <= 0xFF5E { // full-width ASCII
			r -= 0xFEE0
		}
		switch {
		case r == ' ' || r == '-' || r == '\u3000' || r == '—' || r == '_' || r == '\t':
			continue
		case r >= 'a' && r <= 'z':
			r -= 'a' - 'A'
		}
		switch r {
		case 'O':
			r = '0'
		case 'I', 'L':
			r = '1'
		}
		if r > 0x7f || !strings.ContainsRune(householdCodeAlphabet, r) {
			return "", fmt.Errorf("%w: %q", ErrMalformedCode, s)
		}
		if b.Len() == HouseholdCodeLen {
			return "", fmt.Errorf("%w: too long", ErrMalformedCode)
		}
		b.WriteRune(r)
	}
	if b.Len() != HouseholdCodeLen {
		return "", fmt.Errorf("%w: %q", ErrMalformedCode, s)
	}
	return b.String(), nil
}

// FormatHouseholdCode shows a canonical code in two groups of four, as it is
// printed: "7KQ2 M9XD".
func FormatHouseholdCode(code string) string {
	if len(code) != HouseholdCodeLen {
		return code
	}
	return code[:4] + " " + code[4:]
}

// codeHash is what the store keeps of a code.
func codeHash(code string) string {
	sum := sha256.Sum256([]byte("huzhu household code " + code))
	return hex.EncodeToString(sum[:])
}

// tokenHash is what the store keys a feed token by.
func tokenHash(token string) string {
	sum := sha256.Sum256([]byte("huzhu feed token " + token))
	return hex.EncodeToString(sum[:])
}

// codeRecord is a household's entry in its station's code table.
type codeRecord struct {
	Gen    int64  // how many codes the household has had
	Hash   string // the live code's hash, "" when revoked
	Feed   string // the household's calendar feed token, "" when revoked
	Issued time.Time
}

func (r codeRecord) live() bool { return r.Hash != "" }

func (r codeRecord) encode() string {
	return strings.Join([]string{strconv.FormatInt(r.Gen, 10), r.Hash, r.Feed, strconv.FormatInt(msOrZero(r.Issued), 10)}, "|")
}

func decodeCodeRecord(v string) codeRecord {
	f := strings.Split(v, "|")
	if len(f) != 4 {
		return codeRecord{}
	}
	return codeRecord{Gen: atoi(f[0]), Hash: f[1], Feed: f[2], Issued: fromMS(f[3])}
}

// pointer is the value of a global code or feed key: which household of
// which station, and which generation of its code.
func pointer(st int64, room string, gen int64) string {
	return fmt.Sprintf("%d|%s|%d", st, room, gen)
}

func parsePointer(v string) (st int64, room string, gen int64, ok bool) {
	f := strings.Split(v, "|")
	if len(f) != 3 {
		return 0, "", 0, false
	}
	return atoi(f[0]), f[1], atoi(f[2]), atoi(f[0]) > 0 && f[1] != ""
}

// IssuedCode is a code just issued: the only time the code itself is seen.
type IssuedCode struct {
	Room numerals.Room
	Code string // canonical; show it with FormatHouseholdCode
	// FeedToken opens the household's calendar feed.
	FeedToken string
}

// CodeStatus says whether a household has a live code, never what it is.
type CodeStatus struct {
	Room   numerals.Room
	Live   bool
	Gen    int64
	Issued time.Time // zero when the household never had a code
}

// WebUser is the person who acts for the household room of station st from
// the web page with generation gen of its code. Everyone who uses the same
// code is this one person to the station, a member of the household; a new
// code is a new person, so the old code's person can no longer act. The
// name gives the building alone: a room tied to a complaint or a pledge is
// not for a group to read.
func WebUser(st int64, room numerals.Room, gen int64) bot.User {
	return bot.User{Platform: WebPlatform, ID: fmt.Sprintf("%d-%s-%d", st, room.Key(), gen),
		Name: room.Building + "幢住户"}
}

// parseWebUserID reads WebUser's ID back.
func parseWebUserID(id string) (st int64, roomKey string, gen int64, ok bool) {
	first := strings.IndexByte(id, '-')
	last := strings.LastIndexByte(id, '-')
	if first <= 0 || last <= first+1 {
		return 0, "", 0, false
	}
	st, err1 := strconv.ParseInt(id[:first], 10, 64)
	gen, err2 := strconv.ParseInt(id[last+1:], 10, 64)
	return st, id[first+1 : last], gen, err1 == nil && err2 == nil && st > 0 && gen > 0
}

// CodeStatuses returns, for each household of building in station st (every
// building when building is ""), whether it has a live code.
func (s *Store) CodeStatuses(ctx context.Context, st int64, building string) ([]CodeStatus, error) {
	rooms, err := s.buildingRooms(ctx, st, building)
	if err != nil {
		return nil, err
	}
	table, err := s.rdb.HGetAll(ctx, s.k.householdCodes(st)).Result()
	if err != nil {
		return nil, err
	}
	out := make([]CodeStatus, len(rooms))
	for i, room := range rooms {
		rec := decodeCodeRecord(table[room.Key()])
		out[i] = CodeStatus{Room: room, Live: rec.live(), Gen: rec.Gen, Issued: rec.Issued}
	}
	return out, nil
}

// buildingRooms returns the households of building in station st, in order.
func (s *Store) buildingRooms(ctx context.Context, st int64, building string) ([]numerals.Room, error) {
	h, err := s.rdb.HKeys(ctx, s.k.households(st)).Result()
	if err != nil {
		return nil, err
	}
	var rooms []numerals.Room
	for _, k := range h {
		room, err := numerals.ParseRoom(k)
		if err != nil || (building != "" && room.Building != building) {
			continue
		}
		rooms = append(rooms, room)
	}
	slices.SortFunc(rooms, compareRooms)
	return rooms, nil
}

// IssueHouseholdCodes issues a code to every household of building in
// station st that has no live code, or to every one of them when reissue is
// set (a fresh set of slips: the old codes stop working). It returns the
// codes issued, by room; households that kept their code are not in it.
func (s *Store) IssueHouseholdCodes(ctx context.Context, st int64, building string, reissue bool, now time.Time) ([]IssuedCode, error) {
	statuses, err := s.CodeStatuses(ctx, st, building)
	if err != nil {
		return nil, err
	}
	var out []IssuedCode
	for _, c := range statuses {
		if c.Live && !reissue {
			continue
		}
		issued, err := s.ReissueHouseholdCode(ctx, st, c.Room, now)
		if err != nil {
			return out, err
		}
		out = append(out, issued)
	}
	return out, nil
}

// ReissueHouseholdCode gives the household room of station st a new code
// and a new feed token; its old code, its old feed and the person who acted
// with the old code (WebUser) stop working. The room must be one of the
// station's households.
func (s *Store) ReissueHouseholdCode(ctx context.Context, st int64, room numerals.Room, now time.Time) (IssuedCode, error) {
	var out IssuedCode
	known, err := s.rdb.HExists(ctx, s.k.households(st), room.Key()).Result()
	if err != nil {
		return out, err
	}
	if !known {
		return out, fmt.Errorf("%w: %s", ErrRoomUnknown, room)
	}
	err = s.withLease(ctx, s.k.lease(st, "code:"+room.Key()), func() error {
		old, err := s.codeRecord(ctx, st, room.Key())
		if err != nil {
			return err
		}
		next := codeRecord{Gen: old.Gen + 1, Issued: now}
		code, err := s.claimHouseholdCode(ctx, pointer(st, room.Key(), next.Gen))
		if err != nil {
			return err
		}
		if next.Feed, err = s.randomToken(); err != nil {
			return err
		}
		next.Hash = codeHash(code)
		if err := s.rdb.Set(ctx, s.k.feedToken(tokenHash(next.Feed)), pointer(st, room.Key(), next.Gen), 0).Err(); err != nil {
			return err
		}
		if err := s.replaceCode(ctx, st, room, old, next); err != nil {
			return err
		}
		out = IssuedCode{Room: room, Code: code, FeedToken: next.Feed}
		return nil
	})
	return out, err
}

// RevokeHouseholdCode stops the household's code, its feed and the person
// who acted with it, and deletes the phones' sessions made with it. It reports whether there was a live code to revoke.
func (s *Store) RevokeHouseholdCode(ctx context.Context, st int64, room numerals.Room) (bool, error) {
	revoked := false
	err := s.withLease(ctx, s.k.lease(st, "code:"+room.Key()), func() error {
		old, err := s.codeRecord(ctx, st, room.Key())
		if err != nil || !old.live() {
			return err
		}
		revoked = true
		return s.replaceCode(ctx, st, room, old, codeRecord{Gen: old.Gen, Issued: old.Issued})
	})
	return revoked, err
}

// replaceCode writes next as room's code record and takes old's person out
// of the household in one transaction of the station, then drops old's
// global keys. Held under the room's code lease.
func (s *Store) replaceCode(ctx context.Context, st int64, room numerals.Room, old, next codeRecord) error {
	_, err := s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.HSet(ctx, s.k.householdCodes(st), room.Key(), next.encode())
		if old.Gen > 0 {
			u := WebUser(st, room, old.Gen)
			p.SRem(ctx, s.k.household(st, room.Key()), u.Key())
			p.HDel(ctx, s.k.member(st, u.Key()), "room")
		}
		return nil
	})
	if err != nil || !old.live() {
		return err
	}
	// The station's record no longer names these, so a failure here leaves
	// keys that are refused, never a code that works.
	u := WebUser(st, room, old.Gen)
	_, err = s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		p.Del(ctx, s.k.householdCode(old.Hash))
		if old.Feed != "" {
			p.Del(ctx, s.k.feedToken(tokenHash(old.Feed)))
		}
		p.HDel(ctx, s.k.user(u.Key()), "station")
		return nil
	})
	if err != nil {
		return err
	}
	// The phones' sessions made with the old code (resident links of its
	// person, kept under that person as their owner) go with it.
	_, err = s.RevokeWebLinks(ctx, WebLink{Kind: WebResident, Station: st, User: u.Key()})
	return err
}

func (s *Store) codeRecord(ctx context.Context, st int64, roomKey string) (codeRecord, error) {
	v, err := s.rdb.HGet(ctx, s.k.householdCodes(st), roomKey).Result()
	if errors.Is(err, redis.Nil) {
		return codeRecord{}, nil
	}
	return decodeCodeRecord(v), err
}

// claimHouseholdCode draws codes until one is free and points it at ptr.
func (s *Store) claimHouseholdCode(ctx context.Context, ptr string) (string, error) {
	for range 20 {
		b := make([]byte, HouseholdCodeLen)
		if _, err := io.ReadFull(s.random, b); err != nil {
			return "", err
		}
		for i := range b {
			b[i] = householdCodeAlphabet[int(b[i])%len(householdCodeAlphabet)] // 256 is a multiple of 32: no bias
		}
		code := string(b)
		ok, err := s.rdb.SetNX(ctx, s.k.householdCode(codeHash(code)), ptr, 0).Result()
		if err != nil {
			return "", err
		}
		if ok {
			return code, nil
		}
	}
	return "", fmt.Errorf("%w: no free household code", ErrConflict)
}

// randomToken returns 128 random bits in base 32, for a feed's address.
func (s *Store) randomToken() (string, error) {
	b := make([]byte, 26)
	if _, err := io.ReadFull(s.random, b); err != nil {
		return "", err
	}
	for i := range b {
		b[i] = strings.ToLower(householdCodeAlphabet)[int(b[i])%len(householdCodeAlphabet)]
	}
	return string(b), nil
}

// Redemption is what a household code opens: the household, and the person
// who acts for it from the web page.
type Redemption struct {
	Station int64
	Room    numerals.Room
	User    bot.User
	// FeedToken opens the household's calendar feed.
	FeedToken string
}

// RedeemCode binds the person who acts with code (WebUser) to its household
// and returns them. clientKey names who is trying (an IP address): after
// CodeFailLimit wrong codes in a CodeFailWindow it returns ErrCodeLimited
// without looking at the code. A malformed, unknown, revoked or replaced
// code is ErrCodeUnknown and counts as a wrong try.
func (s *Store) RedeemCode(ctx context.Context, code, clientKey string, now time.Time) (*Redemption, error) {
	window := now.UnixMilli() / CodeFailWindow.Milliseconds()
	failKey := s.k.codeFailures(clientKey, strconv.FormatInt(window, 10))
	fails, err := s.rdb.Get(ctx, failKey).Int64()
	if err != nil && !errors.Is(err, redis.Nil) {
		return nil, err
	}
	if fails >= CodeFailLimit {
		return nil, ErrCodeLimited
	}
	red, err := s.redeem(ctx, code, now)
	if errors.Is(err, ErrCodeUnknown) {
		if _, ferr := s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
			p.Incr(ctx, failKey)
			p.PExpire(ctx, failKey, 2*CodeFailWindow)
			return nil
		}); ferr != nil {
			return nil, ferr
		}
	}
	return red, err
}

func (s *Store) redeem(ctx context.Context, raw string, now time.Time) (*Redemption, error) {
	code, err := ParseHouseholdCode(raw)
	if err != nil {
		return nil, ErrCodeUnknown
	}
	v, err := s.rdb.Get(ctx, s.k.householdCode(codeHash(code))).Result()
	if errors.Is(err, redis.Nil) {
		return nil, ErrCodeUnknown
	}
	if err != nil {
		return nil, err
	}
	st, roomKey, gen, ok := parsePointer(v)
	if !ok {
		return nil, ErrCodeUnknown
	}
	room, err := numerals.ParseRoom(roomKey)
	if err != nil {
		return nil, ErrCodeUnknown
	}
	var red *Redemption
	err = s.withLease(ctx, s.k.lease(st, "code:"+roomKey), func() error {
		rec, err := s.codeRecord(ctx, st, roomKey)
		if err != nil {
			return err
		}
		if rec.Gen != gen || rec.Hash != codeHash(code) {
			return ErrCodeUnknown
		}
		u := WebUser(st, room, gen)
		if err := s.bindWebUser(ctx, st, u, room, now); err != nil {
			return err
		}
		red = &Redemption{Station: st, Room: room, User: u, FeedToken: rec.Feed}
		return nil
	})
	return red, err
}

// bindWebUser makes u a member of the household room: the code was the
// household's consent.
func (s *Store) bindWebUser(ctx context.Context, st int64, u bot.User, room numerals.Room, now time.Time) error {
	_, err := s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.SAdd(ctx, s.k.household(st, room.Key()), u.Key())
		p.HSet(ctx, s.k.member(st, u.Key()), "name", u.Name, "room", room.Key())
		p.HSetNX(ctx, s.k.member(st, u.Key()), "joined", ms(now))
		p.SAdd(ctx, s.k.members(st), u.Key())
		return nil
	})
	if err != nil {
		return err
	}
	return s.rdb.HSet(ctx, s.k.user(u.Key()), "station", st).Err()
}

// WebHousehold returns the station and household a web user (WebUser) acts
// for while its code is live; a user whose code was revoked or re-issued,
// or who is no web user, is ErrCodeUnknown. The web page checks it before
// acting for a phone that remembered a code.
func (s *Store) WebHousehold(ctx context.Context, u bot.User) (int64, numerals.Room, error) {
	st, roomKey, gen, ok := parseWebUserID(u.ID)
	if u.Platform != WebPlatform || !ok {
		return 0, numerals.Room{}, ErrCodeUnknown
	}
	room, err := numerals.ParseRoom(roomKey)
	if err != nil {
		return 0, numerals.Room{}, ErrCodeUnknown
	}
	rec, err := s.codeRecord(ctx, st, roomKey)
	if err != nil {
		return 0, numerals.Room{}, err
	}
	if !rec.live() || rec.Gen != gen {
		return 0, numerals.Room{}, ErrCodeUnknown
	}
	return st, room, nil
}

// FeedHousehold returns the station and household whose calendar feed
// token opens, while the household's code is live.
func (s *Store) FeedHousehold(ctx context.Context, token string) (int64, numerals.Room, error) {
	v, err := s.rdb.Get(ctx, s.k.feedToken(tokenHash(token))).Result()
	if errors.Is(err, redis.Nil) {
		return 0, numerals.Room{}, ErrCodeUnknown
	}
	if err != nil {
		return 0, numerals.Room{}, err
	}
	st, roomKey, gen, ok := parsePointer(v)
	room, perr := numerals.ParseRoom(roomKey)
	if !ok || perr != nil {
		return 0, numerals.Room{}, ErrCodeUnknown
	}
	rec, err := s.codeRecord(ctx, st, roomKey)
	if err != nil {
		return 0, numerals.Room{}, err
	}
	if rec.Gen != gen || rec.Feed != token {
		return 0, numerals.Room{}, ErrCodeUnknown
	}
	return st, room, nil
}

// FeedToken returns the calendar feed token of the household room while
// its code is live, else ErrCodeUnknown.
func (s *Store) FeedToken(ctx context.Context, st int64, room numerals.Room) (string, error) {
	rec, err := s.codeRecord(ctx, st, room.Key())
	if err != nil {
		return "", err
	}
	if !rec.live() {
		return "", ErrCodeUnknown
	}
	return rec.Feed, nil
}
