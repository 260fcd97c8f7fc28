package main

import (
	"strings"
	"testing"

	"github.com/huzhu-station/huzhu/bot/numerals"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"
)

// rosterCSV is a roster as a head would type it in Excel: a header with
// the columns in their own order, mixed ways of writing each part, a
// household without a name and an empty line.
const rosterCSV = "序号,楼栋,单元,房号,户主,电话\r\n" +
	"1,3,1,101,王家,138\r\n" +
	"2,3幢,1单元,102室,,\r\n" +
	",,,,,\r\n" +
	"3,三栋,2,301,\"赵师傅, 赵阿姨\",\r\n" +
	"4,5,,101,钱家,\r\n"

func wantRoster(t *testing.T, got []string) {
	t.Helper()
	want := []string{"3-1-101 王家", "3-1-102 ", "3-2-301 赵师傅, 赵阿姨", "5-101 钱家"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("roster = %q; want %q", got, want)
	}
}

func rosterKeys(t *testing.T, raw []byte) []string {
	t.Helper()
	entries, err := parseRoster(raw)
	if err != nil {
		t.Fatalf("parseRoster: %v", err)
	}
	var out []string
	for _, e := range entries {
		out = append(out, e.Room.Key()+" "+e.Name)
	}
	return out
}

func TestParseRosterEncodings(t *testing.T) {
	gbk, _, err := transform.Bytes(simplifiedchinese.GBK.NewEncoder(), []byte(rosterCSV))
	if err != nil {
		t.Fatal(err)
	}
	utf16, _, err := transform.Bytes(unicode.UTF16(unicode.LittleEndian, unicode.UseBOM).NewEncoder(),
		[]byte(strings.ReplaceAll(strings.ReplaceAll(rosterCSV, ",", "\t"), "\"赵师傅\t 赵阿姨\"", "\"赵师傅, 赵阿姨\"")))
	if err != nil {
		t.Fatal(err)
	}
	for name, raw := range map[string][]byte{
		"utf-8":          []byte(rosterCSV),
		"utf-8 with BOM": append([]byte{0xEF, 0xBB, 0xBF}, rosterCSV...),
		"gbk":            gbk,
		"utf-16 tabs":    utf16,
	} {
		t.Run(name, func(t *testing.T) { wantRoster(t, rosterKeys(t, raw)) })
	}
}

func TestParseRosterForms(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []string
	}{
		{"whole rooms with a header", "房号,户主\n3幢1单元101,王家\n3-1-102,\n", []string{"3-1-101 王家", "3-1-102 "}},
		{"whole rooms without a header", "3幢1单元101\n3-1-102\n", []string{"3-1-101 ", "3-1-102 "}},
		{"parts without a header", "3,1,101,王家\n3,1,102\n", []string{"3-1-101 王家", "3-1-102 "}},
		{"English header", "Building,Unit,Room,Name\n3,1,101,Wang\n", []string{"3-1-101 Wang"}},
		{"duplicates kept for the store to merge", "房号\n3-1-101\n3幢1单元101室\n", []string{"3-1-101 ", "3-1-101 "}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := rosterKeys(t, []byte(tt.in)); strings.Join(got, "|") != strings.Join(tt.want, "|") {
				t.Errorf("got %q; want %q", got, tt.want)
			}
		})
	}
}

func TestParseRosterRefusesBadFiles(t *testing.T) {
	for name, in := range map[string]string{
		"empty":           "",
		"header only":     "楼栋,单元,房号\n",
		"bad room":        "楼栋,单元,房号\n3,1,101\n3,1,三楼\n",
		"no building":     "楼栋,单元,房号\n,1,101\n",
		"bad building":    "楼栋,单元,房号\n三楼,1,101\n",
		"no room number":  "楼栋,单元,房号,户主\n3,1,,王家\n",
		"no room column?": "姓名,电话\n王家,138\n",
	} {
		if entries, err := parseRoster([]byte(in)); err == nil {
			t.Errorf("%s: imported %v; want the file refused", name, entries)
		}
	}
	_, err := parseRoster([]byte("楼栋,单元,房号\n3,1,101\n3,1,x\n3,1,y\n"))
	if err == nil || !strings.Contains(err.Error(), "line 3") || !strings.Contains(err.Error(), "line 4") || !strings.Contains(err.Error(), "2 bad rows") {
		t.Errorf("error does not list the bad lines: %v", err)
	}
}

func FuzzParseRoster(f *testing.F) {
	f.Add([]byte(rosterCSV))
	f.Add([]byte("房号\n3-1-101\n"))
	f.Add([]byte{0xFF, 0xFE, 0x33, 0x00})
	f.Add([]byte{0xB7, 0xBF, 0xBA, 0xC5})
	f.Fuzz(func(t *testing.T, raw []byte) {
		entries, err := parseRoster(raw)
		if err != nil {
			return
		}
		if len(entries) == 0 {
			t.Fatal("no error and no households")
		}
		for _, e := range entries {
			if again, err := numerals.ParseRoom(e.Room.Key()); err != nil || again != e.Room {
				t.Fatalf("room %+v does not round-trip", e.Room)
			}
		}
	})
}
