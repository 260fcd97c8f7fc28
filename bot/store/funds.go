package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/huzhu-station/huzhu/bot"
	"github.com/huzhu-station/huzhu/bot/numerals"
)

// FundStatus is whether a campaign (众筹) still takes pledges and payments.
type FundStatus string

// Campaign statuses.
const (
	FundOpen   FundStatus = "open"
	FundClosed FundStatus = "closed"
)

// ErrFundClosed is returned for a pledge, payment or expense on a campaign
// that has been closed.
var ErrFundClosed = fmt.Errorf("%w: campaign closed", ErrConflict)

// Fund is one crowdfunding campaign (众筹), such as the security doors of
// building 3. Amounts are fen. The totals are kept beside the households'
// records and changed in the same transactions, under the campaign's lease.
type Fund struct {
	Station      int64
	N            int64
	Title        string
	Goal         int64
	PerHousehold int64     // suggested amount, 0 for none
	Deadline     time.Time // midnight starting the last day, zero for none
	// Buildings limit the campaign to some buildings; empty is the whole
	// station.
	Buildings []string
	Status    FundStatus
	By        string
	ByName    string
	Chat      string // the group it was opened in
	Created   time.Time
	Closed    time.Time
	Pledged   int64 // sum of the households' pledges
	Paid      int64 // sum of what was collected
	Spent     int64 // sum of expenses
	// About is the problem the campaign was opened about, 0 for none.
	About int64
}

// Balance is what was collected less what was spent.
func (f *Fund) Balance() int64 { return f.Paid - f.Spent }

// Covers reports whether households of building b belong to the campaign.
func (f *Fund) Covers(b string) bool {
	return len(f.Buildings) == 0 || slices.Contains(f.Buildings, b)
}

// NewFund is what the head gives when opening a campaign.
type NewFund struct {
	Title        string
	Goal         int64
	PerHousehold int64
	Deadline     time.Time
	Buildings    []string
	By           bot.User
	Chat         string
	About        int64 // the problem it is about, 0 for none
}

// LedgerKind names an entry in a campaign's ledger.
type LedgerKind string

// Ledger entries.
const (
	LedgerOpened  LedgerKind = "opened"
	LedgerPledged LedgerKind = "pledged" // Amount is the new pledge, Prev the one it replaced
	LedgerPaid    LedgerKind = "paid"    // Amount was collected from Room
	LedgerSpent   LedgerKind = "spent"   // Amount was spent on Text
	LedgerClosed  LedgerKind = "closed"
)

// LedgerEntry is one change to a campaign. Entries are only ever appended,
// so the ledger is the audit trail: who changed what, when.
type LedgerEntry struct {
	At     time.Time  `json:"-"`
	AtMS   int64      `json:"at"`
	By     string     `json:"by"`
	ByName string     `json:"name"`
	Kind   LedgerKind `json:"kind"`
	Room   string     `json:"room,omitempty"` // household key
	Amount int64      `json:"amount,omitempty"`
	Prev   int64      `json:"prev,omitempty"`
	Text   string     `json:"text,omitempty"`
}

// Contribution is one household's part in a campaign.
type Contribution struct {
	Room    numerals.Room
	Pledged int64
	Paid    int64
}

// Owed is what the household still has to pay; negative when it paid more
// than it pledged.
func (c Contribution) Owed() int64 { return c.Pledged - c.Paid }

// ContributionChange is what Pledge or RecordPayment did.
type ContributionChange struct {
	Fund      *Fund // with the new totals
	Household Contribution
	// PrevPledged is the pledge before the change.
	PrevPledged int64
	// PledgedByPayment is set when a payment from a household that had not
	// pledged was taken as its pledge.
	PledgedByPayment bool
	// PledgedHouseholds is how many households have pledged, after the
	// change.
	PledgedHouseholds int64
	// Members are the user keys of the household's people, sorted.
	Members []string
}

// CreateFund opens a campaign in station st and returns it with its number.
func (s *Store) CreateFund(ctx context.Context, st int64, in NewFund, now time.Time) (*Fund, error) {
	n, err := s.rdb.Incr(ctx, s.k.fundSeq(st)).Result()
	if err != nil {
		return nil, err
	}
	f := &Fund{Station: st, N: n, Title: in.Title, Goal: in.Goal, PerHousehold: in.PerHousehold,
		Deadline: in.Deadline, Buildings: in.Buildings, Status: FundOpen, By: in.By.Key(), ByName: in.By.Name,
		Chat: in.Chat, Created: now, About: in.About}
	ev := LedgerEntry{By: f.By, ByName: f.ByName, Kind: LedgerOpened, Amount: in.Goal, Text: in.Title}
	_, err = s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.HSet(ctx, s.k.fund(st, n), fundFields(f)...)
		p.ZAdd(ctx, s.k.fundsOpen(st), redis.Z{Score: float64(n), Member: n})
		p.ZAdd(ctx, s.k.fundsAll(st), redis.Z{Score: float64(n), Member: n})
		s.appendLedger(ctx, p, st, n, ev, now)
		s.linkToIssue(ctx, p, st, f.About, Link{LinkFund, n}, f.By, f.ByName, now)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return f, nil
}

func fundFields(f *Fund) []any {
	return []any{
		"n", f.N, "title", f.Title, "goal", f.Goal, "per_household", f.PerHousehold,
		"deadline", msOrZero(f.Deadline), "buildings", strings.Join(f.Buildings, ","),
		"status", string(f.Status), "by", f.By, "by_name", f.ByName, "chat", f.Chat,
		"created", ms(f.Created), "closed", msOrZero(f.Closed),
		"pledged", f.Pledged, "paid", f.Paid, "spent", f.Spent, "about", f.About,
		pledgedHouseholdsField, 0,
	}
}

// pledgedHouseholdsField of a campaign's hash counts the households whose
// pledge is above zero. Every change of a household's pledge moves it in
// the same MULTI, so a pledge reads one household's part and the count
// instead of every household's. A campaign opened before the count was
// kept has no such field; its first change counts the households once
// (countPledged) and writes the count.
const pledgedHouseholdsField = "pledged_households"

func fundFromHash(st int64, h map[string]string) *Fund {
	return &Fund{Station: st, N: atoi(h["n"]), Title: h["title"], Goal: atoi(h["goal"]),
		PerHousehold: atoi(h["per_household"]), Deadline: fromMS(h["deadline"]),
		Buildings: splitList(h["buildings"]), Status: FundStatus(h["status"]), By: h["by"], ByName: h["by_name"],
		Chat: h["chat"], Created: fromMS(h["created"]), Closed: fromMS(h["closed"]),
		Pledged: atoi(h["pledged"]), Paid: atoi(h["paid"]), Spent: atoi(h["spent"]), About: atoi(h["about"])}
}

func (s *Store) appendLedger(ctx context.Context, p redis.Pipeliner, st, n int64, ev LedgerEntry, now time.Time) {
	ev.AtMS = ms(now)
	b, _ := json.Marshal(ev) // plain struct of strings and ints: cannot fail
	p.RPush(ctx, s.k.fundLedger(st, n), b)
}

// Fund returns campaign n of station st.
func (s *Store) Fund(ctx context.Context, st, n int64) (*Fund, error) {
	h, err := s.record(ctx, s.k.fund(st, n), fmt.Sprintf("campaign %d", n))
	if err != nil {
		return nil, err
	}
	return fundFromHash(st, h), nil
}

// OpenFunds returns the campaigns still open, oldest first.
func (s *Store) OpenFunds(ctx context.Context, st int64) ([]*Fund, error) {
	return s.fundsIn(ctx, st, s.k.fundsOpen(st))
}

// Funds returns every campaign of station st, oldest first.
func (s *Store) Funds(ctx context.Context, st int64) ([]*Fund, error) {
	return s.fundsIn(ctx, st, s.k.fundsAll(st))
}

func (s *Store) fundsIn(ctx context.Context, st int64, set string) ([]*Fund, error) {
	nums, err := s.rdb.ZRange(ctx, set, 0, maxListed-1).Result()
	if err != nil {
		return nil, err
	}
	return records(ctx, s, nums, func(n string) string { return s.k.fund(st, atoi(n)) },
		func(_ string, h map[string]string) *Fund { return fundFromHash(st, h) })
}

// contributionValue is how a household's pledge and payments are stored:
// "pledged:paid" in fen.
func contributionValue(c Contribution) string {
	return strconv.FormatInt(c.Pledged, 10) + ":" + strconv.FormatInt(c.Paid, 10)
}

func parseContribution(roomKey, v string) (Contribution, bool) {
	room, err := numerals.ParseRoom(roomKey)
	if err != nil {
		return Contribution{}, false
	}
	return contributionOf(room, v), true
}

// contributionOf is room's part as contributionValue stored it; "" (none
// stored) is nothing pledged or paid.
func contributionOf(room numerals.Room, v string) Contribution {
	pledged, paid, _ := strings.Cut(v, ":")
	return Contribution{Room: room, Pledged: atoi(pledged), Paid: atoi(paid)}
}

// pledgedNow is 1 when the household's pledge is above zero: what it adds
// to pledgedHouseholdsField.
func pledgedNow(c Contribution) int64 {
	if c.Pledged > 0 {
		return 1
	}
	return 0
}

// countPledged counts the households of campaign n that pledged, from
// their records, as Contributions reads them.
func (s *Store) countPledged(ctx context.Context, st, n int64) (int64, error) {
	cs, err := s.Contributions(ctx, st, n)
	if err != nil {
		return 0, err
	}
	var count int64
	for _, c := range cs {
		count += pledgedNow(c)
	}
	return count, nil
}

// Contributions returns every household's part in campaign n, by room.
func (s *Store) Contributions(ctx context.Context, st, n int64) ([]Contribution, error) {
	h, err := s.rdb.HGetAll(ctx, s.k.fundHouseholds(st, n)).Result()
	if err != nil {
		return nil, err
	}
	out := make([]Contribution, 0, len(h))
	for k, v := range h {
		if c, ok := parseContribution(k, v); ok {
			out = append(out, c)
		}
	}
	slices.SortFunc(out, func(a, b Contribution) int { return compareRooms(a.Room, b.Room) })
	return out, nil
}

// maxLedger bounds how much of a ledger is read back. A campaign of a few
// hundred households has far fewer entries.
const maxLedger = 10_000

// FundLedger returns campaign n's ledger, oldest first.
func (s *Store) FundLedger(ctx context.Context, st, n int64) ([]LedgerEntry, error) {
	return readLog[LedgerEntry](ctx, s, s.k.fundLedger(st, n), maxLedger)
}

// stampTime fills At from the stored milliseconds.
func (e *LedgerEntry) stampTime() { e.At = time.UnixMilli(e.AtMS) }

// Pledge records that household room pledges amount fen to campaign n;
// pledging again replaces the earlier pledge (the ledger keeps both). A
// pledge equal to the current one changes nothing. A room outside a locked
// roster is ErrRoomUnknown; without a roster the household is added.
func (s *Store) Pledge(ctx context.Context, st, n int64, room numerals.Room, amount int64, by bot.User, now time.Time) (*ContributionChange, error) {
	return s.PledgeChecked(ctx, st, n, room, amount, by, now, nil)
}

// ErrNotOneOpenFund is PledgeChecked's answer when it was to pledge to the
// station's one open campaign and none or several are open.
var ErrNotOneOpenFund = errors.New("not exactly one campaign open")

// PledgeChecked is Pledge where check (when not nil), given the campaign as
// read under its lease, may refuse the pledge with an error that leaves
// everything as it was, and where n may be 0: the station's one open
// campaign, or ErrNotOneOpenFund. A command that must see the campaign to
// accept the pledge (whether it covers the household's building) then
// reads it once, with the pledges.
func (s *Store) PledgeChecked(ctx context.Context, st, n int64, room numerals.Room, amount int64, by bot.User, now time.Time,
	check func(*Fund) error) (*ContributionChange, error) {
	return s.changeContribution(ctx, st, n, room, by, now, check, func(c *Contribution) []LedgerEntry {
		if c.Pledged == amount {
			return nil
		}
		ev := LedgerEntry{Kind: LedgerPledged, Amount: amount, Prev: c.Pledged}
		c.Pledged = amount
		return []LedgerEntry{ev}
	})
}

// RecordPayment records amount fen collected from household room for
// campaign n. Payments add up; more or less than the pledge is kept as it
// is, never rounded away. A household that had not pledged is taken to
// pledge what it paid.
func (s *Store) RecordPayment(ctx context.Context, st, n int64, room numerals.Room, amount int64, by bot.User, now time.Time) (*ContributionChange, error) {
	return s.changeContribution(ctx, st, n, room, by, now, nil, func(c *Contribution) []LedgerEntry {
		var evs []LedgerEntry
		if c.Pledged == 0 {
			evs = append(evs, LedgerEntry{Kind: LedgerPledged, Amount: amount, Text: "paid"})
			c.Pledged = amount
		}
		c.Paid += amount
		return append(evs, LedgerEntry{Kind: LedgerPaid, Amount: amount})
	})
}

// changeContribution applies change to household room's part in campaign n
// under the campaign's lease, and writes the household, the campaign's
// totals and the ledger entries change returns in one transaction. check,
// when not nil, sees the campaign first and may refuse. n 0 is the
// station's one open campaign: the one it was last time is guessed, and the
// list of open campaigns read with the lease tells whether that holds.
func (s *Store) changeContribution(ctx context.Context, st, n int64, room numerals.Room, by bot.User, now time.Time,
	check func(*Fund) error, change func(c *Contribution) []LedgerEntry) (*ContributionChange, error) {
	if n != 0 {
		return s.changeContributionOf(ctx, st, n, false, room, by, now, check, change)
	}
	guess := strconv.FormatInt(st, 10)
	n = s.openFund.get(guess)
	for range 3 {
		if n == 0 {
			open, err := s.rdb.ZRange(ctx, s.k.fundsOpen(st), 0, 1).Result()
			if err != nil {
				return nil, err
			}
			if len(open) != 1 {
				return nil, ErrNotOneOpenFund
			}
			n = atoi(open[0])
		}
		out, err := s.changeContributionOf(ctx, st, n, true, room, by, now, check, change)
		var other otherOpenFund
		if !errors.As(err, &other) {
			if err == nil {
				s.openFund.set(guess, n)
			}
			return out, err
		}
		s.openFund.set(guess, 0)
		n = int64(other)
	}
	return nil, ErrNotOneOpenFund
}

// otherOpenFund is what changeContributionOf finds when the campaign it
// guessed is not the station's one open campaign: that one's number, or 0.
type otherOpenFund int64

func (o otherOpenFund) Error() string { return "another campaign is open" }

func (s *Store) changeContributionOf(ctx context.Context, st, n int64, onlyOpen bool, room numerals.Room, by bot.User, now time.Time,
	check func(*Fund) error, change func(c *Contribution) []LedgerEntry) (*ContributionChange, error) {
	var out *ContributionChange
	var fundCmd *redis.MapStringStringCmd
	var partCmd *redis.StringCmd
	var householdCmd, openCmd *redis.StringSliceCmd
	var inRoster roomCheck
	read := func(p redis.Pipeliner) {
		fundCmd = p.HGetAll(ctx, s.k.fund(st, n))
		partCmd = p.HGet(ctx, s.k.fundHouseholds(st, n), room.Key())
		householdCmd = p.SMembers(ctx, s.k.household(st, room.Key()))
		inRoster = s.queueRoomCheck(ctx, p, st, room)
		if onlyOpen {
			openCmd = p.ZRange(ctx, s.k.fundsOpen(st), 0, 1)
		}
	}
	err := s.withLeaseRead(ctx, []string{s.k.lease(st, "fund:"+strconv.FormatInt(n, 10))}, read, func(l *lease) error {
		for _, c := range []redis.Cmder{fundCmd, partCmd, householdCmd, inRoster.exists, inRoster.locked} {
			if err := c.Err(); err != nil && !errors.Is(err, redis.Nil) {
				return err
			}
		}
		if onlyOpen {
			switch open, err := openCmd.Result(); {
			case err != nil:
				return err
			case len(open) != 1:
				return ErrNotOneOpenFund
			case atoi(open[0]) != n:
				return otherOpenFund(atoi(open[0]))
			}
		}
		if len(fundCmd.Val()) == 0 {
			return fmt.Errorf("%w: campaign %d", ErrNotFound, n)
		}
		f := fundFromHash(st, fundCmd.Val())
		if f.Status != FundOpen {
			return fmt.Errorf("%w: %d", ErrFundClosed, n)
		}
		if check != nil {
			if err := check(f); err != nil {
				return err
			}
		}
		newHousehold, err := inRoster.allowed()
		if err != nil {
			return err
		}
		pledgedBefore, counted := fundCmd.Val()[pledgedHouseholdsField]
		pledged := atoi(pledgedBefore)
		if !counted {
			if pledged, err = s.countPledged(ctx, st, n); err != nil {
				return err
			}
		}
		c := contributionOf(room, partCmd.Val())
		before := c
		evs := change(&c)
		f.Pledged += c.Pledged - before.Pledged
		f.Paid += c.Paid - before.Paid
		out = &ContributionChange{Fund: f, Household: c, PrevPledged: before.Pledged,
			PledgedByPayment:  before.Pledged == 0 && c.Paid > before.Paid && c.Pledged > 0,
			PledgedHouseholds: pledged + pledgedNow(c) - pledgedNow(before),
			Members:           slices.Sorted(slices.Values(householdCmd.Val()))}
		if len(evs) == 0 {
			return nil
		}
		return s.writeLast(ctx, s.k.fundHouseholds(st, n), l, func(p redis.Pipeliner) error {
			p.HSet(ctx, s.k.fundHouseholds(st, n), room.Key(), contributionValue(c))
			if !counted || out.PledgedHouseholds != pledged {
				p.HSet(ctx, s.k.fund(st, n), pledgedHouseholdsField, out.PledgedHouseholds)
			}
			if c.Pledged != before.Pledged {
				p.HIncrBy(ctx, s.k.fund(st, n), "pledged", c.Pledged-before.Pledged)
			}
			if c.Paid != before.Paid {
				p.HIncrBy(ctx, s.k.fund(st, n), "paid", c.Paid-before.Paid)
				p.HIncrBy(ctx, s.k.monthStats(st, statMonth(now)), "collected_fen", c.Paid-before.Paid)
				// The household paid: its people took part, not the
				// leader who took the cash.
				s.countPeople(ctx, p, st, now, householdCmd.Val()...)
			} else {
				s.countPeople(ctx, p, st, now, by.Key())
			}
			for _, ev := range evs {
				ev.By, ev.ByName, ev.Room = by.Key(), by.Name, room.Key()
				s.appendLedger(ctx, p, st, n, ev, now)
			}
			if newHousehold {
				p.HSet(ctx, s.k.households(st), room.Key(), room.String())
			}
			l.giveUpIn(ctx, p)
			return nil
		})
	})
	return out, err
}

// Spend records an expense of amount fen on text from campaign n.
func (s *Store) Spend(ctx context.Context, st, n, amount int64, text string, by bot.User, now time.Time) (*Fund, error) {
	var out *Fund
	err := s.withLease(ctx, s.k.lease(st, "fund:"+strconv.FormatInt(n, 10)), func() error {
		f, err := s.Fund(ctx, st, n)
		if err != nil {
			return err
		}
		if f.Status != FundOpen {
			return fmt.Errorf("%w: %d", ErrFundClosed, n)
		}
		f.Spent += amount
		_, err = s.Acknowledged(ctx, s.k.fund(st, n), func(p redis.Pipeliner) error {
			p.HIncrBy(ctx, s.k.fund(st, n), "spent", amount)
			s.appendLedger(ctx, p, st, n, LedgerEntry{By: by.Key(), ByName: by.Name, Kind: LedgerSpent,
				Amount: amount, Text: text}, now)
			return nil
		})
		out = f
		return err
	})
	return out, err
}

// CloseFund closes campaign n: no more pledges, payments or expenses.
func (s *Store) CloseFund(ctx context.Context, st, n int64, by bot.User, now time.Time) (*Fund, error) {
	var out *Fund
	err := s.withLease(ctx, s.k.lease(st, "fund:"+strconv.FormatInt(n, 10)), func() error {
		f, err := s.Fund(ctx, st, n)
		if err != nil {
			return err
		}
		if f.Status != FundOpen {
			return fmt.Errorf("%w: %d", ErrFundClosed, n)
		}
		f.Status, f.Closed = FundClosed, now
		_, err = s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
			p.HSet(ctx, s.k.fund(st, n), "status", string(FundClosed), "closed", ms(now))
			p.ZRem(ctx, s.k.fundsOpen(st), n)
			s.appendLedger(ctx, p, st, n, LedgerEntry{By: by.Key(), ByName: by.Name, Kind: LedgerClosed,
				Amount: f.Balance()}, now)
			s.noteOutcome(ctx, p, st, f.About, Link{LinkFund, n}, "", f.Paid, now)
			return nil
		})
		out = f
		return err
	})
	return out, err
}
