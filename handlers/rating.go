package handlers

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/huzhu-station/huzhu/bot"
	"github.com/huzhu-station/huzhu/bot/i18n"
	"github.com/huzhu-station/huzhu/bot/numerals"
	"github.com/huzhu-station/huzhu/bot/store"
)

// ratingWords maps what residents say about a solved problem to the three
// levels the station counts. A reply always names the level it was taken as
// (「已记为：基本满意」), so a word read differently than meant is seen at
// once.
var ratingWords = map[string]store.Rating{
	"满意": store.RatingSatisfied, "很满意": store.RatingSatisfied, "非常满意": store.RatingSatisfied,
	"十分满意": store.RatingSatisfied, "特别满意": store.RatingSatisfied, "挺满意": store.RatingSatisfied,
	"太满意了": store.RatingSatisfied, "好评": store.RatingSatisfied, "好": store.RatingSatisfied,
	"很好": store.RatingSatisfied, "非常好": store.RatingSatisfied, "挺好": store.RatingSatisfied,
	"不错": store.RatingSatisfied, "很不错": store.RatingSatisfied, "👍": store.RatingSatisfied,
	"satisfied": store.RatingSatisfied, "good": store.RatingSatisfied, "1": store.RatingSatisfied,

	"基本满意": store.RatingFair, "还行": store.RatingFair, "一般": store.RatingFair,
	"还可以": store.RatingFair, "还好": store.RatingFair, "凑合": store.RatingFair,
	"马马虎虎": store.RatingFair, "中评": store.RatingFair, "fair": store.RatingFair,
	"ok": store.RatingFair, "2": store.RatingFair,

	"不满意": store.RatingUnsatisfied, "很不满意": store.RatingUnsatisfied, "非常不满意": store.RatingUnsatisfied,
	"差评": store.RatingUnsatisfied, "差": store.RatingUnsatisfied, "很差": store.RatingUnsatisfied,
	"不好": store.RatingUnsatisfied, "不行": store.RatingUnsatisfied, "没修好": store.RatingUnsatisfied,
	"没解决": store.RatingUnsatisfied, "👎": store.RatingUnsatisfied,
	"unsatisfied": store.RatingUnsatisfied, "bad": store.RatingUnsatisfied, "3": store.RatingUnsatisfied,
}

// parseRating reads a rating as residents say it: 满意, 很满意, 还行, 一般,
// 差评, 👍 (any skin tone), 👎 …, alone or followed by more words after a
// space or punctuation (很满意，谢谢师傅). Only the first phrase is read, and
// only whole: 好像没修好 is not 好.
func parseRating(s string) (store.Rating, bool) {
	first := strings.FieldsFunc(bot.Normalize(s), func(r rune) bool {
		return unicode.IsSpace(r) || unicode.IsPunct(r)
	})
	if len(first) == 0 {
		return "", false
	}
	word := strings.ToLower(strings.Map(dropEmojiModifier, first[0]))
	if rt, ok := ratingWords[word]; ok {
		return rt, true
	}
	// 👍👍👍, 满意了 and 还可以吧 say no more than 👍, 满意 and 还可以.
	for _, trail := range []string{"了", "的", "啊", "呀", "吧", "哦", "啦", "了吧", "的吧"} {
		if rt, ok := ratingWords[strings.TrimSuffix(word, trail)]; ok && word != trail {
			return rt, true
		}
	}
	if r, size := utf8.DecodeRuneInString(word); size > 0 && strings.Trim(word, string(r)) == "" {
		rt, ok := ratingWords[string(r)]
		return rt, ok && (r == '👍' || r == '👎')
	}
	return "", false
}

// dropEmojiModifier removes skin tones and emoji variation selectors, so
// that 👍🏻 is 👍.
func dropEmojiModifier(r rune) rune {
	if r >= 0x1F3FB && r <= 0x1F3FF || r == 0xFE0F {
		return -1
	}
	return r
}

// parseRateArgs reads the arguments of 评价: a problem number and a rating,
// with or without a space between them (评价 12 满意, 评价 12满意, 评价 #12 👍).
func parseRateArgs(args string) (n int64, rating store.Rating, err error) {
	n, word, err := parseRefArg(args, "usage_rate")
	if err != nil {
		ref, rest := cutLeadingRef(strings.TrimSpace(args))
		if ref == "" || rest == "" {
			return 0, "", err
		}
		var err2 error
		if n, err2 = numerals.ParseRef(ref); err2 != nil {
			return 0, "", err
		}
		word = strings.TrimSpace(rest)
	}
	if word == "" {
		return 0, "", badForm("usage_rate", "needs_rating")
	}
	rating, ok := parseRating(word)
	if !ok {
		return 0, "", badForm("usage_rate", "unknown_rating", i18n.Args{"Word": clip(word)})
	}
	return n, rating, nil
}

// cutLeadingRef splits 12满意 into 12 and 满意: an optional # and the Arabic
// digits that follow it.
func cutLeadingRef(s string) (ref, rest string) {
	i := 0
	if strings.HasPrefix(s, "#") {
		i = 1
	}
	j := i
	for j < len(s) && s[j] >= '0' && s[j] <= '9' {
		j++
	}
	if j == i {
		return "", s
	}
	return s[:j], s[j:]
}
