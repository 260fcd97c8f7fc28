package handlers

import (
	"strings"
)

// Problem categories, as stored. Their names are in the catalogue as
// "cat_<category>".
var categories = []struct {
	name string
	// tags are what residents write in brackets: [绿化].
	tags []string
	// keywords found anywhere in a report suggest the category; the first
	// category with a match wins, so the more specific come first.
	keywords []string
}{
	{"leak", []string{"漏水", "渗水", "leak"}, []string{"漏水", "渗水", "滴水", "水管", "爆管", "返水", "leak"}},
	{"illegal_building", []string{"违建", "违章", "illegal"}, []string{"违建", "违章", "搭建", "加建", "封阳台"}},
	{"group_renting", []string{"群租"}, []string{"群租", "隔断", "合租"}},
	{"dogs", []string{"养犬", "犬", "狗", "dogs", "dog"}, []string{"养犬", "狗", "犬", "遛狗", "狗屎", "狗粪", "dog"}},
	{"garbage", []string{"垃圾", "garbage"}, []string{"垃圾", "分类", "垃圾桶", "garbage", "rubbish"}},
	{"greenery", []string{"绿化", "greenery"}, []string{"绿化", "树", "草坪", "草地", "花坛", "修剪", "tree"}},
	{"security", []string{"治安", "安全", "security"}, []string{"治安", "安全门", "门禁", "小偷", "被盗", "偷", "监控", "陌生人", "security"}},
	{"environment", []string{"环境", "卫生", "environment"}, []string{"环境", "卫生", "噪音", "油烟", "异味", "积水", "noise"}},
	{"other", []string{"其他", "其它", "other"}, nil},
}

// parseCategory finds a problem's category: a bracketed tag ([绿化]) wins and
// is removed from the text; otherwise keywords decide; otherwise "other".
func parseCategory(text string) (category, rest string) {
	if open := strings.Index(text, "["); open >= 0 {
		if end := strings.Index(text[open:], "]"); end > 0 {
			tag := strings.TrimSpace(text[open+1 : open+end])
			for _, c := range categories {
				for _, t := range c.tags {
					if strings.EqualFold(tag, t) {
						rest := strings.TrimSpace(text[:open] + " " + text[open+end+1:])
						return c.name, strings.Join(strings.Fields(rest), " ")
					}
				}
			}
		}
	}
	lower := strings.ToLower(text)
	for _, c := range categories {
		for _, k := range c.keywords {
			if strings.Contains(lower, k) {
				return c.name, text
			}
		}
	}
	return "other", text
}

// Categories returns the names of the problem categories as stored
// ("leak"), in the order they are matched; their names for people are
// "cat_<name>" in the catalogue. The open data feed lists them as services.
func Categories() []string {
	names := make([]string, len(categories))
	for i, c := range categories {
		names[i] = c.name
	}
	return names
}
