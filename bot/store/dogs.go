package store

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/huzhu-station/huzhu/bot/calendar"
	"github.com/redis/go-redis/v9"
)

// Sterilised records whether a dog is sterilised (绝育), as its owner said.
type Sterilised string

// What is known about a dog's sterilisation.
const (
	SterilisedUnknown Sterilised = ""
	SterilisedYes     Sterilised = "yes"
	SterilisedNo      Sterilised = "no"
)

// Dog is one dog in a station's registry (犬只登记).
type Dog struct {
	Station int64
	N       int64
	Name    string
	Breed   string
	// Room is the owner's household key, such as "3-2-301".
	Room string
	// Owner is the user key of the person reminded about the dog: the owner,
	// or the volunteer who registered it for an owner not in the chat.
	Owner     string
	OwnerName string
	// OwnerChat is the group the dog was registered in, where a reminder is
	// posted with a mention when the owner cannot be reached privately; ""
	// when it was registered in a private chat.
	OwnerChat string
	// LastShot is the day (midnight in Shanghai) of the last rabies shot,
	// zero when not known.
	LastShot   time.Time
	Sterilised Sterilised
	By         string // who registered it
	ByName     string
	Created    time.Time
}

// ShotDue returns the day the next rabies shot is due, one year after the
// last one, or the zero time when the last shot is not known.
func (d *Dog) ShotDue() time.Time {
	if d.LastShot.IsZero() {
		return time.Time{}
	}
	return d.LastShot.In(calendar.Shanghai).AddDate(1, 0, 0)
}

// ErrDogExists is returned when a dog of the same name is already
// registered for the same room.
var ErrDogExists = fmt.Errorf("%w: dog already registered", ErrConflict)

// ErrShotOlder is returned when a rabies shot is recorded with a day before
// the one already known.
var ErrShotOlder = fmt.Errorf("%w: an older shot than the one recorded", ErrConflict)

// maxDogs bounds how many dogs one station's lists read back.
const maxDogs = 2000

// dogIndexField names a dog in the station's index: the same name in the
// same room is the same dog.
func dogIndexField(room, name string) string {
	return room + "|" + strings.ToLower(name)
}

// RegisterDog adds d to station st's registry and returns it with its
// number. A dog of the same name in the same room is refused with
// ErrDogExists, returned together with the dog already registered.
func (s *Store) RegisterDog(ctx context.Context, st int64, d Dog, now time.Time) (*Dog, error) {
	var out *Dog
	err := s.withLease(ctx, s.k.lease(st, "dogs"), func() error {
		field := dogIndexField(d.Room, d.Name)
		v, err := s.rdb.HGet(ctx, s.k.dogIndex(st), field).Result()
		if err == nil {
			old, err := s.Dog(ctx, st, atoi(v))
			if err != nil {
				return err
			}
			out = old
			return fmt.Errorf("%w: #%d", ErrDogExists, old.N)
		}
		if !errors.Is(err, redis.Nil) {
			return err
		}
		n, err := s.rdb.Incr(ctx, s.k.dogSeq(st)).Result()
		if err != nil {
			return err
		}
		d.Station, d.N, d.Created = st, n, now
		_, err = s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
			p.HSet(ctx, s.k.dog(st, n), dogFields(&d)...)
			p.ZAdd(ctx, s.k.dogs(st), redis.Z{Score: float64(n), Member: n})
			if due := d.ShotDue(); !due.IsZero() {
				p.ZAdd(ctx, s.k.dogsDue(st), redis.Z{Score: float64(ms(due)), Member: n})
			}
			p.HSet(ctx, s.k.dogIndex(st), field, n)
			return nil
		})
		out = &d
		return err
	})
	return out, err
}

func dogFields(d *Dog) []any {
	return []any{
		"n", d.N, "name", d.Name, "breed", d.Breed, "room", d.Room, "owner", d.Owner,
		"owner_name", d.OwnerName, "owner_chat", d.OwnerChat, "last_shot", msOrZero(d.LastShot),
		"sterilised", string(d.Sterilised), "by", d.By, "by_name", d.ByName, "created", ms(d.Created),
	}
}

func dogFromHash(st int64, h map[string]string) *Dog {
	d := &Dog{Station: st, N: atoi(h["n"]), Name: h["name"], Breed: h["breed"], Room: h["room"],
		Owner: h["owner"], OwnerName: h["owner_name"], OwnerChat: h["owner_chat"],
		Sterilised: Sterilised(h["sterilised"]), By: h["by"], ByName: h["by_name"], Created: fromMS(h["created"])}
	if t := fromMS(h["last_shot"]); !t.IsZero() {
		d.LastShot = t.In(calendar.Shanghai)
	}
	return d
}

// Dog returns dog n of station st.
func (s *Store) Dog(ctx context.Context, st, n int64) (*Dog, error) {
	h, err := s.record(ctx, s.k.dog(st, n), fmt.Sprintf("dog %d", n))
	if err != nil {
		return nil, err
	}
	return dogFromHash(st, h), nil
}

// Dogs returns every dog of station st, by number.
func (s *Store) Dogs(ctx context.Context, st int64) ([]*Dog, error) {
	nums, err := s.rdb.ZRangeByScore(ctx, s.k.dogs(st), &redis.ZRangeBy{Min: "-inf", Max: "+inf", Count: maxDogs}).Result()
	if err != nil {
		return nil, err
	}
	return s.dogsByNumber(ctx, st, nums)
}

// DogsDueDays is how far ahead a list of dogs due for their shot looks
// (狗 到期, and the office's export).
const DogsDueDays = 30

// DogsDue returns the dogs of station st whose rabies shot is due on or
// before until, including those already overdue, soonest first.
func (s *Store) DogsDue(ctx context.Context, st int64, until time.Time) ([]*Dog, error) {
	nums, err := s.rdb.ZRangeByScore(ctx, s.k.dogsDue(st), &redis.ZRangeBy{
		Min: "-inf", Max: strconv.FormatInt(ms(until), 10), Count: maxDogs,
	}).Result()
	if err != nil {
		return nil, err
	}
	return s.dogsByNumber(ctx, st, nums)
}

// DogsNamed returns the dogs of station st called name (letter case
// ignored), by number.
func (s *Store) DogsNamed(ctx context.Context, st int64, name string) ([]*Dog, error) {
	all, err := s.Dogs(ctx, st)
	if err != nil {
		return nil, err
	}
	var out []*Dog
	for _, d := range all {
		if strings.EqualFold(d.Name, name) {
			out = append(out, d)
		}
	}
	return out, nil
}

// dogsByNumber reads several dogs in one round trip, in the order given.
func (s *Store) dogsByNumber(ctx context.Context, st int64, nums []string) ([]*Dog, error) {
	return records(ctx, s, nums, func(n string) string { return s.k.dog(st, atoi(n)) },
		func(_ string, h map[string]string) *Dog { return dogFromHash(st, h) })
}

// changeDog applies change to dog n under the dog's lease and writes the
// record and its place on the due list back in one transaction.
func (s *Store) changeDog(ctx context.Context, st, n int64, change func(d *Dog) error) (*Dog, error) {
	var out *Dog
	err := s.withLease(ctx, s.k.lease(st, "dog:"+strconv.FormatInt(n, 10)), func() error {
		d, err := s.Dog(ctx, st, n)
		if err != nil {
			return err
		}
		if err := change(d); err != nil {
			return err
		}
		_, err = s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
			p.HSet(ctx, s.k.dog(st, n), dogFields(d)...)
			if due := d.ShotDue(); !due.IsZero() {
				p.ZAdd(ctx, s.k.dogsDue(st), redis.Z{Score: float64(ms(due)), Member: n})
			}
			return nil
		})
		out = d
		return err
	})
	return out, err
}

// RecordShot records a rabies shot given to dog n on day shot; the next is
// due a year later. A day before the shot already recorded is refused with
// ErrShotOlder and changes nothing.
func (s *Store) RecordShot(ctx context.Context, st, n int64, shot time.Time) (*Dog, error) {
	return s.changeDog(ctx, st, n, func(d *Dog) error {
		if !d.LastShot.IsZero() && shot.Before(d.LastShot) {
			return fmt.Errorf("%w: dog %d", ErrShotOlder, n)
		}
		d.LastShot = shot.In(calendar.Shanghai)
		return nil
	})
}

// SetSterilised records whether dog n is sterilised.
func (s *Store) SetSterilised(ctx context.Context, st, n int64, v Sterilised) (*Dog, error) {
	return s.changeDog(ctx, st, n, func(d *Dog) error {
		d.Sterilised = v
		return nil
	})
}

// RemoveDog takes dog n off the registry (it died or moved away).
func (s *Store) RemoveDog(ctx context.Context, st, n int64) error {
	return s.withLease(ctx, s.k.lease(st, "dogs"), func() error {
		d, err := s.Dog(ctx, st, n)
		if err != nil {
			return err
		}
		_, err = s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
			p.Del(ctx, s.k.dog(st, n))
			p.ZRem(ctx, s.k.dogs(st), n)
			p.ZRem(ctx, s.k.dogsDue(st), n)
			p.HDel(ctx, s.k.dogIndex(st), dogIndexField(d.Room, d.Name))
			return nil
		})
		return err
	})
}

// SterilisationNudge returns the cron spec of station st's yearly nudge to
// owners of unsterilised dogs, "" when the station has it off.
func (s *Store) SterilisationNudge(ctx context.Context, st int64) (string, error) {
	v, err := s.rdb.HGet(ctx, s.k.dogSettings(st), "nudge").Result()
	if errors.Is(err, redis.Nil) {
		return "", nil
	}
	return v, err
}

// SetSterilisationNudge turns station st's yearly sterilisation nudge on
// with the cron spec it fires on, or off with "".
func (s *Store) SetSterilisationNudge(ctx context.Context, st int64, spec string) error {
	return s.rdb.HSet(ctx, s.k.dogSettings(st), "nudge", spec).Err()
}
