package handlers

import (
	"errors"
	"strings"
	"unicode/utf8"

	"github.com/huzhu-station/huzhu/bot"
	"github.com/huzhu-station/huzhu/bot/numerals"
)

// The items every dog patrol lends, by the name they are stored under, with
// the words residents use for them and the catalogue key of their name.
var builtinItems = []struct {
	name       string
	nameKey    string // catalogue key of its name in the reader's language
	unitKey    string // catalogue key of its measure word
	consumable bool
	words      []string
}{
	{"牵引绳", "item_name_leash", "item_unit_leash", false,
		[]string{"牵引绳", "狗绳", "绳子", "遛狗绳", "牵狗绳", "leash", "leashes"}},
	{"夹便器", "item_name_scooper", "item_unit_scooper", false,
		[]string{"夹便器", "拾便器", "捡便器", "夹子", "便夹", "scooper", "scoopers", "pooper-scooper"}},
	{"清理袋", "item_name_bags", "item_unit_bags", true,
		[]string{"清理袋", "拾便袋", "捡便袋", "便袋", "袋子", "垃圾袋", "bag", "bags", "poop-bags"}},
}

// canonicalItem returns the name item word is stored under: a built-in
// item's for any of its words, else the word itself.
func canonicalItem(word string) string {
	for _, b := range builtinItems {
		for _, w := range b.words {
			if strings.EqualFold(word, w) {
				return b.name
			}
		}
	}
	return word
}

// itemRequest is ITEM [N] as typed after 借, 还 and 物品 新增.
type itemRequest struct {
	Item  string // canonical name
	Count int64  // 0 when not given
	Word  string // as typed, for replies about an unknown item
}

// parseItemRequest reads an item and an optional count in either order:
// 清理袋 5, 5个清理袋, 牵引绳 一根, 两根牵引绳. Extra words are refused (ok
// false), as is a count of 0.
func parseItemRequest(args string) (itemRequest, bool) {
	var req itemRequest
	for _, w := range strings.Fields(bot.Normalize(args)) {
		if n, rest, ok := cutCount(w); ok {
			if req.Count != 0 || n < 1 {
				return itemRequest{}, false
			}
			req.Count = n
			if rest == "" {
				continue
			}
			w = rest
		}
		if req.Word != "" {
			return itemRequest{}, false
		}
		req.Word = w
	}
	if req.Count > 0 {
		// "5 个清理袋": the measure word went with the item.
		for _, u := range itemUnits {
			if r, ok := strings.CutPrefix(req.Word, u); ok && isBuiltinItem(canonicalItem(r)) && !isBuiltinItem(canonicalItem(req.Word)) {
				req.Word = r
				break
			}
		}
	}
	if req.Word == "" {
		return itemRequest{}, false
	}
	req.Item = canonicalItem(req.Word)
	return req, true
}

// itemUnits are the measure words a count may carry.
var itemUnits = []string{"个", "根", "条", "只", "把", "卷", "包", "袋", "件", "副", "pcs", "x"}

// cutCount reads a count at the start of w, with an optional measure word,
// and returns it with the rest of w: "5个清理袋" gives 5 and "清理袋", "两根"
// gives 2 and "". It fails when w does not start with a number.
func cutCount(w string) (int64, string, bool) {
	rs := []rune(w)
	end := 0
	for end < len(rs) && isCountRune(rs[end]) {
		end++
	}
	if end == 0 {
		return 0, w, false
	}
	n, err := numerals.ParseChineseInt(string(rs[:end]))
	if err != nil {
		return 0, w, false
	}
	rest := string(rs[end:])
	for _, u := range itemUnits {
		if r, ok := strings.CutPrefix(rest, u); ok {
			rest = r
			break
		}
	}
	return n, rest, true
}

func isCountRune(r rune) bool {
	return bot.IsLatinDigit(r) || strings.ContainsRune("零一二两三四五六七八九十百千", r)
}

// lendWantsQuiet reports whether a group message that merely starts with a
// single-character keyword (借, 还) and names no item the station has is
// chat rather than a command: "还,有人在吗", "借5块钱". Such a message
// was not addressed to the bot, and the keyword was glued to what follows.
func lendWantsQuiet(m *bot.Message) bool {
	if m.IsPrivate() || m.AddressedToBot {
		return false
	}
	t := bot.Normalize(m.Text)
	for _, k := range []string{"借", "还"} {
		if rest, ok := strings.CutPrefix(t, k); ok {
			for _, b := range builtinItems {
				if strings.HasPrefix(rest, b.name) {
					return false // 借牵引绳: a command, glued as people type it
				}
			}
			r, _ := utf8.DecodeRuneInString(rest)
			return r != ' '
		}
	}
	return false
}

// errChatNotCommand is findItem's answer for an unknown item in a message
// that lendWantsQuiet takes for chat: nothing is replied.
var errChatNotCommand = errors.New("chat, not a command")
