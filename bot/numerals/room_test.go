package numerals_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/huzhu-station/huzhu/bot"
	"github.com/huzhu-station/huzhu/bot/numerals"
)

func TestParseRoom(t *testing.T) {
	r3_2_301 := numerals.Room{Building: "3", Unit: "2", Number: "301"}
	r3_301 := numerals.Room{Building: "3", Number: "301"}
	tests := []struct {
		in   string
		want numerals.Room // zero means ErrRoomMalformed
	}{
		{"3幢2单元301", r3_2_301},
		{"3幢2单元301室", r3_2_301},
		{"3栋2单元301", r3_2_301},
		{"3号楼2单元301", r3_2_301},
		{"3号2单元301", r3_2_301},
		{"3#楼2单元301", r3_2_301},
		{"3#2单元301", r3_2_301},
		{"3-2-301", r3_2_301},
		{"3-2-301室", r3_2_301},
		{"3—2—301", r3_2_301},
		{"３－２－３０１", r3_2_301},
		{"03-02-0301", r3_2_301},
		{"三幢二单元301", r3_2_301},
		{"叁幢贰单元301", r3_2_301},
		{"3幢 2单元 301", r3_2_301},
		{"3幢　2单元　301室", r3_2_301},
		{" 3幢2单元301 ", r3_2_301},
		{"3-301", r3_301},
		{"3栋301", r3_301},
		{"3幢301", r3_301},
		{"3号楼301室", r3_301},
		{"3座301", r3_301},
		{"3幢 301", r3_301},
		{"86幢2单元301", numerals.Room{Building: "86", Unit: "2", Number: "301"}},
		{"十二幢3单元1502", numerals.Room{Building: "12", Unit: "3", Number: "1502"}},
		{"A座301", numerals.Room{Building: "A", Number: "301"}},
		{"a座2单元301", numerals.Room{Building: "A", Unit: "2", Number: "301"}},
		{"A-2-301", numerals.Room{Building: "A", Unit: "2", Number: "301"}},
		{"3-2-3", numerals.Room{Building: "3", Unit: "2", Number: "3"}},
		{"3-2-12345", numerals.Room{Building: "3", Unit: "2", Number: "12345"}},

		{"", numerals.Room{}},
		{"301", numerals.Room{}},
		{"3幢", numerals.Room{}},
		{"3幢2单元", numerals.Room{}},
		{"3楼301", numerals.Room{}},
		{"3-2-", numerals.Room{}},
		{"3--301", numerals.Room{}},
		{"-2-301", numerals.Room{}},
		{"3-2-301-5", numerals.Room{}},
		{"3-2-301B", numerals.Room{}},
		{"3-2-123456", numerals.Room{}},
		{"12345-2-301", numerals.Room{}},
		{"3-1234-301", numerals.Room{}},
		{"0-2-301", numerals.Room{}},
		{"3-0-301", numerals.Room{}},
		{"3-2-0", numerals.Room{}},
		{"AB座301", numerals.Room{}},
		{"三-2-301", numerals.Room{}},
		{"3幢三零一", r3_301},
		{"3幢三〇一", r3_301},
		{"3幢三百零一", r3_301},
		{"3幢三零一室", r3_301},
		{"八十六幢二单元三零一", numerals.Room{Building: "86", Unit: "2", Number: "301"}},
		{"86幢2单元301室", numerals.Room{Building: "86", Unit: "2", Number: "301"}},
		{"八十六幢二单元三零一室", numerals.Room{Building: "86", Unit: "2", Number: "301"}},
		{"5幢1单元幺零二", numerals.Room{Building: "5", Unit: "1", Number: "102"}},
		{"3号楼301", r3_301},
		{"3栋2单元301室", r3_2_301},
		{"3幢301一", numerals.Room{}},
		{"3幢三零一2", numerals.Room{}},
		{"3幢三零一零一零一", numerals.Room{}},
		{"一二幢301", numerals.Room{}},
		{"3幢2单元301 张阿姨", numerals.Room{}},
		{"3 幢2单元301", numerals.Room{}},
		{"3幢2单元301\n", r3_2_301},
		{"3幢\n2单元301", numerals.Room{}},
		{"3 - 2 - 301", numerals.Room{}},
		{strings.Repeat("3", 100), numerals.Room{}},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := numerals.ParseRoom(tt.in)
			if tt.want == (numerals.Room{}) {
				if !errors.Is(err, numerals.ErrRoomMalformed) {
					t.Fatalf("ParseRoom(%q) = %#v, %v; want ErrRoomMalformed", tt.in, got, err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("ParseRoom(%q) = %#v, %v; want %#v", tt.in, got, err, tt.want)
			}
		})
	}
}

func TestRoomStringKey(t *testing.T) {
	tests := []struct {
		room     numerals.Room
		str, key string
	}{
		{numerals.Room{Building: "3", Unit: "2", Number: "301"}, "3幢2单元301", "3-2-301"},
		{numerals.Room{Building: "3", Number: "301"}, "3幢301", "3-301"},
		{numerals.Room{Building: "86", Unit: "2", Number: "301"}, "86幢2单元301", "86-2-301"},
		{numerals.Room{Building: "A", Unit: "1", Number: "1"}, "A幢1单元1", "A-1-1"},
	}
	for _, tt := range tests {
		t.Run(tt.key, func(t *testing.T) {
			if got := tt.room.String(); got != tt.str {
				t.Errorf("String() = %q, want %q", got, tt.str)
			}
			if got := tt.room.Key(); got != tt.key {
				t.Errorf("Key() = %q, want %q", got, tt.key)
			}
			for _, s := range []string{tt.str, tt.key} {
				if got, err := numerals.ParseRoom(s); err != nil || got != tt.room {
					t.Errorf("ParseRoom(%q) = %#v, %v; want %#v", s, got, err, tt.room)
				}
			}
		})
	}
}

func TestCutRoom(t *testing.T) {
	r3_2_301 := numerals.Room{Building: "3", Unit: "2", Number: "301"}
	tests := []struct {
		in       string
		want     numerals.Room // zero means ErrRoomMalformed
		wantRest string
	}{
		{"3-2-301 张阿姨", r3_2_301, "张阿姨"},
		{"3幢 2单元 301 张阿姨", r3_2_301, "张阿姨"},
		{"3幢2单元301室 张阿姨", r3_2_301, "张阿姨"},
		{"3幢2单元301张阿姨", r3_2_301, "张阿姨"},
		{"3-2-301，张阿姨", r3_2_301, "张阿姨"},
		{"3-2-301、张阿姨", r3_2_301, "张阿姨"},
		{"3-2-301：张阿姨", r3_2_301, "张阿姨"},
		{"3-2-301\n张阿姨", r3_2_301, "张阿姨"},
		{"3-2-301", r3_2_301, ""},
		{"  3-2-301  ", r3_2_301, ""},
		{"3幢301 300元", numerals.Room{Building: "3", Number: "301"}, "300元"},
		{"3-2-301 ３００元 张　阿姨", r3_2_301, "300元 张 阿姨"},
		{"3幢 301 2单元", numerals.Room{Building: "3", Number: "301"}, "2单元"},
		{"3-2-301 " + strings.Repeat("很长的留言", 1000), r3_2_301, strings.Repeat("很长的留言", 1000)},

		{"", numerals.Room{}, ""},
		{"张阿姨 3-2-301", numerals.Room{}, ""},
		{"3幢 张阿姨", numerals.Room{}, ""},
		{"3幢 2单元 张阿姨", numerals.Room{}, ""},
		{"3-2-3015678 张阿姨", numerals.Room{}, ""},
		{"3-2-301-5 张阿姨", numerals.Room{}, ""},
		{"3-2-301.5", numerals.Room{}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, rest, err := numerals.CutRoom(tt.in)
			if tt.want == (numerals.Room{}) {
				if !errors.Is(err, numerals.ErrRoomMalformed) {
					t.Fatalf("CutRoom(%q) = %#v, %q, %v; want ErrRoomMalformed", tt.in, got, rest, err)
				}
				return
			}
			if err != nil || got != tt.want || rest != tt.wantRest {
				t.Fatalf("CutRoom(%q) = %#v, %q, %v; want %#v, %q", tt.in, got, rest, err, tt.want, tt.wantRest)
			}
		})
	}
}

func TestParseBuilding(t *testing.T) {
	tests := []struct {
		in, want string // want "" means ErrBuildingMalformed
	}{
		{"3幢", "3"},
		{"3栋", "3"},
		{"3号楼", "3"},
		{"3号", "3"},
		{"3#楼", "3"},
		{"3#", "3"},
		{"3座", "3"},
		{"3", "3"},
		{"03", "3"},
		{"86幢", "86"},
		{"三幢", "3"},
		{"十二栋", "12"},
		{"三", "3"},
		{"A座", "A"},
		{"a栋", "A"},
		{"A", "A"},
		{"Ａ座", "A"},
		{" 3幢 ", "3"},

		{"", ""},
		{"幢", ""},
		{"0", ""},
		{"3楼", ""},
		{"3幢幢", ""},
		{"AB座", ""},
		{"12345幢", ""},
		{"一万幢", ""},
		{"3幢2单元", ""},
		{"3 幢", ""},
		{"3-2", ""},
		{"一二幢", ""},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := numerals.ParseBuilding(tt.in)
			if tt.want == "" {
				if !errors.Is(err, numerals.ErrBuildingMalformed) {
					t.Fatalf("ParseBuilding(%q) = %q, %v; want ErrBuildingMalformed", tt.in, got, err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("ParseBuilding(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
			}
		})
	}
}

var roomSeeds = []string{
	"八十六幢二单元三零一", "3幢三〇一室", "5幢1单元幺零二 张阿姨", "3幢三百零一", "3栋2单元301室",
	"3幢2单元301", "3幢2单元301室", "3号楼2单元301", "3-2-301", "3-301", "三幢二单元301",
	"3幢 2单元 301", "86幢2单元301", "A座301", "a-2-301", "3-2-301 张阿姨", "3幢 2单元 301 张阿姨",
	"3-2-301-5", "十二幢3单元1502", "3#楼301", "0-2-301", "3幢 301 2单元",
}

// checkRoom holds the invariants of every room a parser returns.
func checkRoom(t *testing.T, in string, r numerals.Room) {
	t.Helper()
	if !validBuilding(r.Building) || (r.Unit != "" && !canonicalNumber(r.Unit, 3)) || !canonicalNumber(r.Number, 5) {
		t.Fatalf("%q gave non-canonical room %#v", in, r)
	}
	for _, s := range []string{r.String(), r.Key()} {
		if got, err := numerals.ParseRoom(s); err != nil || got != r {
			t.Fatalf("%q gave %#v, but ParseRoom(%q) = %#v, %v", in, r, s, got, err)
		}
	}
	if b, err := numerals.ParseBuilding(r.Building + "幢"); err != nil || b != r.Building {
		t.Fatalf("%q gave building %q, but ParseBuilding = %q, %v", in, r.Building, b, err)
	}
}

func validBuilding(s string) bool {
	return len(s) == 1 && s[0] >= 'A' && s[0] <= 'Z' || canonicalNumber(s, 4)
}

func canonicalNumber(s string, maxDigits int) bool {
	if s == "" || len(s) > maxDigits || s[0] == '0' {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func FuzzParseRoom(f *testing.F) {
	for _, s := range roomSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := numerals.ParseRoom(s)
		if err != nil {
			if !errors.Is(err, numerals.ErrRoomMalformed) {
				t.Fatalf("ParseRoom(%q): unexpected error %v", s, err)
			}
			return
		}
		checkRoom(t, s, r)
		if got, rest, err := numerals.CutRoom(s); err != nil || got != r || rest != "" {
			t.Fatalf("ParseRoom(%q) = %#v, but CutRoom = %#v, %q, %v", s, r, got, rest, err)
		}
	})
}

func FuzzCutRoom(f *testing.F) {
	for _, s := range roomSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, rest, err := numerals.CutRoom(s)
		if err != nil {
			if !errors.Is(err, numerals.ErrRoomMalformed) {
				t.Fatalf("CutRoom(%q): unexpected error %v", s, err)
			}
			return
		}
		checkRoom(t, s, r)
		if rest != strings.TrimSpace(rest) || rest != bot.Normalize(rest) {
			t.Fatalf("CutRoom(%q) rest %q is not trimmed and normalized", s, rest)
		}
		// Cutting the room off its key form must leave the same rest.
		if rest != "" {
			if got, again, err := numerals.CutRoom(r.Key() + " " + rest); err != nil || got != r || again != rest {
				t.Fatalf("CutRoom(%q) = %#v, %q, but CutRoom(key+rest) = %#v, %q, %v", s, r, rest, got, again, err)
			}
		}
	})
}

func FuzzParseBuilding(f *testing.F) {
	for _, s := range []string{"3幢", "3栋", "3号楼", "3", "三幢", "A座", "a", "3楼", "12345幢", "3#"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		b, err := numerals.ParseBuilding(s)
		if err != nil {
			if !errors.Is(err, numerals.ErrBuildingMalformed) {
				t.Fatalf("ParseBuilding(%q): unexpected error %v", s, err)
			}
			return
		}
		if !validBuilding(b) {
			t.Fatalf("ParseBuilding(%q) = %q, not canonical", s, b)
		}
		for _, form := range []string{b, b + "幢"} {
			if again, err := numerals.ParseBuilding(form); err != nil || again != b {
				t.Fatalf("ParseBuilding(%q) = %q, but ParseBuilding(%q) = %q, %v", s, b, form, again, err)
			}
		}
	})
}
