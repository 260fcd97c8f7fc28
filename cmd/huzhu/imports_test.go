package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// module is huzhu's module path; packages under it are "ours".
const module = "github.com/huzhu-station/huzhu"

// concretePlatforms are the adapters only cmd may know (DESIGN.md, Packages).
var concretePlatforms = []string{"bot/telegram", "bot/wechat", "bot/console"}

// valueReaders are the packages that read values out of what residents type;
// they know nothing of chats, stations or the store, so of ours they depend
// only on bot (for Normalize) and on each other.
var valueReaders = []string{"bot/numerals", "bot/calendar"}

// TestImportRules enforces the import rules of DESIGN.md on the packages as
// built (test files may import more): imports point toward bot, bot imports
// none of our packages, bot's subpackages import nothing of ours outside bot,
// the value readers import nothing but bot and each other, scheduler never
// imports handlers, and only cmd knows concrete platforms.
func TestImportRules(t *testing.T) {
	deps := ourDeps(t)
	for _, pkg := range []string{"bot", "bot/numerals", "bot/calendar", "bot/store", "handlers", "scheduler", "cmd/huzhu"} {
		if _, ok := deps[pkg]; !ok {
			t.Fatalf("go list did not list %s: %v", pkg, deps)
		}
	}
	for pkg, uses := range deps {
		for _, dep := range uses {
			if why := importRuleBroken(pkg, dep); why != "" {
				t.Errorf("%s depends on %s: %s", pkg, dep, why)
			}
		}
	}
}

// importRuleBroken says which rule of DESIGN.md pkg depending on dep breaks,
// or "" when it breaks none. Both are paths relative to the module.
func importRuleBroken(pkg, dep string) string {
	under := func(p, root string) bool { return p == root || strings.HasPrefix(p, root+"/") }
	switch {
	case pkg == "bot":
		return "bot imports none of huzhu's packages"
	case under(pkg, "bot") && !under(dep, "bot"):
		return "bot's subpackages import nothing of huzhu's outside bot"
	case slices.Contains(valueReaders, pkg) && dep != "bot" && !slices.Contains(valueReaders, dep):
		return "the value readers import nothing of huzhu's but bot and each other"
	case under(pkg, "scheduler") && under(dep, "handlers"):
		return "scheduler never imports handlers"
	case under(dep, "cmd"):
		return "nothing imports cmd"
	case !under(pkg, "cmd") && slices.ContainsFunc(concretePlatforms, func(p string) bool { return under(dep, p) && !under(pkg, p) }):
		return "only cmd knows concrete platforms"
	}
	return ""
}

func TestImportRuleBroken(t *testing.T) {
	for _, c := range []struct {
		pkg, dep string
		broken   bool
	}{
		{"bot", "bot/store", true},
		{"bot/store", "bot", false},
		{"bot/telegram", "bot/intake", false},
		{"bot/telegram", "handlers", true},
		{"bot/i18n", "scheduler", true},
		{"bot/telegram", "bot/wechat", true},
		{"bot/calendar", "bot/numerals", false},
		{"bot/numerals", "bot", false},
		{"bot/numerals", "bot/store", true},
		{"bot/calendar", "bot/i18n", true},
		{"bot/store", "bot/calendar", false},
		{"scheduler", "handlers", true},
		{"scheduler", "bot/store", false},
		{"handlers", "scheduler", false},
		{"handlers", "bot/console", true},
		{"handlers", "cmd/huzhu", true},
		{"cmd/huzhu", "handlers", false},
		{"cmd/huzhu", "bot/telegram", false},
	} {
		if got := importRuleBroken(c.pkg, c.dep) != ""; got != c.broken {
			t.Errorf("importRuleBroken(%q, %q) broken = %v, want %v", c.pkg, c.dep, got, c.broken)
		}
	}
}

// ourDeps lists, for every package of the module, the packages of ours it
// depends on directly or indirectly when built (test files excluded), as
// paths relative to the module.
func ourDeps(t *testing.T) map[string][]string {
	t.Helper()
	cmd := exec.Command("go", "list", "-deps=false", "-json=ImportPath,Deps", module+"/...")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, stderr.String())
	}
	rel := func(p string) (string, bool) {
		r, ok := strings.CutPrefix(p, module+"/")
		return r, ok
	}
	deps := map[string][]string{}
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p struct {
			ImportPath string
			Deps       []string
		}
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatalf("go list output: %v", err)
		}
		pkg, ok := rel(p.ImportPath)
		if !ok {
			continue
		}
		deps[pkg] = []string{}
		for _, d := range p.Deps {
			if r, ok := rel(d); ok {
				deps[pkg] = append(deps[pkg], r)
			}
		}
	}
	return deps
}
