package store

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/redis/go-redis/v9"

	"github.com/huzhu-station/huzhu/bot"
)

// Item is something a station lends (a leash, 牵引绳) or hands out (poop
// bags, 清理袋) to residents.
type Item struct {
	Name string
	// Stock is how many the station owns of a returnable item, or how many
	// are left to hand out of a consumable one.
	Stock int64
	// Out is how many of a returnable item are lent right now.
	Out int64
	// Given is how many of a consumable item have been handed out.
	Given      int64
	Consumable bool
	Created    time.Time
}

// Available returns how many can be lent or handed out now.
func (it *Item) Available() int64 {
	if it.Consumable {
		return it.Stock
	}
	return it.Stock - it.Out
}

// Loan is what one person has of one returnable item.
type Loan struct {
	Item    string    `json:"-"`
	User    string    `json:"-"`
	Name    string    `json:"name"`
	Chat    string    `json:"chat,omitempty"` // group it was borrowed in, "" for a private chat
	Count   int64     `json:"count"`
	Since   time.Time `json:"-"` // when the oldest of them was borrowed
	SinceMS int64     `json:"since"`
}

// Errors of lending.
var (
	// ErrNoStock means fewer are available than asked for.
	ErrNoStock = fmt.Errorf("%w: not enough in stock", ErrConflict)
	// ErrNotBorrowed means the person has none of the item to return.
	ErrNotBorrowed = fmt.Errorf("%w: not borrowed", ErrNotFound)
	// ErrConsumable means a handed-out item was returned; it is not lent.
	ErrConsumable = fmt.Errorf("%w: handed out, not lent", ErrConflict)
	// ErrStockInUse means a write-off would leave fewer than are lent out.
	ErrStockInUse = fmt.Errorf("%w: more are lent out than would be left", ErrConflict)
	// ErrBadItemName means a name no item may have: empty, too long, or with
	// spaces or colons.
	ErrBadItemName = errors.New("bad item name")
)

// MaxItemNameRunes bounds an item's name.
const MaxItemNameRunes = 10

// ValidItemName reports whether name may name an item: 1 to
// MaxItemNameRunes characters, none of them spaces, colons or controls
// (the name is part of keys and reminder ids).
func ValidItemName(name string) bool {
	n := 0
	for _, r := range name {
		if unicode.IsSpace(r) || unicode.IsControl(r) || r == ':' || r == '|' || r == unicode.ReplacementChar {
			return false
		}
		n++
	}
	return n > 0 && n <= MaxItemNameRunes
}

func (s *Store) itemLease(st int64, name string) string {
	return s.k.lease(st, "item:"+name)
}

// AddItemStock adds n to item name's stock in station st, creating the item
// (consumable or not) the first time. It returns the item and whether it was
// new; an existing item keeps whether it is consumable.
func (s *Store) AddItemStock(ctx context.Context, st int64, name string, n int64, consumable bool, now time.Time) (*Item, bool, error) {
	if !ValidItemName(name) {
		return nil, false, fmt.Errorf("%w: %q", ErrBadItemName, name)
	}
	var out *Item
	var created bool
	err := s.withLease(ctx, s.itemLease(st, name), func() error {
		it, err := s.Item(ctx, st, name)
		switch {
		case errors.Is(err, ErrNotFound):
			it, created = &Item{Name: name, Consumable: consumable, Created: now}, true
		case err != nil:
			return err
		}
		it.Stock += n
		_, err = s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
			if created {
				p.HSet(ctx, s.k.item(st, name), "name", name, "stock", it.Stock, "out", 0, "given", 0,
					"consumable", boolInt(consumable), "created", ms(now))
				p.ZAdd(ctx, s.k.items(st), redis.Z{Score: float64(ms(now)), Member: name})
			} else {
				p.HIncrBy(ctx, s.k.item(st, name), "stock", n)
			}
			return nil
		})
		out = it
		return err
	})
	return out, created, err
}

// WriteOffItems takes n of item name out of stock (lost or worn out). A
// returnable item keeps at least as many as are lent out (ErrStockInUse).
func (s *Store) WriteOffItems(ctx context.Context, st int64, name string, n int64) (*Item, error) {
	var out *Item
	err := s.withLease(ctx, s.itemLease(st, name), func() error {
		it, err := s.Item(ctx, st, name)
		if err != nil {
			return err
		}
		if it.Available() < n {
			return fmt.Errorf("%w: %s: %d available, %d to write off", ErrStockInUse, name, it.Available(), n)
		}
		if err := s.rdb.HIncrBy(ctx, s.k.item(st, name), "stock", -n).Err(); err != nil {
			return err
		}
		it.Stock -= n
		out = it
		return nil
	})
	return out, err
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// Item returns item name of station st.
func (s *Store) Item(ctx context.Context, st int64, name string) (*Item, error) {
	h, err := s.record(ctx, s.k.item(st, name), fmt.Sprintf("item %q", name))
	if err != nil {
		return nil, err
	}
	return itemFromHash(h), nil
}

func itemFromHash(h map[string]string) *Item {
	return &Item{Name: h["name"], Stock: atoi(h["stock"]), Out: atoi(h["out"]), Given: atoi(h["given"]),
		Consumable: h["consumable"] == "1", Created: fromMS(h["created"])}
}

// maxItems bounds how many items a station's list reads back.
const maxItems = 200

// Items returns every item of station st in the order they were added, with
// the loans of each.
func (s *Store) Items(ctx context.Context, st int64) ([]*Item, map[string][]Loan, error) {
	names, err := s.rdb.ZRangeByScore(ctx, s.k.items(st), &redis.ZRangeBy{Min: "-inf", Max: "+inf", Count: maxItems}).Result()
	if err != nil {
		return nil, nil, err
	}
	items := make([]*redis.MapStringStringCmd, len(names))
	loans := make([]*redis.MapStringStringCmd, len(names))
	_, err = s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, n := range names {
			items[i] = p.HGetAll(ctx, s.k.item(st, n))
			loans[i] = p.HGetAll(ctx, s.k.itemLoans(st, n))
		}
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	out := make([]*Item, 0, len(names))
	byItem := map[string][]Loan{}
	for i, n := range names {
		if h := items[i].Val(); len(h) > 0 {
			out = append(out, itemFromHash(h))
		}
		if l := loansFromHash(n, loans[i].Val()); len(l) > 0 {
			byItem[n] = l
		}
	}
	return out, byItem, nil
}

// loansFromHash decodes the loans of one item, oldest first.
func loansFromHash(item string, h map[string]string) []Loan {
	var out []Loan
	for user, v := range h {
		if l, ok := decodeLoan(item, user, v); ok {
			out = append(out, l)
		}
	}
	slices.SortFunc(out, func(a, b Loan) int {
		return cmp.Or(a.Since.Compare(b.Since), strings.Compare(a.User, b.User))
	})
	return out
}

func decodeLoan(item, user, v string) (Loan, bool) {
	var l Loan
	if json.Unmarshal([]byte(v), &l) != nil || l.Count <= 0 {
		return Loan{}, false
	}
	l.Item, l.User, l.Since = item, user, time.UnixMilli(l.SinceMS)
	return l, true
}

func encodeLoan(l Loan) string {
	l.SinceMS = ms(l.Since)
	b, _ := json.Marshal(l) // strings and ints: cannot fail
	return string(b)
}

// Loan returns what userKey has of item name, or ErrNotBorrowed.
func (s *Store) Loan(ctx context.Context, st int64, name, userKey string) (*Loan, error) {
	v, err := s.rdb.HGet(ctx, s.k.itemLoans(st, name), userKey).Result()
	if errors.Is(err, redis.Nil) {
		return nil, fmt.Errorf("%w: %s by %s", ErrNotBorrowed, name, userKey)
	}
	if err != nil {
		return nil, err
	}
	l, ok := decodeLoan(name, userKey, v)
	if !ok {
		return nil, fmt.Errorf("%w: %s by %s", ErrNotBorrowed, name, userKey)
	}
	return &l, nil
}

// Lend gives n of item name to user, borrowed in chat ("" for a private
// chat). A returnable item is recorded against them until returned; a
// consumable one is handed out and leaves the stock. The check and the
// change happen under the item's lease, so however many people borrow at
// once, across instances, no more are lent than the station has
// (ErrNoStock). The loan returned is nil for a consumable.
func (s *Store) Lend(ctx context.Context, st int64, name string, user bot.User, chat string, n int64, now time.Time) (*Item, *Loan, error) {
	if n < 1 {
		return nil, nil, fmt.Errorf("%w: lend %d", ErrNoStock, n)
	}
	var it *Item
	var loan *Loan
	err := s.withLease(ctx, s.itemLease(st, name), func() error {
		var err error
		if it, err = s.Item(ctx, st, name); err != nil {
			return err
		}
		if it.Available() < n {
			return fmt.Errorf("%w: %s: %d available, %d asked", ErrNoStock, name, it.Available(), n)
		}
		if it.Consumable {
			_, err = s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
				p.HIncrBy(ctx, s.k.item(st, name), "stock", -n)
				p.HIncrBy(ctx, s.k.item(st, name), "given", n)
				return nil
			})
			it.Stock, it.Given = it.Stock-n, it.Given+n
			return err
		}
		l, err := s.Loan(ctx, st, name, user.Key())
		switch {
		case errors.Is(err, ErrNotBorrowed):
			l = &Loan{Item: name, User: user.Key(), Since: now}
		case err != nil:
			return err
		}
		l.Name, l.Chat, l.Count = user.Name, chat, l.Count+n
		_, err = s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
			p.HIncrBy(ctx, s.k.item(st, name), "out", n)
			p.HSet(ctx, s.k.itemLoans(st, name), user.Key(), encodeLoan(*l))
			return nil
		})
		it.Out += n
		loan = l
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	return it, loan, nil
}

// ReturnItem records that userKey brought back n of item name and returns
// the item and what they still have (Count 0 when nothing). Returning more
// than they have, or an item they never borrowed, is ErrNotBorrowed and
// changes nothing; a consumable is ErrConsumable.
func (s *Store) ReturnItem(ctx context.Context, st int64, name, userKey string, n int64) (*Item, *Loan, error) {
	var it *Item
	var loan *Loan
	err := s.withLease(ctx, s.itemLease(st, name), func() error {
		var err error
		if it, err = s.Item(ctx, st, name); err != nil {
			return err
		}
		if it.Consumable {
			return fmt.Errorf("%w: %s", ErrConsumable, name)
		}
		if loan, err = s.Loan(ctx, st, name, userKey); err != nil {
			return err
		}
		if n < 1 || n > loan.Count {
			return fmt.Errorf("%w: %s: has %d, returns %d", ErrNotBorrowed, name, loan.Count, n)
		}
		loan.Count -= n
		_, err = s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
			p.HIncrBy(ctx, s.k.item(st, name), "out", -n)
			if loan.Count == 0 {
				p.HDel(ctx, s.k.itemLoans(st, name), userKey)
			} else {
				p.HSet(ctx, s.k.itemLoans(st, name), userKey, encodeLoan(*loan))
			}
			return nil
		})
		it.Out -= n
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	return it, loan, nil
}
