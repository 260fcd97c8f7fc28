package handlers

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestParseOfficeRef(t *testing.T) {
	two := []string{"清川", "工农"}
	tests := []struct {
		in       string
		prefixes []string
		want     officeRef
		rest     string
		word     string
		err      error
	}{
		{"清川-12", two, officeRef{"清川", 12}, "", "", nil},
		{"清川－12 已联系城管", two, officeRef{"清川", 12}, "已联系城管", "", nil},
		{"清川—12", two, officeRef{"清川", 12}, "", "", nil},
		{"清川 12 周五来修", two, officeRef{"清川", 12}, "周五来修", "", nil},
		{"清川12", two, officeRef{"清川", 12}, "", "", nil},
		{"清川#12", two, officeRef{"清川", 12}, "", "", nil},
		{"清川-十二", two, officeRef{"清川", 12}, "", "", nil},
		{"清川-12号 好了", two, officeRef{"清川", 12}, "好了", "", nil},
		{"清川-3一直没人管", two, officeRef{"清川", 3}, "一直没人管", "", nil},
		{"清川-１２", two, officeRef{"清川", 12}, "", "", nil},
		{"工农-1 属于物业", two, officeRef{"工农", 1}, "属于物业", "", nil},
		{"qc-5", []string{"QC"}, officeRef{"QC", 5}, "", "", nil},
		{"清川2-3", []string{"清川", "清川2"}, officeRef{"清川2", 3}, "", "", nil},
		{"清川-3", []string{"清川", "清川2"}, officeRef{"清川", 3}, "", "", nil},
		{"清川花-3", []string{"清川", "清川花"}, officeRef{"清川花", 3}, "", "", nil},
		{"12", []string{"清川"}, officeRef{"清川", 12}, "", "", nil},
		{"#12 好了", []string{"清川"}, officeRef{"清川", 12}, "好了", "", nil},
		{"十二", []string{"清川"}, officeRef{"清川", 12}, "", "", nil},
		{"", two, officeRef{}, "", "", errOfficeRefMissing},
		{"   ", two, officeRef{}, "", "", errOfficeRefMissing},
		{"12", two, officeRef{}, "", "", errOfficeRefNoStation},
		{"花园-1", two, officeRef{}, "", "花园", errOfficeRefUnknown},
		{"清川花-3", two, officeRef{}, "", "清川花", errOfficeRefUnknown},
		{"路灯坏了", two, officeRef{}, "", "路灯坏了", errOfficeRefUnknown},
		{"清川-", two, officeRef{}, "", "", errOfficeRefNumber},
		{"清川-0", two, officeRef{}, "", "", errOfficeRefNumber},
		{"清川-99999999999999999999", two, officeRef{}, "", "", errOfficeRefNumber},
		{"0", []string{"清川"}, officeRef{}, "", "", errOfficeRefNumber},
	}
	for _, tt := range tests {
		got, rest, word, err := parseOfficeRef(tt.in, tt.prefixes)
		if !errors.Is(err, tt.err) || got != tt.want || rest != tt.rest || word != tt.word {
			t.Errorf("parseOfficeRef(%q, %v) = %+v, %q, %q, %v; want %+v, %q, %q, %v",
				tt.in, tt.prefixes, got, rest, word, err, tt.want, tt.rest, tt.word, tt.err)
		}
	}
}

func FuzzParseOfficeRef(f *testing.F) {
	for _, s := range []string{"清川-12", "清川－12 已联系", "清川12", "工农 3", "12", "花园-1", "清川-十二号", "清川2-3", "#", "-", "清川-"} {
		f.Add(s, true)
		f.Add(s, false)
	}
	f.Fuzz(func(t *testing.T, s string, one bool) {
		prefixes := []string{"清川", "清川2", "工农", "QC"}
		if one {
			prefixes = []string{"清川"}
		}
		got, rest, word, err := parseOfficeRef(s, prefixes)
		if err != nil {
			if got != (officeRef{}) || rest != "" {
				t.Fatalf("parseOfficeRef(%q) failed (%v) but returned %+v, %q", s, err, got, rest)
			}
			if errors.Is(err, errOfficeRefUnknown) != (word != "") && strings.TrimSpace(s) != "" {
				t.Fatalf("parseOfficeRef(%q): word %q with %v", s, word, err)
			}
			return
		}
		if got.N < 1 || !slices.Contains(prefixes, got.Prefix) {
			t.Fatalf("parseOfficeRef(%q) = %+v: not a problem of the office", s, got)
		}
		if rest != strings.TrimSpace(rest) || len(rest) >= len(s) {
			t.Fatalf("parseOfficeRef(%q) left %q", s, rest)
		}
	})
}

func TestOfficeStepLine(t *testing.T) {
	for _, tt := range []struct {
		line string
		want bool
	}{
		{"受理 清川-12", true},
		{"受理清川-12", true},
		{"进展 清川－12 已联系城管，周五来", true},
		{"办结 清川12", true},
		{"退回 工农-3 属于物业", true},
		{"事项 清川2-3", true},
		{"事项 清川-十二", true},
		{"受理 12", false}, // the Router's
		{"受理 一下吧", false},
		{"进展 怎么样了", false},
		{"办结了吗", false},
		{"报事 清川-12", false},
	} {
		if got := officeStepLine.MatchString(tt.line); got != tt.want {
			t.Errorf("officeStepLine(%q) = %v; want %v", tt.line, got, tt.want)
		}
	}
}

func FuzzOfficeStepLine(f *testing.F) {
	for _, s := range []string{"受理 清川-12", "进展 清川－12 好", "受理 一下", "事项 清川2-3"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !officeStepLine.MatchString(s) {
			return
		}
		// What it lets in is a keyword and something a prefix could be.
		_, rest, _ := strings.Cut(s, " ")
		if !strings.HasPrefix(s, "受理") && !strings.HasPrefix(s, "进展") && !strings.HasPrefix(s, "办结") &&
			!strings.HasPrefix(s, "退回") && !strings.HasPrefix(s, "事项") && !strings.HasPrefix(s, "详情") {
			t.Fatalf("officeStepLine let in %q (%q)", s, rest)
		}
	})
}
