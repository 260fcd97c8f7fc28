package handlers

import (
	"errors"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/huzhu-station/huzhu/bot/calendar"
	"github.com/huzhu-station/huzhu/bot/i18n"
	"github.com/huzhu-station/huzhu/bot/numerals"
)

// fundForm is what /fund new was given.
type fundForm struct {
	Title     string
	Goal      int64
	Per       int64
	Deadline  time.Time
	Buildings []string
}

// fundKeywords start the parts of /fund new after the title. English words
// must stand alone; Chinese ones may be glued to their value (目标10200元).
var fundKeywords = []struct {
	word, part string
}{
	{"目标", "goal"}, {"goal", "goal"}, {"target", "goal"},
	{"每户", "per"}, {"per", "per"}, {"each", "per"},
	{"截止", "deadline"}, {"截至", "deadline"}, {"until", "deadline"}, {"deadline", "deadline"}, {"by", "deadline"},
	{"楼栋", "buildings"}, {"范围", "buildings"}, {"buildings", "buildings"}, {"building", "buildings"},
}

// cutFundKeyword reports which part a field starts, and what of the field
// is already its value.
func cutFundKeyword(field string) (part, value string, ok bool) {
	for _, k := range fundKeywords {
		if isFundASCIIWord(k.word) {
			if strings.EqualFold(field, k.word) {
				return k.part, "", true
			}
			continue
		}
		if rest, found := strings.CutPrefix(field, k.word); found {
			return k.part, strings.TrimLeft(rest, ":"), true
		}
	}
	return "", "", false
}

func isFundASCIIWord(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// parseFundForm reads "TITLE 目标 AMOUNT [每户 AMOUNT] [截止 DATE] [楼栋
// 3幢、5幢]". Errors are replies, except a date that does not parse, which
// is a *dateArgError.
func parseFundForm(args string, now time.Time) (fundForm, error) {
	const usage = "usage_fund_new"
	var form fundForm
	parts := map[string][]string{}
	var title []string
	current := ""
	for _, f := range strings.Fields(args) {
		if part, value, ok := cutFundKeyword(f); ok {
			if _, dup := parts[part]; dup {
				return form, badForm(usage, "fund_part_twice", i18n.Args{"Word": clip(f)})
			}
			current = part
			parts[part] = nil
			if value != "" {
				parts[part] = append(parts[part], value)
			}
			continue
		}
		if current == "" {
			title = append(title, f)
		} else {
			parts[current] = append(parts[current], f)
		}
	}
	form.Title = strings.Join(title, " ")
	if form.Title == "" {
		return form, badForm(usage, "fund_needs_title")
	}
	if utf8.RuneCountInString(form.Title) > maxFundTitleRunes {
		return form, badForm(usage, "fund_title_too_long", i18n.Args{"Max": maxFundTitleRunes})
	}
	goal, ok := parts["goal"]
	if !ok || len(goal) == 0 {
		return form, badForm(usage, "fund_needs_goal")
	}
	var err error
	if form.Goal, err = parseFundAmount(usage, strings.Join(goal, " ")); err != nil {
		return form, err
	}
	if per, ok := parts["per"]; ok {
		if form.Per, err = parseFundAmount(usage, strings.Join(per, " ")); err != nil {
			return form, err
		}
	}
	if d, ok := parts["deadline"]; ok {
		text := strings.Join(d, " ")
		day, rest, err := calendar.ParseFutureDate(text, now)
		if err != nil {
			return form, &dateArgError{err}
		}
		if rest != "" {
			return form, badForm(usage, "fund_bad_deadline", i18n.Args{"Text": clip(text)})
		}
		form.Deadline = day
	}
	if b, ok := parts["buildings"]; ok {
		if form.Buildings, err = parseFundBuildings(usage, strings.Join(b, " ")); err != nil {
			return form, err
		}
	}
	return form, nil
}

// parseFundBuildings reads "3幢、5幢" or "3幢 5幢" into sorted building values.
func parseFundBuildings(usage, text string) ([]string, error) {
	words := strings.FieldsFunc(text, func(r rune) bool { return r == ' ' || r == ',' || r == '、' || r == ';' })
	if len(words) == 0 {
		return nil, badForm(usage, "fund_needs_building")
	}
	var out []string
	for _, w := range words {
		b, err := numerals.ParseBuilding(w)
		if err != nil {
			return nil, badForm(usage, "bad_building", i18n.Args{"Text": clip(w)})
		}
		if !slices.Contains(out, b) {
			out = append(out, b)
		}
	}
	slices.SortFunc(out, compareFundBuildings)
	return out, nil
}

// compareFundBuildings orders buildings numerically where they are numbers.
func compareFundBuildings(a, b string) int {
	ai, aerr := strconv.Atoi(a)
	bi, berr := strconv.Atoi(b)
	switch {
	case aerr == nil && berr == nil:
		return ai - bi
	case aerr == nil:
		return -1
	case berr == nil:
		return 1
	}
	return strings.Compare(a, b)
}

// parseFundAmount parses a sum of money a person typed, or returns the reply
// that says what was wrong with it.
func parseFundAmount(usage, text string) (int64, error) {
	fen, err := numerals.ParseAmount(text)
	switch {
	case err == nil:
		return fen, nil
	case errors.Is(err, numerals.ErrAmountNotPositive):
		return 0, badForm(usage, "fund_amount_not_positive", i18n.Args{"Text": clip(text)})
	case errors.Is(err, numerals.ErrAmountTooLarge):
		return 0, badForm(usage, "fund_amount_too_large", i18n.Args{"Text": clip(text)})
	}
	return 0, badForm(usage, "fund_amount_bad", i18n.Args{"Text": clip(text)})
}

// moneyArgs is what /pledge and /paid were given: a campaign number (0 when
// left out), an amount in fen and a room (nil when left out).
type moneyArgs struct {
	N      int64
	Amount int64
	Room   *numerals.Room
}

// parseMoneyArgs reads a campaign number, an amount and a room in any order
// residents write them: "300", "1 300", "300 3幢2单元301", "1 300元 3-2-301",
// "3-2-301 300 1". nFirst says which of two bare numbers is the campaign
// when that is all there is to go by: the first (认捐 1 300) or the last
// (已收 3-2-301 300 1). A number written as #1 or 第1 is always the
// campaign.
func parseMoneyArgs(args string, nFirst bool, usage string) (moneyArgs, error) {
	var out moneyArgs
	fields := strings.Fields(args)
	if len(fields) == 0 {
		return out, badForm(usage, "fund_needs_amount")
	}
	rest := fields
	// The room at the end (it may have spaces: 3幢 2单元 301) or at the start.
	for i := range fields {
		room, after, err := numerals.CutRoom(strings.Join(fields[i:], " "))
		if err == nil && after == "" {
			out.Room, rest = &room, fields[:i]
			break
		}
	}
	if out.Room == nil {
		if room, after, err := numerals.CutRoom(args); err == nil && after != "" {
			out.Room, rest = &room, strings.Fields(after)
		}
	}
	if len(rest) == 0 {
		return out, badForm(usage, "fund_needs_amount")
	}
	// A campaign number marked as one.
	for i, f := range rest {
		if isMarkedFundRef(f) {
			n, err := parseKindRef(f, fundRef)
			if err != nil {
				return out, badForm(usage, "bad_number", i18n.Args{"Text": clip(f)})
			}
			others := slices.Delete(slices.Clone(rest), i, i+1)
			if len(others) == 0 {
				return out, badForm(usage, "fund_needs_amount")
			}
			amount, err := parseFundAmount(usage, strings.Join(others, " "))
			out.N, out.Amount = n, amount
			return out, err
		}
	}
	whole := strings.Join(rest, " ")
	amount, wholeErr := parseFundAmount(usage, whole)
	if wholeErr == nil || len(rest) == 1 {
		out.Amount = amount
		return out, wholeErr
	}
	first := [2]string{rest[0], strings.Join(rest[1:], " ")}                    // N, amount
	last := [2]string{rest[len(rest)-1], strings.Join(rest[:len(rest)-1], " ")} // N, amount
	tries := [][2]string{first, last}
	if !nFirst {
		tries = [][2]string{last, first}
	}
	var amountErr error
	for _, t := range tries {
		n, err := parseKindRef(t[0], fundRef)
		if err != nil {
			continue
		}
		amount, err := parseFundAmount(usage, t[1])
		if err == nil {
			out.N, out.Amount = n, amount
			return out, nil
		}
		if amountErr == nil {
			amountErr = err
		}
	}
	for _, f := range rest {
		if looksLikeRoom(f) {
			return out, badForm(usage, "bad_room", i18n.Args{"Text": clip(f)})
		}
	}
	if amountErr != nil {
		return out, amountErr
	}
	return out, wholeErr
}

// looksLikeRoom reports a word that was meant as a room (3幢, 3-2) even
// though it is not a whole one, so the reply can say the room is wrong
// rather than the amount.
func looksLikeRoom(s string) bool {
	if strings.ContainsAny(s, "幢栋室") || strings.Contains(s, "单元") || strings.Contains(s, "号楼") {
		return true
	}
	i := strings.IndexByte(s, '-')
	return i > 0 && i < len(s)-1 && s[i-1] >= '0' && s[i-1] <= '9' && s[i+1] >= '0' && s[i+1] <= '9'
}

// isFundAmountUnit reports a word that only says the number before it is money.
func isFundAmountUnit(s string) bool {
	switch strings.ToLower(s) {
	case "元", "块", "块钱", "圆", "rmb", "yuan":
		return true
	}
	return false
}

// isMarkedFundRef reports a word written as a number of something: #1, ＃1, 第1.
func isMarkedFundRef(s string) bool {
	if _, marked := fundRef.cutMark(s); marked {
		return true
	}
	return strings.HasPrefix(s, "#") || strings.HasPrefix(s, "第") || strings.HasPrefix(strings.ToLower(s), "no.")
}

// unpaidArgs is what /unpaid was given.
type unpaidArgs struct {
	N        int64
	Building string
}

// parseUnpaidArgs reads "[N] [BUILDING]". A bare number is the campaign; a
// building is written with 幢, 栋 or 号楼 unless it follows the campaign
// (未缴 1 3).
func parseUnpaidArgs(args string) (unpaidArgs, error) {
	const usage = "usage_unpaid"
	var out unpaidArgs
	fields := strings.Fields(args)
	switch len(fields) {
	case 0:
		return out, nil
	case 1:
		if n, err := parseKindRef(fields[0], fundRef); err == nil {
			out.N = n
			return out, nil
		}
		b, err := numerals.ParseBuilding(fields[0])
		if err != nil {
			return out, badForm(usage, "fund_bad_unpaid_word", i18n.Args{"Text": clip(fields[0])})
		}
		out.Building = b
		return out, nil
	case 2:
		n, err := parseKindRef(fields[0], fundRef)
		if err != nil {
			return out, badForm(usage, "bad_number", i18n.Args{"Text": clip(fields[0])})
		}
		b, err := numerals.ParseBuilding(fields[1])
		if err != nil {
			return out, badForm(usage, "bad_building", i18n.Args{"Text": clip(fields[1])})
		}
		out.N, out.Building = n, b
		return out, nil
	}
	return out, badForm(usage, "fund_bad_unpaid_word", i18n.Args{"Text": clip(args)})
}

// spendArgs is what /spend was given.
type spendArgs struct {
	N      int64
	Amount int64
	Text   string
}

// parseSpendArgs reads "[N] AMOUNT TEXT": 支出 1 8000 安全门首付款, or
// without the campaign 支出 8000元 安全门首付款. The amount may be two words
// (8000 元).
func parseSpendArgs(args string) (spendArgs, error) {
	const usage = "usage_spend"
	var out spendArgs
	fields := strings.Fields(args)
	if len(fields) == 0 {
		return out, badForm(usage, "fund_needs_amount")
	}
	start := 0
	if n, err := parseKindRef(fields[0], fundRef); err == nil && len(fields) >= 2 {
		// "1 8000 安全门" names the campaign; "8000 安全门" and "8000 元 安全门"
		// do not.
		if _, aerr := numerals.ParseAmount(fields[1]); isMarkedFundRef(fields[0]) || !errors.Is(aerr, numerals.ErrAmountMalformed) {
			out.N, start = n, 1
		}
	}
	if start >= len(fields) {
		return out, badForm(usage, "fund_needs_amount")
	}
	amountText, end := fields[start], start+1
	if end < len(fields) && isFundAmountUnit(fields[end]) {
		amountText, end = amountText+fields[end], end+1 // 8000 元
	}
	amount, err := parseFundAmount(usage, amountText)
	if err != nil {
		return out, err
	}
	out.Amount = amount
	out.Text = strings.Join(fields[end:], " ")
	if out.Text == "" {
		return out, badForm(usage, "fund_spend_needs_text")
	}
	if n := utf8.RuneCountInString(out.Text); n > maxSpendRunes {
		return out, badForm(usage, "report_too_long", i18n.Args{"Max": maxSpendRunes, "Len": n})
	}
	return out, nil
}
