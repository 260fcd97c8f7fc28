package handlers

import (
	"errors"
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/huzhu-station/huzhu/bot"
	"github.com/huzhu-station/huzhu/bot/i18n"
	"github.com/huzhu-station/huzhu/bot/store"
)

func TestParseIssueFilter(t *testing.T) {
	tests := []struct {
		in   string
		want store.IssueFilter
		ok   bool
	}{
		{"", store.FilterOpen, true},
		{"  ", store.FilterOpen, true},
		{"open", store.FilterOpen, true},
		{"未办", store.FilterOpen, true},
		{"待办", store.FilterOpen, true},
		{"进行中", store.FilterOpen, true},
		{"mine", store.FilterMine, true},
		{"MY", store.FilterMine, true},
		{"我的", store.FilterMine, true},
		{"closed", store.FilterClosed, true},
		{"Done", store.FilterClosed, true},
		{"已办结", store.FilterClosed, true},
		{"办结", store.FilterClosed, true},
		{"all", store.FilterAll, true},
		{"全部", store.FilterAll, true},
		{"所有", store.FilterAll, true},
		{"昨天", "", false},
		{"open mine", "", false},
	}
	for _, tt := range tests {
		got, ok := parseIssueFilter(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("parseIssueFilter(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestParseIssueListArgs(t *testing.T) {
	tests := []struct {
		in     string
		filter store.IssueFilter
		page   int
		err    string // the error's sentence key; "" when it reads
	}{
		{"", store.FilterOpen, 1, ""},
		{"2", store.FilterOpen, 2, ""},
		{"二", store.FilterOpen, 2, ""},
		{"第2页", store.FilterOpen, 2, ""},
		{"第三页", store.FilterOpen, 3, ""},
		{"未办 2", store.FilterOpen, 2, ""},
		{"2 未办", store.FilterOpen, 2, ""},
		{"已办 十", store.FilterClosed, 10, ""},
		{"我的 第2页", store.FilterMine, 2, ""},
		{"all p3", store.FilterAll, 3, ""},
		{"全部", store.FilterAll, 1, ""},
		{"0", "", 0, "issues_bad_page"},
		{"第0页", "", 0, "issues_bad_page"},
		{"1001", "", 0, "issues_bad_page"},
		{"99999999999999999999", "", 0, "issues_bad_page"},
		{"2 3", "", 0, "issues_two_pages"},
		{"未办 已办", "", 0, "unknown_filter"},
		{"昨天", "", 0, "unknown_filter"},
		{"第页", "", 0, "unknown_filter"},
		{"-1", "", 0, "unknown_filter"},
	}
	for _, tt := range tests {
		filter, page, err := parseIssueListArgs(bot.Normalize(tt.in))
		var re *replyError
		switch {
		case tt.err == "" && err != nil:
			t.Errorf("parseIssueListArgs(%q): %v", tt.in, err)
		case tt.err != "" && (!errors.As(err, &re) || re.key != tt.err):
			t.Errorf("parseIssueListArgs(%q) error %v; want %s", tt.in, err, tt.err)
		case tt.err == "" && (filter != tt.filter || page != tt.page):
			t.Errorf("parseIssueListArgs(%q) = %s page %d; want %s page %d", tt.in, filter, page, tt.filter, tt.page)
		}
	}
}

func FuzzParseIssueListArgs(f *testing.F) {
	for _, s := range []string{"", "2", "未办 2", "我的 第二页", "全部 p3", "0", "2 3"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		filter, page, err := parseIssueListArgs(bot.Normalize(s))
		if err != nil {
			return
		}
		if _, ok := parseIssueFilter(string(filter)); !ok || page < 1 || page > maxIssuesPage {
			t.Fatalf("parseIssueListArgs(%q) = %q page %d", s, filter, page)
		}
	})
}

func TestParseOfficeLevel(t *testing.T) {
	tests := []struct {
		in   string
		want store.OfficeLevel
		ok   bool
	}{
		{"社区", store.Community, true},
		{"居委会", store.Community, true},
		{"Community", store.Community, true},
		{"街道", store.Subdistrict, true},
		{"SUBDISTRICT", store.Subdistrict, true},
		{"区政府", "", false},
		{"", "", false},
	}
	for _, tt := range tests {
		got, ok := parseOfficeLevel(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("parseOfficeLevel(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestCutMentions(t *testing.T) {
	li := bot.User{Platform: "telegram", ID: "42", Name: "李四"}
	wang := bot.User{Platform: "telegram", ID: "43", Name: "王五"}
	tests := []struct {
		name     string
		mentions []bot.User
		args     string
		rest     string
		users    []bot.User
	}{
		{"by name", []bot.User{li}, "@李四 副站长", "副站长", []bot.User{li}},
		{"by id", []bot.User{li}, "@42 副站长", "副站长", []bot.User{li}},
		{"mention last", []bot.User{li}, "remove 副站长 @李四", "remove 副站长", []bot.User{li}},
		{"two in text order", []bot.User{wang, li}, "@李四 @王五 值班", "值班", []bot.User{li, wang}},
		{"spelled differently falls back to all mentions", []bot.User{li}, "@Li 副站长", "副站长", []bot.User{li}},
		{"no mentions reported", nil, "@李四 副站长", "副站长", nil},
		{"bare at sign kept", []bot.User{li}, "@ 副站长", "@ 副站长", nil},
		{"at sign inside a word kept", []bot.User{li}, "a@b 副站长", "a@b 副站长", nil},
		{"no at words ignores mentions", []bot.User{li}, "3-2-301", "3-2-301", nil},
		{"empty", nil, "", "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := &bot.Message{Mentions: tt.mentions}
			rest, users := cutMentions(m, tt.args)
			if rest != tt.rest || !slices.Equal(users, tt.users) {
				t.Errorf("cutMentions(%q) = %q, %v; want %q, %v", tt.args, rest, users, tt.rest, tt.users)
			}
		})
	}
}

func TestSplitKey(t *testing.T) {
	tests := []struct{ key, platform, id string }{
		{"telegram:42", "telegram", "42"},
		{"wechat:wxid:abc", "wechat", "wxid:abc"},
		{"noplatform", "", "noplatform"},
	}
	for _, tt := range tests {
		if p, id := splitKey(tt.key); p != tt.platform || id != tt.id {
			t.Errorf("splitKey(%q) = %q, %q; want %q, %q", tt.key, p, id, tt.platform, tt.id)
		}
	}
}

// keyArgs says which arguments of which functions are catalogue keys.
var keyArgs = map[string][]int{
	"tr":          {1},    // tr(ctx, "key", args)
	"say":         {0},    // say("key", args)
	"badForm":     {0, 1}, // badForm("usage_x", "why", args)
	"parseRefArg": {1},    // parseRefArg(args, "usage_x")
	"noteStep":    {3},    // noteStep(ctx, r, m, "usage_x", kind)
}

// dynamicKeys are the keys built as "prefix" + value, with every value the
// code can put after the prefix.
func dynamicKeys() map[string][]string {
	strs := func(vs ...any) []string {
		out := make([]string, len(vs))
		for i, v := range vs {
			switch v := v.(type) {
			case store.Role:
				out[i] = string(v)
			case store.IssueStatus:
				out[i] = string(v)
			case store.Rating:
				out[i] = string(v)
			case store.IssueEventKind:
				out[i] = string(v)
			case store.OfficeLevel:
				out[i] = string(v)
			case store.IssueFilter:
				out[i] = string(v)
			case string:
				out[i] = v
			}
		}
		return out
	}
	roles := []string{string(store.RoleHead), "assignee", "reporter"} // needRole also names these
	for _, r := range store.AllRoles {
		roles = append(roles, string(r))
	}
	var sections []string
	for _, s := range helpTopics {
		if !slices.Contains(sections, s) {
			sections = append(sections, s)
		}
	}
	links := strs(string(store.LinkPoll), string(store.LinkMeeting), string(store.LinkFund), string(store.LinkShift))
	marked := append(slices.Clone(links), "dog", "incident")
	filters := strs(store.FilterOpen, store.FilterClosed, store.FilterMine, store.FilterAll)
	return map[string][]string{
		"cat_":           categoryNames(),
		"role_":          roles,
		"weekday_":       strs("0", "1", "2", "3", "4", "5", "6"),
		"weekday_short_": strs("0", "1", "2", "3", "4", "5", "6"),
		"status_":        strs(store.IssueOpen, store.IssueAccepted, store.IssueEscalated, store.IssueResolved, store.IssueClosed),
		"rating_":        strs(store.RatingSatisfied, store.RatingFair, store.RatingUnsatisfied),
		"event_": strs(store.EventReported, store.EventMeToo, store.EventAccepted, store.EventUpdate, store.EventResolved,
			store.EventRated, store.EventEscalated, store.EventReopened, store.EventPhoto, store.EventLinked,
			store.EventOfficeAccepted, store.EventOfficeUpdate, store.EventOfficeResolved, store.EventOfficeReturned),
		"event_outcome_":       strs(string(store.LinkPoll), string(store.LinkFund), string(store.LinkMeeting)),
		"thread_":              links,
		"ref_":                 marked,
		"link_":                links,
		"kind_":                marked,
		"office_":              strs(store.Community, store.Subdistrict),
		"office_state_":        {string(store.OfficeResolved), string(store.OfficeReturned)},
		"office_list_empty_":   strs(store.FilterOpen, store.FilterClosed, store.FilterAll),
		"office_list_header_":  strs(store.FilterOpen, store.FilterClosed, store.FilterAll),
		"office_done_":         strs(store.EventOfficeAccepted, store.EventOfficeUpdate, store.EventOfficeResolved, store.EventOfficeReturned),
		"office_reporter_":     strs(store.EventOfficeAccepted, store.EventOfficeUpdate, store.EventOfficeReturned),
		"office_station_":      strs(store.EventOfficeAccepted, store.EventOfficeUpdate, store.EventOfficeResolved, store.EventOfficeReturned),
		"office_event_":        strs(store.EventOfficeAccepted, store.EventOfficeUpdate, store.EventOfficeResolved, store.EventOfficeReturned),
		"meeting_reminder_":    {"eve", "hour"},
		"overdue_":             {overdueStaff, overdueHead},
		"issues_empty_":        filters,
		"issues_header_":       filters,
		"issues_page_command_": filters,
		"help_":                sections,
		"job_":                 jobKinds,
	}
}

// catalogueUse is a key, or a key prefix, found in the handlers' source.
type catalogueUse struct {
	key    string
	prefix bool
	pos    string
}

// catalogueUses parses the package's non-test files and returns the string
// literals passed where keyArgs says a catalogue key goes, and the literal
// prefixes of keys built with +.
func catalogueUses(t *testing.T) []catalogueUse {
	t.Helper()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	var uses []catalogueUse
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			fn, ok := call.Fun.(*ast.Ident)
			if !ok {
				if sel, isSel := call.Fun.(*ast.SelectorExpr); isSel {
					fn = sel.Sel // a.noteStep(...)
				} else {
					return true
				}
			}
			for _, i := range keyArgs[fn.Name] {
				if i >= len(call.Args) {
					continue
				}
				if u, ok := keyLiteral(call.Args[i]); ok {
					u.pos = fset.Position(call.Args[i].Pos()).String()
					uses = append(uses, u)
				}
			}
			return true
		})
	}
	return uses
}

// keyLiteral reads "key" or "prefix"+expr; anything else (a variable) is
// not checked here.
func keyLiteral(e ast.Expr) (catalogueUse, bool) {
	prefix := false
	if bin, ok := e.(*ast.BinaryExpr); ok && bin.Op == token.ADD {
		e, prefix = bin.X, true
	}
	lit, ok := e.(*ast.BasicLit)
	if !ok || lit.Kind != token.STRING {
		return catalogueUse{}, false
	}
	s, err := strconv.Unquote(lit.Value)
	if err != nil {
		return catalogueUse{}, false
	}
	return catalogueUse{key: s, prefix: prefix}, true
}

// TestCatalogueKeysExist fails when a handler names a sentence that is
// missing from a locale's catalogue, which would be shown to residents as
// the bare key.
func TestCatalogueKeysExist(t *testing.T) {
	uses := catalogueUses(t)
	if len(uses) < 50 {
		t.Fatalf("found only %d catalogue keys in the source; is the parser looking at the right calls?", len(uses))
	}
	dynamic := dynamicKeys()
	for _, locale := range i18n.Locales {
		keys := i18n.Keys(locale)
		if len(keys) == 0 {
			t.Fatalf("locale %s has no keys", locale)
		}
		has := func(k string) bool { _, ok := slices.BinarySearch(keys, k); return ok }
		for _, u := range uses {
			if !u.prefix {
				if !has(u.key) || !i18n.Has(locale, u.key) {
					t.Errorf("%s: key %q is missing from %s", u.pos, u.key, locale)
				}
				continue
			}
			values, ok := dynamic[u.key]
			if !ok {
				t.Errorf("%s: key built from prefix %q; add its values to dynamicKeys", u.pos, u.key)
				continue
			}
			for _, v := range values {
				if !has(u.key + v) {
					t.Errorf("%s: key %q is missing from %s", u.pos, u.key+v, locale)
				}
			}
		}
	}
}
