package handlers

import (
	"errors"
	"strings"

	"github.com/huzhu-station/huzhu/bot"
	"github.com/huzhu-station/huzhu/bot/numerals"
)

// codesAction is what 住户码 is asked to do.
type codesAction int

const (
	codesIssue   codesAction = iota // codes for the households that have none
	codesReissue                    // new codes; the old ones stop working
	codesRevoke                     // the code stops working
)

// codesRequest is a parsed 住户码 command: a building, or one room of it.
type codesRequest struct {
	Building string
	Room     *numerals.Room // nil for the whole building
	Action   codesAction
}

// What parseCodes may find wrong.
var (
	errCodesNoPlace    = errors.New("no building named")
	errCodesBadPlace   = errors.New("not a building or room")
	errCodesRevokeRoom = errors.New("revoke names one room")
)

// codesWords are the last words that say what to do, as people type them.
var codesWords = map[string]codesAction{
	"重发": codesReissue, "补发": codesReissue, "换": codesReissue, "换码": codesReissue, "reissue": codesReissue, "new": codesReissue,
	"作废": codesRevoke, "撤销": codesRevoke, "停用": codesRevoke, "revoke": codesRevoke,
}

// parseCodes reads the arguments of 住户码 / /codes: "3幢", "3幢 重发",
// "3幢1201 重发", "3幢 1201 作废", "3-2-1201 revoke". A room may be
// written with spaces between its parts (3幢 2单元 1201, 3 1201).
func parseCodes(args string) (codesRequest, error) {
	fields := strings.Fields(bot.Normalize(args))
	var req codesRequest
	if n := len(fields); n > 0 {
		if act, ok := codesWords[strings.ToLower(fields[n-1])]; ok {
			req.Action, fields = act, fields[:n-1]
		}
	}
	if len(fields) == 0 {
		return codesRequest{}, errCodesNoPlace
	}
	if len(fields) == 1 {
		if b, err := numerals.ParseBuilding(fields[0]); err == nil {
			req.Building = b
		}
	}
	if req.Building == "" {
		room, ok := parseSpacedRoom(fields)
		if !ok {
			return codesRequest{}, errCodesBadPlace
		}
		req.Building, req.Room = room.Building, &room
	}
	if req.Action == codesRevoke && req.Room == nil {
		return codesRequest{}, errCodesRevokeRoom
	}
	return req, nil
}

// parseSpacedRoom reads a room whose parts may stand apart: joined as
// typed (3幢 1201 is 3幢1201) or, for bare numbers, with dashes (3 1201 is
// 3-1201).
func parseSpacedRoom(fields []string) (numerals.Room, bool) {
	if len(fields) > 3 {
		return numerals.Room{}, false
	}
	for _, sep := range []string{"", "-"} {
		if room, err := numerals.ParseRoom(strings.Join(fields, sep)); err == nil {
			return room, true
		}
	}
	return numerals.Room{}, false
}
