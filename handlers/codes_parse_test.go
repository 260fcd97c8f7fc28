package handlers

import (
	"errors"
	"testing"

	"github.com/huzhu-station/huzhu/bot/numerals"
)

func TestParseCodes(t *testing.T) {
	room := func(b, u, n string) *numerals.Room { return &numerals.Room{Building: b, Unit: u, Number: n} }
	tests := []struct {
		in   string
		want codesRequest
		err  error
	}{
		{"3幢", codesRequest{Building: "3"}, nil},
		{"3栋", codesRequest{Building: "3"}, nil},
		{"三幢", codesRequest{Building: "3"}, nil},
		{"3", codesRequest{Building: "3"}, nil},
		{"3幢 重发", codesRequest{Building: "3", Action: codesReissue}, nil},
		{"3 reissue", codesRequest{Building: "3", Action: codesReissue}, nil},
		{"3幢1201 重发", codesRequest{Building: "3", Room: room("3", "", "1201"), Action: codesReissue}, nil},
		{"3幢 1201 重发", codesRequest{Building: "3", Room: room("3", "", "1201"), Action: codesReissue}, nil},
		{"3幢 2单元 1201 作废", codesRequest{Building: "3", Room: room("3", "2", "1201"), Action: codesRevoke}, nil},
		{"3-2-1201 revoke", codesRequest{Building: "3", Room: room("3", "2", "1201"), Action: codesRevoke}, nil},
		{"3 1201 REVOKE", codesRequest{Building: "3", Room: room("3", "", "1201"), Action: codesRevoke}, nil},
		{"3幢1201", codesRequest{Building: "3", Room: room("3", "", "1201")}, nil},
		{"", codesRequest{}, errCodesNoPlace},
		{"重发", codesRequest{}, errCodesNoPlace},
		{"3幢 作废", codesRequest{}, errCodesRevokeRoom},
		{"东门", codesRequest{}, errCodesBadPlace},
		{"3幢 1201 5 6", codesRequest{}, errCodesBadPlace},
	}
	for _, tt := range tests {
		got, err := parseCodes(tt.in)
		if !errors.Is(err, tt.err) {
			t.Errorf("parseCodes(%q) error %v; want %v", tt.in, err, tt.err)
			continue
		}
		if err != nil {
			continue
		}
		if got.Building != tt.want.Building || got.Action != tt.want.Action || (got.Room == nil) != (tt.want.Room == nil) ||
			(got.Room != nil && *got.Room != *tt.want.Room) {
			t.Errorf("parseCodes(%q) = %+v (room %v); want %+v (room %v)", tt.in, got, got.Room, tt.want, tt.want.Room)
		}
	}
}

func FuzzParseCodes(f *testing.F) {
	for _, s := range []string{"3幢", "3幢 重发", "3幢 1201 重发", "3-2-1201 作废", "", "东门", "3 1201", "A幢 101 revoke"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		req, err := parseCodes(s)
		if err != nil {
			return
		}
		if req.Building == "" || (req.Room != nil && req.Room.Building != req.Building) {
			t.Fatalf("parseCodes(%q) = %+v", s, req)
		}
		if req.Action == codesRevoke && req.Room == nil {
			t.Fatalf("parseCodes(%q) revokes a whole building", s)
		}
	})
}
