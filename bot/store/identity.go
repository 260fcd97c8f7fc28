package store

import (
	"context"
	"sync"

	"github.com/redis/go-redis/v9"

	"github.com/huzhu-station/huzhu/bot"
)

// Identity is everything a command needs to know about who is speaking and
// where: the chat, the person, their station and their record in it.
type Identity struct {
	Chat    *ChatRecord
	User    *UserRecord
	Station *Station // nil when neither the chat nor the person has a station
	Member  *Member  // nil when Station is nil
}

// identityReads are the reads of Identify, queued in a pipeline: the chat
// and the person, and the station and the membership when the station is
// guessed (see guesses).
type identityReads struct {
	chat, user   *redis.MapStringStringCmd
	guess        int64
	info, member *redis.MapStringStringCmd
}

// queueIdentity queues the reads of Identify in p. The chat's and the
// station's records, read by every message there, go first: the embedded
// store answers them from its cache (embedded_hashcache.go), and a hit
// that follows a read it has to pass on waits for that read's answer.
func (s *Store) queueIdentity(ctx context.Context, p redis.Pipeliner, chat bot.Chat, user bot.User) *identityReads {
	r := &identityReads{chat: p.HGetAll(ctx, s.k.chat(chat.Key()))}
	if r.guess = s.guesses.get(guessKey(chat, user)); r.guess != 0 {
		r.info = p.HGetAll(ctx, s.k.stationInfo(r.guess))
	}
	r.user = p.HGetAll(ctx, s.k.user(user.Key()))
	if r.guess != 0 {
		r.member = p.HGetAll(ctx, s.k.member(r.guess, user.Key()))
	}
	return r
}

// cardAhead is a problem's card (IssueCard) read ahead with the message's
// claim, from the station guessed for it.
type cardAhead struct {
	st, n     int64
	rec       *redis.MapStringStringCmd
	log, link *redis.StringSliceCmd
}

// queueCard queues IssueCard's reads of problem n of station st in p.
func (s *Store) queueCard(ctx context.Context, p redis.Pipeliner, st, n int64) *cardAhead {
	return &cardAhead{st: st, n: n,
		rec:  p.HGetAll(ctx, s.k.issue(st, n)),
		log:  p.LRange(ctx, s.k.issueLog(st, n), 0, maxTimeline-1),
		link: p.SMembers(ctx, s.k.issueLinks(st, n)),
	}
}

// takeCard returns problem n of station st as read ahead under ctx, once,
// or nil when it was not (another station, another problem, a failed read).
func takeCard(ctx context.Context, st, n int64) *cardAhead {
	a, ok := ctx.Value(identityKey{}).(*aheadIdentity)
	if !ok || a.card == nil {
		return nil
	}
	c := a.card
	a.card = nil
	if c.st != st || c.n != n || c.rec.Err() != nil || c.log.Err() != nil || c.link.Err() != nil {
		return nil
	}
	return c
}

// guessKey is what decides a message's station: the group, or for a
// private chat the person.
func guessKey(chat bot.Chat, user bot.User) string {
	if chat.Kind == bot.Private {
		return "u:" + user.Key()
	}
	return "c:" + chat.Key()
}

// guesses remember what a later read can be made with ahead of time, and
// checked in the same round trip. Per group and per person in a private
// chat, the station their last message was served for, so that the station
// and the membership are read in the same round trip as the chat and the
// person: the chat's record, read in that round trip, says which station it
// is, and a wrong guess (a group bound elsewhere since, on any instance)
// costs the second round trip it saves otherwise. A station's one open
// campaign, and a slot of its rota, are guessed the same way (funds.go,
// shifts.go).
type guesses[V comparable] struct {
	mu sync.Mutex
	by map[string]V
}

// get returns the guess for key, or the zero V.
func (g *guesses[V]) get(key string) V {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.by[key]
}

// set remembers v for key; the zero V forgets it.
func (g *guesses[V]) set(key string, v V) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.by == nil || len(g.by) > 100_000 {
		g.by = map[string]V{} // bound memory; a lost guess costs one round trip
	}
	var zero V
	if v == zero {
		delete(g.by, key)
		return
	}
	g.by[key] = v
}

// identityKey carries reads of Identify made ahead (see WithIdentity).
type identityKey struct{}

// aheadIdentity is a request to read a message's identity ahead, in the
// round trip that claims the message (ClaimMessage).
type aheadIdentity struct {
	chat  bot.Chat
	user  bot.User
	reads *identityReads // nil until queued
	// issue, when not 0, is the problem whose card the message asks for
	// (WithCardAhead): read with the claim too, from the guessed station.
	issue int64
	card  *cardAhead
	// sender is what Identify found of the sender's membership, for
	// countPeople.
	sender senderMembership
}

// senderMembership is what a message's Identify found of its sender's
// record in station st: whether there is one (a member the station met),
// and the last month they were counted among its people in (see
// countPeople), kept in that record.
type senderMembership struct {
	st      int64
	user    string
	member  bool
	counted string
}

// senderAhead returns what the message's Identify found of userKey's
// record in station st, when it did (see WithIdentity).
func senderAhead(ctx context.Context, st int64, userKey string) (senderMembership, bool) {
	a, ok := ctx.Value(identityKey{}).(*aheadIdentity)
	if !ok || a.sender.st != st || a.sender.user != userKey {
		return senderMembership{}, false
	}
	return a.sender, true
}

// WithIdentity returns ctx under which ClaimMessage reads what Identify
// needs for user in chat in the same round trip as the claim, and
// Identify, asked for the same chat and person, uses what was read.
func WithIdentity(ctx context.Context, chat bot.Chat, user bot.User) context.Context {
	return context.WithValue(ctx, identityKey{}, &aheadIdentity{chat: chat, user: user})
}

// WithCardAhead asks, under a context of WithIdentity, that problem n's
// card be read with the message's claim too, from the station guessed for
// the message (see guesses): IssueCard then takes no round trip of its own
// when the guess was right. It returns ctx as it is without WithIdentity.
func WithCardAhead(ctx context.Context, n int64) context.Context {
	if a, ok := ctx.Value(identityKey{}).(*aheadIdentity); ok && n > 0 {
		a.issue = n
	}
	return ctx
}

// Identify looks up the chat and the sender of a message: the chat and the
// person, the station and the membership. A group's station comes from the
// group; a private chat speaks for the station the person last bound to.
// It takes one round trip when the station was guessed right (see
// guesses) and none when it was read ahead with the message's claim
// (WithIdentity); otherwise two.
func (s *Store) Identify(ctx context.Context, chat bot.Chat, user bot.User) (*Identity, error) {
	var r *identityReads
	a, ok := ctx.Value(identityKey{}).(*aheadIdentity)
	if ok && a.reads != nil && a.chat.Kind == chat.Kind &&
		a.chat.Key() == chat.Key() && a.user.Key() == user.Key() &&
		a.reads.chat.Err() == nil && a.reads.user.Err() == nil {
		r = a.reads
		a.reads = nil // read once: a second Identify reads afresh
	}
	if r == nil {
		if _, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
			r = s.queueIdentity(ctx, p, chat, user)
			return nil
		}); err != nil {
			return nil, err
		}
	}
	c, u := r.chat.Val(), r.user.Val()
	id := &Identity{
		Chat: &ChatRecord{Key: chat.Key(), Station: atoi(c["station"]), Office: OfficeLevel(c["office"]),
			Title: c["title"], Locale: c["locale"]},
		User: &UserRecord{Station: atoi(u["station"]), Locale: u["locale"]},
	}
	st := id.Chat.Station
	if chat.Kind == bot.Private {
		st = id.User.Station
	}
	s.guesses.set(guessKey(chat, user), st)
	if st == 0 {
		return id, nil
	}
	info, member := r.info, r.member
	if st != r.guess || info.Err() != nil || member.Err() != nil {
		if _, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
			info = p.HGetAll(ctx, s.k.stationInfo(st))
			member = p.HGetAll(ctx, s.k.member(st, user.Key()))
			return nil
		}); err != nil {
			return nil, err
		}
	}
	if len(info.Val()) == 0 {
		return id, nil
	}
	id.Station = stationFromHash(st, info.Val())
	id.Member = memberFromHash(st, user, member.Val())
	if ok {
		a.sender = senderMembership{st: st, user: user.Key(), member: !id.Member.Joined.IsZero(),
			counted: member.Val()[memberCounted]}
	}
	return id, nil
}
