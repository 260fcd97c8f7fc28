package numerals

import (
	"errors"
	"strconv"
	"strings"

	"github.com/huzhu-station/huzhu/bot"
)

// ErrRoomMalformed is returned by ParseRoom and CutRoom for text that is not
// a room.
var ErrRoomMalformed = errors.New("malformed room")

// ErrBuildingMalformed is returned by ParseBuilding for text that is not a
// building.
var ErrBuildingMalformed = errors.New("malformed building")

// Room identifies a household by building, unit (stairwell) and room
// number. Pledges and household votes count per Room, so every way of
// typing the same room must give the same value: numbers carry no leading
// zeros and building letters are upper case.
type Room struct {
	// Building is a number ("3", "86") or a single upper-case letter ("A").
	Building string
	// Unit is a number, or "" in compounds whose buildings have no units.
	Unit string
	// Number is the room number, one to five digits ("301").
	Number string
}

// String returns the room in the Chinese form residents read: 3幢2单元301,
// or 3幢301 without a unit.
func (r Room) String() string {
	if r.Unit == "" {
		return r.Building + "幢" + r.Number
	}
	return r.Building + "幢" + r.Unit + "单元" + r.Number
}

// Key returns the room in the short form used to store and compare it:
// 3-2-301, or 3-301 without a unit.
func (r Room) Key() string {
	if r.Unit == "" {
		return r.Building + "-" + r.Number
	}
	return r.Building + "-" + r.Unit + "-" + r.Number
}

// Limits on the parts of a room; a compound has at most a few hundred
// buildings, a building a few dozen units.
const (
	maxBuilding       = 9999
	maxUnit           = 999
	maxRoomDigits     = 5
	maxRoomNumber     = 99999
	maxBuildingDigits = 4
	maxUnitDigits     = 3
)

// buildingSuffixes follow a building number; longer ones come first so that
// 号楼 is not read as 号 followed by 楼. 楼 alone is not among them because
// "3楼" usually means the third floor.
var buildingSuffixes = []string{"号楼", "#楼", "幢", "栋", "座", "号", "#"}

// roomSuffixes may follow a room number.
var roomSuffixes = []string{"室", "号"}

// ParseRoom parses text that is exactly one room, in any of the forms
// residents use: 3幢2单元301, 3栋2单元301室, 3号楼2单元301, 3号2单元301,
// 3#楼301, 3-2-301, 3-301, 3幢301, A座301, 三幢二单元301, and the Chinese
// forms with spaces between the parts (3幢 2单元 301). Building and unit may
// be Chinese numerals (八十六幢二单元); the room number may be said digit by
// digit (三零一, with 零 or 〇 for 0 and 幺 for 1). Errors wrap
// ErrRoomMalformed with the input.
func ParseRoom(s string) (Room, error) {
	rs, ok := normalizeField(s)
	if !ok {
		return Room{}, wrapParseInput(ErrRoomMalformed, s)
	}
	room, end, ok := scanRoom(rs)
	if !ok || end != len(rs) {
		return Room{}, wrapParseInput(ErrRoomMalformed, s)
	}
	return room, nil
}

// CutRoom parses the room at the start of s and returns it with the rest of
// the text, as commands like "登记 3-2-301 张阿姨" need: CutRoom("3幢 2单元
// 301 张阿姨") gives 3幢2单元301 and "张阿姨". The room must end at a space
// or at text that cannot continue it, so 3-2-3015 is never read as 3-2-301.
// The rest is in Normalize form, without the spaces and separators (,;:、)
// that follow the room. Errors wrap ErrRoomMalformed with the input.
func CutRoom(s string) (room Room, rest string, err error) {
	n := bot.Normalize(s)
	head := n
	// Only the head is scanned, so a long message costs no more than a room.
	if i := runeOffset(n, maxParsedRunes); i >= 0 {
		head = n[:i]
	}
	rs := []rune(head)
	room, end, ok := scanRoom(rs)
	if !ok {
		return Room{}, "", wrapParseInput(ErrRoomMalformed, s)
	}
	rest = n[len(string(rs[:end])):]
	rest = strings.TrimLeft(rest, " \n,;:、")
	return room, strings.TrimSpace(rest), nil
}

// runeOffset returns the byte offset of the n-th rune of s, or -1 if s has
// no more than n runes.
func runeOffset(s string, n int) int {
	for i := range s {
		if n == 0 {
			return i
		}
		n--
	}
	return -1
}

// ParseBuilding parses a building as used by commands that take one
// (未缴 3幢, 任命 @who 楼组长 3幢): 3幢, 3栋, 3号楼, 3, 三幢, A座. It returns the
// Room.Building form ("3", "A"). Errors wrap ErrBuildingMalformed with the
// input.
func ParseBuilding(s string) (string, error) {
	rs, ok := normalizeField(s)
	if !ok {
		return "", wrapParseInput(ErrBuildingMalformed, s)
	}
	b, i, ok := scanBuildingValue(rs, 0)
	if !ok {
		return "", wrapParseInput(ErrBuildingMalformed, s)
	}
	if j, ok := cutSuffixAt(rs, i, buildingSuffixes); ok {
		i = j
	}
	if i != len(rs) {
		return "", wrapParseInput(ErrBuildingMalformed, s)
	}
	return b, nil
}

// scanRoom reads a room at the start of rs and returns it with the index
// just past it.
func scanRoom(rs []rune) (Room, int, bool) {
	if room, end, isDash, ok := scanDashRoom(rs); isDash {
		return room, end, ok
	}
	return scanChineseRoom(rs)
}

// scanDashRoom reads 3-2-301 and 3-301. It reports isDash when rs starts
// like a dashed room, so that a broken one is not tried as another form.
func scanDashRoom(rs []rune) (room Room, end int, isDash, ok bool) {
	i := 0
	switch {
	case len(rs) >= 2 && isLatinLetter(rs[0]) && rs[1] == '-':
		room.Building = strings.ToUpper(string(rs[0]))
		i = 1
	default:
		j := skipDigits(rs, 0)
		if j == 0 || j >= len(rs) || rs[j] != '-' {
			return Room{}, 0, false, false
		}
		b, ok := canonicalDigits(rs[:j], maxBuildingDigits)
		if !ok {
			return Room{}, 0, true, false
		}
		room.Building, i = b, j
	}
	i++ // the dash
	j := skipDigits(rs, i)
	if j < len(rs) && rs[j] == '-' {
		u, ok := canonicalDigits(rs[i:j], maxUnitDigits)
		if !ok {
			return Room{}, 0, true, false
		}
		room.Unit, i = u, j+1
		j = skipDigits(rs, i)
	}
	num, ok := canonicalDigits(rs[i:j], maxRoomDigits)
	if !ok {
		return Room{}, 0, true, false
	}
	room.Number = num
	end, ok = finishRoom(rs, j)
	return room, end, true, ok
}

// scanChineseRoom reads 3幢2单元301 and its variants.
func scanChineseRoom(rs []rune) (Room, int, bool) {
	var room Room
	b, i, ok := scanBuildingValue(rs, 0)
	if !ok {
		return Room{}, 0, false
	}
	i, ok = cutSuffixAt(rs, i, buildingSuffixes)
	if !ok {
		return Room{}, 0, false
	}
	room.Building = b
	i = skipSpace(rs, i)
	j := skipNumeral(rs, i)
	if k, ok := cutSuffixAt(rs, j, []string{"单元"}); ok {
		u, ok := numeralValue(rs[i:j], maxUnitDigits, maxUnit)
		if !ok {
			return Room{}, 0, false
		}
		room.Unit = u
		i = skipSpace(rs, k)
	}
	num, j, ok := scanRoomNumber(rs, i)
	if !ok {
		return Room{}, 0, false
	}
	room.Number = num
	end, ok := finishRoom(rs, j)
	return room, end, ok
}

// scanRoomNumber reads the room number at rs[i:]: Arabic digits (301), or
// Chinese as it is said, digit by digit (三零一, 三〇一, 幺零二) or as a
// quantity (三百零一). Arabic and Chinese are not mixed, so that 301一 is
// not read as a room.
func scanRoomNumber(rs []rune, i int) (string, int, bool) {
	if j := skipDigits(rs, i); j > i {
		num, ok := canonicalDigits(rs[i:j], maxRoomDigits)
		return num, j, ok
	}
	j := i
	for j < len(rs) && !bot.IsLatinDigit(rs[j]) && isNumeralRune(rs[j]) {
		j++
	}
	if _, digits, ok := parseSpokenDigits(rs[i:j]); ok {
		num, ok := canonicalDigits([]rune(digits), maxRoomDigits)
		return num, j, ok
	}
	num, ok := numeralValue(rs[i:j], maxRoomDigits, maxRoomNumber)
	return num, j, ok
}

// scanBuildingValue reads a building number or letter at rs[i:] and returns
// it in Room.Building form with the index just past it.
func scanBuildingValue(rs []rune, i int) (string, int, bool) {
	if i < len(rs) && isLatinLetter(rs[i]) {
		if i+1 < len(rs) && isLatinLetter(rs[i+1]) {
			return "", 0, false
		}
		return strings.ToUpper(string(rs[i])), i + 1, true
	}
	j := skipNumeral(rs, i)
	b, ok := numeralValue(rs[i:j], maxBuildingDigits, maxBuilding)
	return b, j, ok
}

// finishRoom takes an optional 室 after the room number at rs[i] and checks
// that the room ends there.
func finishRoom(rs []rune, i int) (int, bool) {
	if j, ok := cutSuffixAt(rs, i, roomSuffixes); ok {
		i = j
	}
	if i < len(rs) && continuesRoom(rs[i]) {
		return 0, false
	}
	return i, true
}

// continuesRoom reports runes that would make the text before them only
// part of something longer, such as 3-2-301-5 or 3-2-301B.
func continuesRoom(r rune) bool {
	return bot.IsLatinDigit(r) || isLatinLetter(r) || strings.ContainsRune("-./#_", r)
}

func isLatinLetter(r rune) bool { return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' }

func skipDigits(rs []rune, i int) int {
	for i < len(rs) && bot.IsLatinDigit(rs[i]) {
		i++
	}
	return i
}

func skipNumeral(rs []rune, i int) int {
	for i < len(rs) && isNumeralRune(rs[i]) {
		i++
	}
	return i
}

func skipSpace(rs []rune, i int) int {
	for i < len(rs) && rs[i] == ' ' {
		i++
	}
	return i
}

// cutSuffixAt reports whether one of suffixes starts at rs[i] and returns
// the index just past it.
func cutSuffixAt(rs []rune, i int, suffixes []string) (int, bool) {
	for _, x := range suffixes {
		xs := []rune(x)
		if i+len(xs) <= len(rs) && string(rs[i:i+len(xs)]) == x {
			return i + len(xs), true
		}
	}
	return i, false
}

// canonicalDigits checks that ds is 1 to maxDigits Arabic digits with a
// value of at least 1 and returns them without leading zeros.
func canonicalDigits(ds []rune, maxDigits int) (string, bool) {
	if len(ds) == 0 || len(ds) > maxDigits {
		return "", false
	}
	for _, r := range ds {
		if !bot.IsLatinDigit(r) {
			return "", false
		}
	}
	s := strings.TrimLeft(string(ds), "0")
	return s, s != ""
}

// numeralValue reads a building, unit or room number, in Arabic digits or
// Chinese numerals as a quantity (八十六, 三百零一), and returns it in
// decimal. Chinese digits without units (一二) are not a building: the room
// number alone is said digit by digit (scanRoomNumber).
func numeralValue(rs []rune, maxDigits int, maxValue int64) (string, bool) {
	if len(rs) > 0 && bot.IsLatinDigit(rs[0]) && skipDigits(rs, 0) == len(rs) {
		return canonicalDigits(rs, maxDigits)
	}
	n, ok := ReadNumber(rs, false)
	if !ok || n < 1 || n > maxValue {
		return "", false
	}
	return strconv.FormatInt(n, 10), true
}
