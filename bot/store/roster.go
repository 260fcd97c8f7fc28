package store

import (
	"context"
	"fmt"

	"github.com/huzhu-station/huzhu/bot/numerals"
	"github.com/redis/go-redis/v9"
)

// RosterEntry is one household of an imported roster (住户名册).
type RosterEntry struct {
	Room numerals.Room
	// Name is how the household is known (户主, a family name); it may be
	// empty. It is shown only in lists sent privately.
	Name string
}

// RosterImport says what ImportRoster did.
type RosterImport struct {
	Added int // households new to the station
	Known int // households the station already had
}

// rosterChunk bounds the fields one HSET carries, so a large compound's
// roster does not become one enormous command.
const rosterChunk = 200

// ImportRoster adds entries to station st's households and locks the roster:
// from then on rooms outside it are refused (by /bind, /pledge and the rest).
// Households already known are kept, so people bound before the import stay
// bound; names in entries replace earlier ones. Everything is written in one
// transaction: an import is whole or not at all.
func (s *Store) ImportRoster(ctx context.Context, st int64, entries []RosterEntry) (RosterImport, error) {
	var res RosterImport
	err := s.withLease(ctx, s.k.lease(st, "roster"), func() error {
		if _, err := s.Station(ctx, st); err != nil {
			return err
		}
		known, err := s.rdb.HGetAll(ctx, s.k.households(st)).Result()
		if err != nil {
			return err
		}
		seen := map[string]bool{}
		var rooms, names []any
		for _, e := range entries {
			key := e.Room.Key()
			if seen[key] {
				continue
			}
			seen[key] = true
			if _, ok := known[key]; ok {
				res.Known++
			} else {
				res.Added++
			}
			rooms = append(rooms, key, e.Room.String())
			if e.Name != "" {
				names = append(names, key, e.Name)
			}
		}
		_, err = s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
			for i := 0; i < len(rooms); i += 2 * rosterChunk {
				p.HSet(ctx, s.k.households(st), rooms[i:min(i+2*rosterChunk, len(rooms))]...)
			}
			for i := 0; i < len(names); i += 2 * rosterChunk {
				p.HSet(ctx, s.k.householdNames(st), names[i:min(i+2*rosterChunk, len(names))]...)
			}
			p.HSet(ctx, s.k.stationInfo(st), "roster_locked", 1)
			return nil
		})
		return err
	})
	return res, err
}

// HouseholdNames returns the names the roster gives households, by room key.
func (s *Store) HouseholdNames(ctx context.Context, st int64) (map[string]string, error) {
	return s.rdb.HGetAll(ctx, s.k.householdNames(st)).Result()
}

// roomCheck is the pipelined read that decides whether a room may be used in
// station st: queue it, run the pipeline, then call allowed.
type roomCheck struct {
	locked *redis.StringCmd
	exists *redis.BoolCmd
	room   numerals.Room
}

func (s *Store) queueRoomCheck(ctx context.Context, p redis.Pipeliner, st int64, room numerals.Room) roomCheck {
	return roomCheck{
		locked: p.HGet(ctx, s.k.stationInfo(st), "roster_locked"),
		exists: p.HExists(ctx, s.k.households(st), room.Key()),
		room:   room,
	}
}

// allowed returns ErrRoomUnknown for a room outside a locked roster, and
// reports whether the household is new to the station (to be added).
func (c roomCheck) allowed() (isNew bool, err error) {
	if c.exists.Val() {
		return false, nil
	}
	if c.locked.Val() == "1" {
		return false, fmt.Errorf("%w: %s", ErrRoomUnknown, c.room)
	}
	return true, nil
}
