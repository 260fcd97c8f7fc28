// Package i18n holds every sentence huzhu says, in an embedded catalogue per
// locale (zh-CN, the default, and en), and renders them with named
// arguments. It imports only package bot of huzhu's packages.
package i18n

import (
	"embed"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"

	"github.com/BurntSushi/toml"
	goi18n "github.com/nicksnyder/go-i18n/v2/i18n"
	"golang.org/x/text/language"

	"github.com/huzhu-station/huzhu/bot"
)

// files holds one folder per locale, one TOML file per domain in it
// (core.toml, funds.toml, …), so each domain keeps its sentences together.
//
//go:embed locales
var files embed.FS

// Args are the named values a sentence's template refers to as {{.Name}}.
type Args map[string]any

// Locales are the supported reply languages, the default first.
var Locales = []string{bot.DefaultLocale, "en"}

// catalogues holds each locale's sentences by key: plain and field-only
// texts compiled when loaded (see compiled.go), the rest as go-i18n
// templates, parsed on first use.
var catalogues = load()

func load() map[string]map[string]*sentence {
	b := goi18n.NewBundle(language.MustParse(bot.DefaultLocale))
	b.RegisterUnmarshalFunc("toml", toml.Unmarshal)
	all := map[string]map[string]*sentence{}
	for _, l := range Locales {
		all[l] = map[string]*sentence{}
		for _, f := range localeFiles(l) {
			// go-i18n takes the language from the file name, so each file
			// is parsed under its locale explicitly.
			raw, err := files.ReadFile(f)
			var mf *goi18n.MessageFile
			if err == nil {
				mf, err = b.ParseMessageFileBytes(raw, l+"/"+path.Base(f[:len(f)-len(".toml")])+"."+l+".toml")
			}
			if err != nil {
				// The catalogues are compiled in, so this is caught by any test.
				panic(fmt.Sprintf("i18n: %s: %v", f, err))
			}
			for _, m := range mf.Messages {
				all[l][m.ID] = newSentence(goi18n.NewMessageTemplate(m))
			}
		}
	}
	return all
}

// T renders the sentence key in locale with args. An unknown locale falls
// back to the default, and so does a key the locale lacks; an unknown key
// renders as the key itself, which the catalogue tests forbid, and so
// does a sentence whose arguments cannot be printed.
//
// A sentence compiled at load time is rendered by appending its parts;
// any other is executed by go-i18n. Both print the same.
func T(locale, key string, args ...Args) string {
	s := catalogues[locale][key]
	if s == nil {
		s = catalogues[bot.DefaultLocale][key]
	}
	if s == nil {
		return key
	}
	var data Args
	if len(args) > 0 {
		data = args[0]
	}
	out, ok := s.say(data)
	if !ok {
		return key
	}
	return out
}

// say renders the sentence with data, compiled or through go-i18n, and
// returns false when it cannot be rendered.
func (s *sentence) say(data Args) (string, bool) {
	if s.compiled {
		return s.render(data)
	}
	return s.execute(data)
}

// execute renders the sentence through go-i18n, whatever its form.
func (s *sentence) execute(data Args) (string, bool) {
	// The catalogues give one text a sentence, go-i18n's plural form
	// "other"; neither Chinese nor huzhu's English needs others.
	out, err := s.template.Execute("other", data, nil)
	if err != nil {
		return "", false
	}
	return out, true
}

// Room writes a household's room the way locale's readers write it:
// 3幢2单元301 (3-2-301 in English), or 3幢301 (3-301) for a building
// without units.
func Room(locale, building, unit, number string) string {
	args := Args{"Building": building, "Unit": unit, "Number": number}
	if unit == "" {
		return T(locale, "room_no_unit", args)
	}
	return T(locale, "room", args)
}

// Has reports whether key exists in locale's catalogue.
func Has(locale, key string) bool {
	_, found := slices.BinarySearch(keyIndex[locale], key)
	return found
}

// Keys returns every key of locale's catalogue, sorted.
func Keys(locale string) []string { return slices.Clone(keyIndex[locale]) }

// keyIndex holds each locale's keys, sorted, read once from the embedded
// files.
var keyIndex = indexKeys()

func indexKeys() map[string][]string {
	idx := map[string][]string{}
	for _, l := range Locales {
		var keys []string
		for _, f := range localeFiles(l) {
			raw, err := files.ReadFile(f)
			if err != nil {
				panic(fmt.Sprintf("i18n: %s: %v", f, err))
			}
			var m map[string]any
			if _, err := toml.Decode(string(raw), &m); err != nil {
				panic(fmt.Sprintf("i18n: %s: %v", f, err))
			}
			for k := range m {
				keys = append(keys, k)
			}
		}
		slices.Sort(keys)
		idx[l] = keys
	}
	return idx
}

// localeFiles returns the catalogue files of locale, sorted.
func localeFiles(locale string) []string {
	names, _ := fs.Glob(files, "locales/"+locale+"/*.toml")
	return names
}

// ParseLocale reads the language a person asks for (/lang en, 语言 中文) and
// returns the locale, or false when it is not one huzhu speaks.
func ParseLocale(s string) (string, bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "zh", "zh-cn", "zh_cn", "cn", "中文", "汉语", "简体", "简体中文", "chinese":
		return "zh-CN", true
	case "en", "en-us", "en-gb", "english", "英文", "英语":
		return "en", true
	}
	return "", false
}
