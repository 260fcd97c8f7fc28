package store

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/huzhu-station/huzhu/bot"
)

// Station is one residents' mutual-aid station (互助站).
type Station struct {
	ID       int64
	Name     string
	Code     string // shared with the head, to link more groups
	Head     string // user key of the station head
	HeadName string
	Created  time.Time
	Locale   string // reply language for the whole station, "" for the default
	// Offices are the chat keys of the community (社区) and subdistrict (街道)
	// office groups that receive escalations, by OfficeLevel.
	Offices map[OfficeLevel]string
	// RosterLocked is set once a roster is imported: rooms outside it are
	// refused.
	RosterLocked bool
	// StaffOverdueDays and HeadOverdueDays say when an untouched problem
	// reminds duty staff and the head.
	StaffOverdueDays int
	HeadOverdueDays  int
}

// OfficeLevel is a level of government office that takes escalated problems.
type OfficeLevel string

// Office levels, as residents name them.
const (
	Community   OfficeLevel = "community"   // 社区
	Subdistrict OfficeLevel = "subdistrict" // 街道
)

// Default overdue thresholds, in days, for a new station.
const (
	DefaultStaffOverdueDays = 3
	DefaultHeadOverdueDays  = 7
)

// ChatRecord is what the store knows about a chat.
type ChatRecord struct {
	Key     string
	Station int64 // 0 when the chat is not a station group
	// Office is set on an office group that takes escalations.
	Office OfficeLevel
	Title  string
	Locale string
}

// ErrChatTaken is returned when a group already belongs to a station.
var ErrChatTaken = fmt.Errorf("%w: this chat already belongs to a station", ErrConflict)

// CreateStation creates a station named name, binds chat to it, and makes
// head its station head.
func (s *Store) CreateStation(ctx context.Context, name string, chat bot.Chat, head bot.User, now time.Time) (*Station, error) {
	var st *Station
	err := s.withLease(ctx, s.k.chatLease(chat.Key()), func() error {
		rec, err := s.Chat(ctx, chat.Key())
		if err != nil {
			return err
		}
		if rec.Station != 0 || rec.Office != "" {
			return fmt.Errorf("%w (station %d)", ErrChatTaken, rec.Station)
		}
		id, err := s.rdb.Incr(ctx, s.k.stationSeq()).Result()
		if err != nil {
			return err
		}
		code, err := s.claimCode(ctx, id)
		if err != nil {
			return err
		}
		st = &Station{ID: id, Name: name, Code: code, Head: head.Key(), HeadName: head.Name, Created: now,
			StaffOverdueDays: DefaultStaffOverdueDays, HeadOverdueDays: DefaultHeadOverdueDays}
		_, err = s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
			p.HSet(ctx, s.k.stationInfo(id), "id", id, "name", name, "code", code, "head", head.Key(),
				"head_name", head.Name, "created", ms(now),
				"staff_overdue_days", st.StaffOverdueDays, "head_overdue_days", st.HeadOverdueDays)
			p.SAdd(ctx, s.k.stationChats(id), chat.Key())
			p.HSet(ctx, s.k.member(id, head.Key()), "name", head.Name, "roles", string(RoleHead), "joined", ms(now))
			p.SAdd(ctx, s.k.members(id), head.Key())
			return nil
		})
		if err != nil {
			return err
		}
		// Global keys live in other slots, so they are written outside the
		// station's transaction; the station exists before anything points
		// at it.
		_, err = s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
			p.SAdd(ctx, s.k.stationIDs(), id)
			p.HSet(ctx, s.k.chat(chat.Key()), "station", id, "title", chat.Title)
			p.HSet(ctx, s.k.user(head.Key()), "station", id)
			return nil
		})
		return err
	})
	return st, err
}

// codeAlphabet leaves out letters and digits that look alike on a phone
// (0/O, 1/I/L).
const codeAlphabet = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"

func (s *Store) claimCode(ctx context.Context, id int64) (string, error) {
	for range 20 {
		b := make([]byte, 6)
		if _, err := io.ReadFull(s.random, b); err != nil {
			return "", err
		}
		for i := range b {
			b[i] = codeAlphabet[int(b[i])%len(codeAlphabet)]
		}
		code := string(b)
		ok, err := s.rdb.SetNX(ctx, s.k.stationCode(code), id, 0).Result()
		if err != nil {
			return "", err
		}
		if ok {
			return code, nil
		}
	}
	return "", fmt.Errorf("%w: no free station code", ErrConflict)
}

// Station returns station id.
func (s *Store) Station(ctx context.Context, id int64) (*Station, error) {
	h, err := s.record(ctx, s.k.stationInfo(id), fmt.Sprintf("station %d", id))
	if err != nil {
		return nil, err
	}
	return stationFromHash(id, h), nil
}

func stationFromHash(id int64, h map[string]string) *Station {
	st := &Station{
		ID: id, Name: h["name"], Code: h["code"], Head: h["head"], HeadName: h["head_name"],
		Created: fromMS(h["created"]), Locale: h["locale"], RosterLocked: h["roster_locked"] == "1",
		StaffOverdueDays: int(atoi(h["staff_overdue_days"])), HeadOverdueDays: int(atoi(h["head_overdue_days"])),
		Offices: map[OfficeLevel]string{},
	}
	for _, l := range []OfficeLevel{Community, Subdistrict} {
		if c := h["office_"+string(l)]; c != "" {
			st.Offices[l] = c
		}
	}
	return st
}

// StationIDs returns every station's id, in ascending order.
func (s *Store) StationIDs(ctx context.Context) ([]int64, error) {
	ids, err := s.rdb.SMembers(ctx, s.k.stationIDs()).Result()
	if err != nil {
		return nil, err
	}
	out := make([]int64, 0, len(ids))
	for _, v := range ids {
		out = append(out, atoi(v))
	}
	slices.Sort(out)
	return out, nil
}

// StationByCode returns the station a link code belongs to.
func (s *Store) StationByCode(ctx context.Context, code string) (*Station, error) {
	v, err := s.rdb.Get(ctx, s.k.stationCode(strings.ToUpper(code))).Result()
	if err != nil {
		return nil, notFound(err, "station code "+code)
	}
	return s.Station(ctx, atoi(v))
}

// Chat returns what is known about a chat; an unknown chat is an empty
// record, not an error.
func (s *Store) Chat(ctx context.Context, chatKey string) (*ChatRecord, error) {
	h, err := s.rdb.HGetAll(ctx, s.k.chat(chatKey)).Result()
	if err != nil {
		return nil, err
	}
	return &ChatRecord{Key: chatKey, Station: atoi(h["station"]), Office: OfficeLevel(h["office"]),
		Title: h["title"], Locale: h["locale"]}, nil
}

// StationChats returns the chat keys of the station's own groups.
func (s *Store) StationChats(ctx context.Context, st int64) ([]string, error) {
	chats, err := s.rdb.SMembers(ctx, s.k.stationChats(st)).Result()
	if err != nil {
		return nil, err
	}
	slices.Sort(chats)
	return chats, nil
}

// LinkChat binds another group of the compound to station st.
func (s *Store) LinkChat(ctx context.Context, st int64, chat bot.Chat) error {
	return s.withLease(ctx, s.k.chatLease(chat.Key()), func() error {
		rec, err := s.Chat(ctx, chat.Key())
		if err != nil {
			return err
		}
		if rec.Station == st {
			return nil
		}
		if rec.Station != 0 || rec.Office != "" {
			return fmt.Errorf("%w (station %d)", ErrChatTaken, rec.Station)
		}
		if err := s.rdb.SAdd(ctx, s.k.stationChats(st), chat.Key()).Err(); err != nil {
			return err
		}
		return s.rdb.HSet(ctx, s.k.chat(chat.Key()), "station", st, "title", chat.Title).Err()
	})
}

// LinkOffice marks chat as the office group of level that receives station
// st's escalations. One office group may serve many stations, but a
// station's own group cannot be an office. The station gets its prefix
// there (StationPrefix).
func (s *Store) LinkOffice(ctx context.Context, st int64, chat bot.Chat, level OfficeLevel) error {
	return s.withLease(ctx, s.k.chatLease(chat.Key()), func() error {
		rec, err := s.Chat(ctx, chat.Key())
		if err != nil {
			return err
		}
		if rec.Station != 0 {
			return fmt.Errorf("%w (station %d)", ErrChatTaken, rec.Station)
		}
		if _, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
			p.HSet(ctx, s.k.chat(chat.Key()), "office", string(level), "title", chat.Title)
			p.SAdd(ctx, s.k.officeStations(chat.Key()), st)
			return nil
		}); err != nil {
			return err
		}
		if err := s.rdb.HSet(ctx, s.k.stationInfo(st), "office_"+string(level), chat.Key()).Err(); err != nil {
			return err
		}
		return s.assignPrefixes(ctx, chat.Key())
	})
}

// OfficeStations returns the stations an office group serves.
func (s *Store) OfficeStations(ctx context.Context, chatKey string) ([]int64, error) {
	v, err := s.rdb.SMembers(ctx, s.k.officeStations(chatKey)).Result()
	if err != nil {
		return nil, err
	}
	out := make([]int64, 0, len(v))
	for _, x := range v {
		out = append(out, atoi(x))
	}
	slices.Sort(out)
	return out, nil
}

// SetChatLocale sets the reply language of one chat ("" clears it).
func (s *Store) SetChatLocale(ctx context.Context, chatKey, locale string) error {
	return s.rdb.HSet(ctx, s.k.chat(chatKey), "locale", locale).Err()
}

// SetStationLocale sets the reply language of a whole station.
func (s *Store) SetStationLocale(ctx context.Context, st int64, locale string) error {
	return s.rdb.HSet(ctx, s.k.stationInfo(st), "locale", locale).Err()
}

// SetOverdueDays sets when untouched problems remind duty staff and the head.
func (s *Store) SetOverdueDays(ctx context.Context, st int64, staff, head int) error {
	return s.rdb.HSet(ctx, s.k.stationInfo(st), "staff_overdue_days", staff, "head_overdue_days", head).Err()
}
