package handlers

import (
	"strings"
	"testing"
)

func TestParseIncidentArgs(t *testing.T) {
	tests := []struct {
		in     string
		action int
		rest   string
	}{
		{"3幢门口有狗没牵绳", incidentLog, "3幢门口有狗没牵绳"},
		{"3 号楼有狗没牵绳", incidentLog, "3 号楼有狗没牵绳"},
		{"list", incidentList, ""},
		{"列表", incidentList, ""},
		{"记录 今天很好", incidentLog, "记录 今天很好"},
		{"转报事 3", incidentReport, "3"},
		{"report #3", incidentReport, "#3"},
		{"3 转报事", incidentReport, "3"},
		{"#3 report", incidentReport, "#3"},
		{"3 报事 太多了", incidentLog, "3 报事 太多了"},
		{"", incidentLog, ""},
	}
	for _, tt := range tests {
		action, rest := parseIncidentArgs(tt.in)
		if action != tt.action || rest != tt.rest {
			t.Errorf("parseIncidentArgs(%q) = %d, %q; want %d, %q", tt.in, action, rest, tt.action, tt.rest)
		}
	}
}

func FuzzParseIncidentArgs(f *testing.F) {
	for _, s := range []string{"3幢门口有狗没牵绳", "转报事 3", "3 转报事", "list", "report"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		action, rest := parseIncidentArgs(s)
		if action == incidentLog && rest != strings.TrimSpace(s) {
			t.Fatalf("parseIncidentArgs(%q) logs %q, not the text", s, rest)
		}
	})
}
