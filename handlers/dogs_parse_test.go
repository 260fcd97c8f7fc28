package handlers

import (
	"context"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/huzhu-station/huzhu/bot/calendar"
	"github.com/huzhu-station/huzhu/bot/i18n"
	"github.com/huzhu-station/huzhu/bot/numerals"
	"github.com/huzhu-station/huzhu/bot/store"
)

var dogNow = time.Date(2026, 11, 25, 9, 0, 0, 0, calendar.Shanghai)

func TestParseDogForm(t *testing.T) {
	shot := func(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, calendar.Shanghai) }
	tests := []struct {
		in   string
		want dogForm // zero Name: refused, with why
		why  string
	}{
		{"旺财 泰迪 3幢2单元301 疫苗 2025-12-10 绝育 否",
			dogForm{Name: "旺财", Breed: "泰迪", Room: numerals.Room{Building: "3", Unit: "2", Number: "301"}, Shot: shot(2025, 12, 10), Sterilised: store.SterilisedNo}, ""},
		{"豆豆 柯基 5-1-502 疫苗:2025年12月10日,已绝育",
			dogForm{Name: "豆豆", Breed: "柯基", Room: numerals.Room{Building: "5", Unit: "1", Number: "502"}, Shot: shot(2025, 12, 10), Sterilised: store.SterilisedYes}, ""},
		{"豆豆　柯基　５－１－５０２　未绝育　疫苗　昨天",
			dogForm{Name: "豆豆", Breed: "柯基", Room: numerals.Room{Building: "5", Unit: "1", Number: "502"}, Shot: shot(2026, 11, 24), Sterilised: store.SterilisedNo}, ""},
		{"小白 8幢101", dogForm{Name: "小白", Room: numerals.Room{Building: "8", Number: "101"}}, ""},
		{"小白 8幢 1单元 101 绝育:是", dogForm{Name: "小白", Room: numerals.Room{Building: "8", Unit: "1", Number: "101"}, Sterilised: store.SterilisedYes}, ""},
		{"Lucky poodle 3-2-301 shot 2026-01-05 sterilised yes",
			dogForm{Name: "Lucky", Breed: "poodle", Room: numerals.Room{Building: "3", Unit: "2", Number: "301"}, Shot: shot(2026, 1, 5), Sterilised: store.SterilisedYes}, ""},
		{"旺财 泰迪 3-2-301 疫苗 今天", dogForm{Name: "旺财", Breed: "泰迪", Room: numerals.Room{Building: "3", Unit: "2", Number: "301"}, Shot: shot(2026, 11, 25)}, ""},
		{"", dogForm{}, "dog_needs_fields"},
		{"旺财", dogForm{Name: "旺财"}, ""},
		{"旺财 泰迪", dogForm{Name: "旺财", Breed: "泰迪"}, ""},
		// Without a room: the owner's own household is used (addDog).
		{"旺财 柯基 疫苗 2025-12-10", dogForm{Name: "旺财", Breed: "柯基", Shot: shot(2025, 12, 10)}, ""},
		{"旺财 柯基 已绝育 疫苗 2025-12-10", dogForm{Name: "旺财", Breed: "柯基", Shot: shot(2025, 12, 10), Sterilised: store.SterilisedYes}, ""},
		{"旺财 疫苗 2025-12-10", dogForm{Name: "旺财", Shot: shot(2025, 12, 10)}, ""},
		{"旺财 柯基 八十六幢二单元三零一室", dogForm{Name: "旺财", Breed: "柯基", Room: numerals.Room{Building: "86", Unit: "2", Number: "301"}}, ""},
		{"旺财 柯基 3号楼2单元301 绝育 是", dogForm{Name: "旺财", Breed: "柯基", Room: numerals.Room{Building: "3", Unit: "2", Number: "301"}, Sterilised: store.SterilisedYes}, ""},
		{"旺财 泰迪 三楼", dogForm{}, "bad_room"},
		{"旺财 泰迪 3幢二单元 疫苗 2025-12-10", dogForm{}, "bad_room"},
		{"旺财 泰迪 3-2-301 疫苗 2026-11-26", dogForm{}, "dog_shot_future"},
		{"旺财 泰迪 3-2-301 疫苗 12月20日", dogForm{}, "dog_shot_future"},
		{"旺财 泰迪 3-2-301 疫苗 明天", dogForm{}, "dog_shot_future"},
		{"旺财 泰迪 3-2-301 疫苗 1999-01-01", dogForm{}, "dog_shot_too_old"},
		{"旺财 泰迪 3-2-301 疫苗 2025-02-30", dogForm{}, "time_bad"},
		{"旺财 泰迪 3-2-301 疫苗", dogForm{}, "time_missing"},
		{"旺财 泰迪 3-2-301 绝育 也许", dogForm{}, "dog_sterilised_word"},
		{"旺财 泰迪 3-2-301 很乖", dogForm{}, "dog_unknown_words"},
		{"一二三四五六七八九十一 泰迪 3-2-301", dogForm{}, "dog_name_too_long"},
	}
	for _, tt := range tests {
		got, err := parseDogForm(context.Background(), tt.in, dogNow)
		if tt.why != "" {
			re, ok := err.(*replyError)
			if !ok || re.key != tt.why || re.usage != "usage_dog_add" {
				t.Errorf("parseDogForm(%q): err = %v; want %s with the right form", tt.in, err, tt.why)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("parseDogForm(%q) = %+v, %v; want %+v", tt.in, got, err, tt.want)
		}
	}
}

func FuzzParseDogForm(f *testing.F) {
	for _, s := range []string{"旺财 泰迪 3幢2单元301 疫苗 2025-12-10 绝育 否", "小白 8幢101", "豆豆 柯基 5-1-502 疫苗:2025年12月10日,已绝育",
		"a b c", "旺财 泰迪 3-2-301 疫苗 明天", "旺财 柯基 疫苗 2025-12-10", "旺财 已绝育", "旺财 柯基 三幢三零一", "x 3-2-301 绝育 是 疫苗 上周三", "旺财 泰迪 3幢 2单元 301 未绝育"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := parseDogForm(context.Background(), s, dogNow)
		if err != nil {
			if _, ok := err.(*replyError); !ok {
				t.Fatalf("parseDogForm(%q): %v is not a reply", s, err)
			}
			return
		}
		if got.Name == "" || utf8.RuneCountInString(got.Name) > maxDogNameRunes || utf8.RuneCountInString(got.Breed) > maxDogNameRunes {
			t.Fatalf("parseDogForm(%q) = %+v: bad name or breed", s, got)
		}
		if got.Room == (numerals.Room{}) {
			return // no room: addDog uses the owner's household
		}
		if _, err := numerals.ParseRoom(got.Room.Key()); err != nil {
			t.Fatalf("parseDogForm(%q) room %+v does not read back: %v", s, got.Room, err)
		}
		if got.Shot.After(dogNow) {
			t.Fatalf("parseDogForm(%q) took a shot in the future: %v", s, got.Shot)
		}
	})
}

// TestDogCatalogueKeys checks the keys the dog handlers build from values,
// which the source scan in TestCatalogueKeysExist cannot see.
func TestDogCatalogueKeys(t *testing.T) {
	var keys []string
	for _, v := range []store.Sterilised{store.SterilisedYes, store.SterilisedNo, store.SterilisedUnknown} {
		keys = append(keys, sterilisedKey(v))
	}
	for _, b := range builtinItems {
		keys = append(keys, b.nameKey, b.unitKey)
	}
	for _, r := range []store.Role{roleDogOwner, rolePatrol} {
		keys = append(keys, "role_"+string(r))
	}
	for _, l := range i18n.Locales {
		for _, k := range keys {
			if !i18n.Has(l, k) {
				t.Errorf("%s: key %q is missing", l, k)
			}
		}
	}
}
