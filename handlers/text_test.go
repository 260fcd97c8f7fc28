package handlers

import "testing"

func TestShareBar(t *testing.T) {
	for _, tt := range []struct {
		part, whole int64
		want        string
	}{
		{0, 100, "░░░░░░░░░░"}, {55, 100, "█████░░░░░"}, {100, 100, "██████████"}, {150, 100, "██████████"}, {5, 0, "██████████"},
	} {
		if got := shareBar(tt.part, tt.whole); got != tt.want {
			t.Errorf("shareBar(%d, %d) = %s; want %s", tt.part, tt.whole, got, tt.want)
		}
	}
}

func TestClipN(t *testing.T) {
	tests := []struct {
		in   string
		n    int
		want string
	}{
		{"楼道漏水", 4, "楼道漏水"},
		{"楼道漏水了", 4, "楼道漏水…"},
		{"", 3, ""},
		{"abc", 0, "…"},
	}
	for _, tt := range tests {
		if got := clipN(tt.in, tt.n); got != tt.want {
			t.Errorf("clipN(%q, %d) = %q; want %q", tt.in, tt.n, got, tt.want)
		}
	}
}
