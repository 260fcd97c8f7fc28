package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"

	"github.com/huzhu-station/huzhu/bot"
	"github.com/huzhu-station/huzhu/bot/numerals"
	"github.com/huzhu-station/huzhu/bot/store"
)

// The roster file (住户名册) is a CSV table, one household per row:
//
//	楼栋,单元,房号,户主
//	3,1,101,王家
//	3幢,2单元,301室,
//
// Columns are found by their header (楼栋/幢/栋/building, 单元/unit,
// 房号/室/门牌号/room, 户主/姓名/name, in any order; other columns are
// ignored), or without a header row as 楼栋,单元,房号[,户主], or as one
// column of whole rooms (3幢2单元301, 3-2-301) with an optional 户主 after
// it. The unit may be empty in compounds without units. Excel's CSV exports
// in GBK (GB18030), UTF-8 with or without BOM, and UTF-16 ("Unicode text",
// tab-separated) are all read.

// maxRosterErrors bounds the bad rows listed when an import is refused.
const maxRosterErrors = 10

// rosterColumn names the parts of a household a column can hold.
type rosterColumn int

const (
	colOther rosterColumn = iota
	colBuilding
	colUnit
	colRoom
	colName
)

var rosterHeaders = map[string]rosterColumn{
	"楼栋": colBuilding, "楼号": colBuilding, "幢": colBuilding, "栋": colBuilding, "幢号": colBuilding,
	"栋号": colBuilding, "楼幢": colBuilding, "楼栋号": colBuilding, "building": colBuilding,
	"单元": colUnit, "单元号": colUnit, "unit": colUnit,
	"房号": colRoom, "房间": colRoom, "房间号": colRoom, "室": colRoom, "室号": colRoom, "门牌": colRoom,
	"门牌号": colRoom, "户号": colRoom, "房屋": colRoom, "room": colRoom,
	"户主": colName, "姓名": colName, "户主姓名": colName, "住户": colName, "联系人": colName,
	"name": colName, "householder": colName,
}

// importRoster reads the roster file at path into station st and locks
// the station's roster.
func importRoster(ctx context.Context, st *store.Store, station *store.Station, path string, stdout io.Writer) error {
	raw, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	entries, err := parseRoster(raw)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	res, err := st.ImportRoster(ctx, station.ID, entries)
	if err != nil {
		return err
	}
	perBuilding := map[string]int{}
	var buildings []string
	for _, e := range entries {
		if perBuilding[e.Room.Building] == 0 {
			buildings = append(buildings, e.Room.Building)
		}
		perBuilding[e.Room.Building]++
	}
	slices.SortFunc(buildings, func(a, b string) int {
		if len(a) != len(b) {
			return len(a) - len(b)
		}
		return strings.Compare(a, b)
	})
	var parts []string
	for _, b := range buildings {
		parts = append(parts, fmt.Sprintf("%s幢 %d", b, perBuilding[b]))
	}
	_, err = fmt.Fprintf(stdout, "imported %d households into station %d %s (%d new, %d already known): %s\n"+
		"the roster is locked: rooms outside it are now refused\n",
		res.Added+res.Known, station.ID, station.Name, res.Added, res.Known, strings.Join(parts, ", "))
	return err
}

// decodeRosterText turns the bytes of an Excel export into text: UTF-16
// and UTF-8 are recognised by their byte order mark, UTF-8 without one by
// being valid, and anything else is read as GB18030, which includes GBK.
func decodeRosterText(raw []byte) (string, error) {
	switch {
	case bytes.HasPrefix(raw, []byte{0xEF, 0xBB, 0xBF}):
		return string(raw[3:]), nil
	case bytes.HasPrefix(raw, []byte{0xFF, 0xFE}), bytes.HasPrefix(raw, []byte{0xFE, 0xFF}):
		out, _, err := transform.Bytes(unicode.UTF16(unicode.LittleEndian, unicode.ExpectBOM).NewDecoder(), raw)
		return string(out), err
	case utf8.Valid(raw):
		return string(raw), nil
	}
	out, _, err := transform.Bytes(simplifiedchinese.GB18030.NewDecoder(), raw)
	return string(out), err
}

// parseRoster reads a roster file. A file with any bad row is refused
// whole, with the bad rows listed, so a roster is never half imported.
func parseRoster(raw []byte) ([]store.RosterEntry, error) {
	text, err := decodeRosterText(raw)
	if err != nil {
		return nil, fmt.Errorf("cannot read the text: %w", err)
	}
	r := csv.NewReader(strings.NewReader(text))
	r.FieldsPerRecord = -1
	r.LazyQuotes = true
	r.TrimLeadingSpace = true
	if first, _, _ := strings.Cut(text, "\n"); strings.Contains(first, "\t") && !strings.Contains(first, ",") {
		r.Comma = '\t'
		r.TrimLeadingSpace = false // it would eat empty cells between tabs
	}
	records, err := r.ReadAll()
	if err != nil {
		return nil, fmt.Errorf("not a CSV file: %w", err)
	}
	var cols []rosterColumn
	var entries []store.RosterEntry
	var problems []string
	for i, rec := range records {
		line := i + 1
		cells := make([]string, len(rec))
		blank := true
		for j, c := range rec {
			cells[j] = strings.TrimSpace(bot.Normalize(c))
			blank = blank && cells[j] == ""
		}
		if blank {
			continue
		}
		if cols == nil {
			if h, ok := rosterHeader(cells); ok {
				cols = h
				continue
			}
			cols = guessRosterColumns(cells)
		}
		e, err := rosterRow(cols, cells)
		if err != nil {
			problems = append(problems, fmt.Sprintf("line %d: %v", line, err))
			continue
		}
		entries = append(entries, e)
	}
	if bad := len(problems); bad > 0 {
		more := ""
		if bad > maxRosterErrors {
			more = fmt.Sprintf("\n  … and %d more", bad-maxRosterErrors)
			problems = problems[:maxRosterErrors]
		}
		return nil, fmt.Errorf("nothing imported, %d bad rows:\n  %s%s", bad, strings.Join(problems, "\n  "), more)
	}
	if len(entries) == 0 {
		return nil, errors.New("no households in the file")
	}
	return entries, nil
}

// rosterHeader reads a header row: it is one when it names a room column.
func rosterHeader(cells []string) ([]rosterColumn, bool) {
	cols := make([]rosterColumn, len(cells))
	hasRoom := false
	for i, c := range cells {
		cols[i] = rosterHeaders[strings.ToLower(c)]
		hasRoom = hasRoom || cols[i] == colRoom
	}
	return cols, hasRoom
}

// guessRosterColumns decides the columns of a file without a header from
// its first row: whole rooms in the first column, or 楼栋,单元,房号,户主.
func guessRosterColumns(cells []string) []rosterColumn {
	if _, err := numerals.ParseRoom(cells[0]); err == nil || len(cells) < 3 {
		return []rosterColumn{colRoom, colName}
	}
	return []rosterColumn{colBuilding, colUnit, colRoom, colName}
}

// rosterRow reads one household.
func rosterRow(cols []rosterColumn, cells []string) (store.RosterEntry, error) {
	var building, unit, number, name string
	for i, c := range cells {
		if i >= len(cols) {
			break
		}
		switch cols[i] {
		case colBuilding:
			building = c
		case colUnit:
			unit = c
		case colRoom:
			number = c
		case colName:
			name = c
		}
	}
	if number == "" {
		return store.RosterEntry{}, errors.New("no room number")
	}
	if utf8.RuneCountInString(name) > 30 {
		name = string([]rune(name)[:30])
	}
	// A whole room in the room column (3-2-301) stands on its own.
	if room, err := numerals.ParseRoom(number); err == nil && (building == "" || strings.ContainsAny(number, "-幢栋座#")) {
		return store.RosterEntry{Room: room, Name: name}, nil
	}
	if building == "" {
		return store.RosterEntry{}, fmt.Errorf("room %q has no building", number)
	}
	b, err := numerals.ParseBuilding(building)
	if err != nil {
		return store.RosterEntry{}, fmt.Errorf("building %q is not a building", building)
	}
	text := b + "幢"
	if u := strings.TrimSuffix(unit, "单元"); u != "" {
		text += u + "单元"
	}
	text += number
	room, err := numerals.ParseRoom(text)
	if err != nil {
		return store.RosterEntry{}, fmt.Errorf("room %q (building %q, unit %q) is not a room", number, building, unit)
	}
	return store.RosterEntry{Room: room, Name: name}, nil
}
