package handlers

import (
	"slices"
	"testing"
)

func TestParseCategory(t *testing.T) {
	tests := []struct {
		name     string
		text     string
		category string
		rest     string
	}{
		{"tag wins and is removed", "[绿化] 楼下的树倒了", "greenery", "楼下的树倒了"},
		{"tag in the middle", "楼下 [垃圾] 没人收", "garbage", "楼下 没人收"},
		{"tag at the end", "楼下没人收垃圾[环境]", "environment", "楼下没人收垃圾"},
		{"tag beats keywords", "[治安] 楼道漏水", "security", "楼道漏水"},
		{"tag with spaces", "[ 群租 ] 301 住了十个人", "group_renting", "301 住了十个人"},
		{"English tag any case", "[Dogs] barking all night", "dogs", "barking all night"},
		{"tag other", "[其他] 路灯不亮", "other", "路灯不亮"},
		{"tag alone", "[漏水]", "leak", ""},
		{"unknown tag kept, keywords decide", "[紧急] 水管爆了", "leak", "[紧急] 水管爆了"},
		{"unclosed tag", "[绿化 树倒了", "greenery", "[绿化 树倒了"},
		{"brackets reversed", "]绿化[ 路灯", "greenery", "]绿化[ 路灯"},
		{"empty tag", "[] 楼道漏水", "leak", "[] 楼道漏水"},
		{"only the first tag is read", "[未知] [绿化] 树", "greenery", "[未知] [绿化] 树"},
		{"keyword leak", "3栋楼道漏水了", "leak", "3栋楼道漏水了"},
		{"keyword illegal building", "顶楼在搭建阳光房", "illegal_building", "顶楼在搭建阳光房"},
		{"keyword dogs", "遛狗不牵绳", "dogs", "遛狗不牵绳"},
		{"keyword garbage", "垃圾桶满了", "garbage", "垃圾桶满了"},
		{"keyword security", "车库门禁坏了", "security", "车库门禁坏了"},
		{"keyword environment", "晚上噪音太大", "environment", "晚上噪音太大"},
		{"keyword English upper case", "LEAK in the basement", "leak", "LEAK in the basement"},
		{"more specific first", "水管漏水把垃圾泡了", "leak", "水管漏水把垃圾泡了"},
		{"no keyword", "路灯不亮", "other", "路灯不亮"},
		{"empty", "", "other", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			category, rest := parseCategory(tt.text)
			if category != tt.category || rest != tt.rest {
				t.Errorf("parseCategory(%q) = %q, %q; want %q, %q", tt.text, category, rest, tt.category, tt.rest)
			}
		})
	}
}

// TestCategoryTagsUnique guards against one tag naming two categories, where
// the order of the table would silently decide.
func TestCategoryTagsUnique(t *testing.T) {
	seen := map[string]string{}
	for _, c := range categories {
		for _, tag := range c.tags {
			if other, ok := seen[tag]; ok {
				t.Errorf("tag %q names both %s and %s", tag, other, c.name)
			}
			seen[tag] = c.name
		}
	}
}

func categoryNames() []string {
	names := make([]string, len(categories))
	for i, c := range categories {
		names[i] = c.name
	}
	return names
}

func FuzzParseCategory(f *testing.F) {
	for _, s := range []string{
		"[绿化] 楼下的树倒了", "楼道漏水", "[", "]", "[]", "[[绿化]]", "[ 群租 ]x", "\xff[漏水]\xfe",
		"[漏水]\u3000\u3000楼道", "LEAK", "路灯不亮", "",
	} {
		f.Add(s)
	}
	names := categoryNames()
	f.Fuzz(func(t *testing.T, text string) {
		category, rest := parseCategory(text)
		if !slices.Contains(names, category) {
			t.Errorf("parseCategory(%q) category %q is not a known one", text, category)
		}
		if len(rest) > len(text) {
			t.Errorf("parseCategory(%q) rest %q is longer than the input", text, rest)
		}
	})
}
