package store

import (
	"math/rand/v2"
	"reflect"
	"testing"
	"time"
)

// hashOf is what HSET fields leave in a hash that held h.
func hashOf(h map[string]string, fields []any) map[string]string {
	out := map[string]string{}
	for k, v := range h {
		out[k] = v
	}
	for i := 0; i < len(fields); i += 2 {
		out[fields[i].(string)] = fieldText(fields[i+1])
	}
	return out
}

// randomIssue is a problem with each field set or left empty at random,
// but for when it was made and last changed, which every problem has.
func randomIssue(r *rand.Rand) *Issue {
	pick := func(s ...string) string { return s[r.IntN(len(s))] }
	at := func() time.Time { return time.UnixMilli(1_790_000_000_000 + r.Int64N(1e9)) }
	when := func() time.Time {
		if r.IntN(2) == 0 {
			return time.Time{}
		}
		return at()
	}
	is := &Issue{Station: 3, N: r.Int64N(3), Text: pick("", "楼道灯坏了", "x"), Category: pick("", "light"),
		Status: IssueStatus(pick("", "open", "closed")), Reporter: pick("", "console:u1"), ReporterName: pick("", "王阿姨"),
		ReportChat: pick("", "console:g1"), Anonymous: r.IntN(2) == 0, Confidential: r.IntN(2) == 0,
		Assignee: pick("", "console:u2"), AssigneeName: pick("", "李"), EscalatedTo: OfficeLevel(pick("", "community")),
		Rating: Rating(pick("", "good")), Supporters: r.Int64N(3), Created: at(), Updated: at(), // never zero
		ResolvedAt: when(), RatedAt: when(), EscalatedAt: when(), Office: OfficeState(pick("", "pending")),
		OfficeAt: when(), OfficeHandler: pick("", "console:o1"), OfficeHandlerName: pick("", "赵"),
		ResolvedBy: OfficeLevel(pick("", "street"))}
	if r.IntN(2) == 0 {
		is.Photos = []string{"p1", "p2"}
	}
	return is
}

// TestIssueChanges: a problem written as its changes (from nothing, or
// from the problem stored before) reads back as the problem, exactly as
// when every field is written; a new problem writes fewer fields.
func TestIssueChanges(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 11))
	for range 2000 {
		before, after := randomIssue(r), randomIssue(r)
		want := issueFromHash(3, hashOf(nil, issueFields(after)))
		if got := issueFromHash(3, hashOf(nil, issueChanges(&Issue{}, after))); !reflect.DeepEqual(got, want) {
			t.Fatalf("new problem written as its changes reads back as\n%+v\nwant\n%+v", got, want)
		}
		stored := hashOf(nil, issueFields(before))
		if got := issueFromHash(3, hashOf(stored, issueChanges(before, after))); !reflect.DeepEqual(got, want) {
			t.Fatalf("changed problem reads back as\n%+v\nwant\n%+v", got, want)
		}
		// A hash written as changes only is as good a "before".
		sparse := hashOf(nil, issueChanges(&Issue{}, before))
		if got := issueFromHash(3, hashOf(sparse, issueChanges(before, after))); !reflect.DeepEqual(got, want) {
			t.Fatalf("changed sparse problem reads back as\n%+v\nwant\n%+v", got, want)
		}
	}
	fresh := &Issue{N: 1, Text: "楼道灯坏了", Category: "other", Status: IssueOpen, Reporter: "console:u1",
		ReporterName: "王阿姨", ReportChat: "console:g1", Created: time.UnixMilli(1), Updated: time.UnixMilli(1)}
	if n, all := len(issueChanges(&Issue{}, fresh))/2, len(issueFields(fresh))/2; n != 9 || all != 25 {
		t.Errorf("a new problem writes %d of %d fields; want 9 of 25", n, all)
	}
}
