package handlers

import (
	"testing"

	"github.com/huzhu-station/huzhu/bot/store"
)

func TestParseRole(t *testing.T) {
	tests := []struct {
		in   string
		want store.Role
		ok   bool
	}{
		{"副站长", store.RoleDeputy, true},
		{"Deputy", store.RoleDeputy, true},
		{"楼组长", store.RoleLeader, true},
		{"楼长", store.RoleLeader, true},
		{"楼道长", store.RoleLeader, true},
		{"leader", store.RoleLeader, true},
		{"值班", store.RoleDuty, true},
		{"值班人员", store.RoleDuty, true},
		{"值班员", store.RoleDuty, true},
		{"DUTY", store.RoleDuty, true},
		{"队长", store.RoleTeamLead, true},
		{"teamlead", store.RoleTeamLead, true},
		{"lead", store.RoleTeamLead, true},
		// Nobody is appointed head: the head is who created the station.
		{"站长", "", false},
		{"head", "", false},
		{"", "", false},
		{" 副站长", "", false},
	}
	for _, tt := range tests {
		got, ok := parseRole(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("parseRole(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
	// Every role a head may appoint can be typed by its stored name.
	for _, r := range store.AllRoles {
		if got, ok := parseRole(string(r)); !ok || got != r {
			t.Errorf("parseRole(%q) = %q, %v; want the role itself", r, got, ok)
		}
	}
}
