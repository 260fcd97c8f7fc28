package handlers

import (
	"slices"
	"testing"
)

func TestNewestAndSoonest(t *testing.T) {
	items := []int{1, 2, 3, 4, 5}
	for _, c := range []struct {
		max             int
		newest, soonest []int
	}{
		{3, []int{3, 4, 5}, []int{1, 2, 3}},
		{5, items, items},
		{10, items, items},
		{0, []int{}, []int{}},
	} {
		if got := newest(items, c.max); !slices.Equal(got, c.newest) {
			t.Errorf("newest(%d) = %v; want %v", c.max, got, c.newest)
		}
		if got := soonest(items, c.max); !slices.Equal(got, c.soonest) {
			t.Errorf("soonest(%d) = %v; want %v", c.max, got, c.soonest)
		}
	}
}
