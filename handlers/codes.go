package handlers

import (
	"context"
	"errors"
	"slices"
	"strings"

	"github.com/huzhu-station/huzhu/bot"
	"github.com/huzhu-station/huzhu/bot/i18n"
	"github.com/huzhu-station/huzhu/bot/numerals"
	"github.com/huzhu-station/huzhu/bot/store"
)

// Household codes (住户码) let a household act from the station's web page
// when no bot is in its group (store/codes.go). The head or a building's
// leader gets them here, always privately: a code is a household's key.

// codes serves /codes BUILDING [reissue] and /codes ROOM reissue|revoke
// (住户码 3幢, 住户码 3幢1201 重发, 住户码 3幢1201 作废).
func (a *App) codes(ctx context.Context, r bot.Responder, m *bot.Message) error {
	st, me, err := requireAny(ctx, store.RoleLeader)
	if err != nil {
		return err
	}
	req, err := parseCodes(m.Args)
	switch {
	case errors.Is(err, errCodesNoPlace):
		return badForm("usage_codes", "codes_needs_building")
	case errors.Is(err, errCodesRevokeRoom):
		return badForm("usage_codes", "codes_revoke_needs_room")
	case err != nil:
		return badForm("usage_codes", "bad_room", i18n.Args{"Text": clip(m.Args)})
	}
	if !me.Has(store.RoleHead) && !me.LeadsBuilding(req.Building) {
		return say("codes_not_your_building", i18n.Args{"Building": req.Building})
	}
	if req.Room != nil {
		return a.roomCode(ctx, r, st, *req.Room, req.Action)
	}
	issued, err := a.store.IssueHouseholdCodes(ctx, st.ID, req.Building, req.Action == codesReissue, a.now())
	if err != nil {
		return err
	}
	statuses, err := a.store.CodeStatuses(ctx, st.ID, req.Building)
	if err != nil {
		return err
	}
	if len(statuses) == 0 {
		return r.ReplyPrivately(ctx, tr(ctx, "codes_no_households", i18n.Args{"Building": req.Building}))
	}
	return r.ReplyPrivately(ctx, codesList(ctx, req.Building, issued, statuses))
}

// roomCode re-issues or revokes one household's code.
func (a *App) roomCode(ctx context.Context, r bot.Responder, st *store.Station, room numerals.Room, act codesAction) error {
	args := i18n.Args{"Room": roomName(ctx, room)}
	if act == codesRevoke {
		revoked, err := a.store.RevokeHouseholdCode(ctx, st.ID, room)
		if err != nil {
			return err
		}
		if !revoked {
			return r.ReplyPrivately(ctx, tr(ctx, "codes_none_to_revoke", args))
		}
		return r.ReplyPrivately(ctx, tr(ctx, "codes_revoked", args))
	}
	issued, err := a.store.ReissueHouseholdCode(ctx, st.ID, room, a.now())
	if errors.Is(err, store.ErrRoomUnknown) {
		return sayPrivately("codes_room_unknown", args)
	}
	if err != nil {
		return err
	}
	return r.ReplyPrivately(ctx, codesList(ctx, room.Building, []store.IssuedCode{issued}, nil))
}

// codesList is the private answer: room → code for the codes just issued
// (the only time they are shown), which households of the building
// (statuses, nil for one household's answer) kept the code they had, and
// where the slips are printed.
func codesList(ctx context.Context, building string, issued []store.IssuedCode, statuses []store.CodeStatus) string {
	var kept []string
	for _, c := range statuses {
		if c.Live && !slices.ContainsFunc(issued, func(i store.IssuedCode) bool { return i.Room == c.Room }) {
			kept = append(kept, roomName(ctx, c.Room))
		}
	}
	keptLine := ""
	if len(kept) > 0 {
		more := max(len(kept)-maxKeptRooms, 0)
		keptLine = tr(ctx, "codes_kept", i18n.Args{"Count": len(kept),
			"Rooms": strings.Join(kept[:len(kept)-more], tr(ctx, "list_sep")), "More": more})
	}
	if len(issued) == 0 {
		return tr(ctx, "codes_all_live", i18n.Args{"Building": building, "Count": len(kept)}) + "\n" + keptLine
	}
	var b strings.Builder
	b.WriteString(tr(ctx, "codes_header", i18n.Args{"Building": building, "Count": len(issued)}))
	for _, c := range issued {
		b.WriteString("\n  " + tr(ctx, "codes_line", i18n.Args{"Room": roomName(ctx, c.Room),
			"Code": store.FormatHouseholdCode(c.Code)}))
	}
	if keptLine != "" {
		b.WriteString("\n" + keptLine)
	}
	b.WriteString("\n" + tr(ctx, "codes_footer", i18n.Args{"Building": building}))
	return b.String()
}

// maxKeptRooms bounds the rooms named as keeping their code.
const maxKeptRooms = 40

// RedeemCode signs a phone of the station's web page in with a household
// code (typed, or read from a slip's QR code). clientKey names who is trying
// (the client's IP address), for the limit on wrong codes. The code is the
// household's consent: the person returned (store.WebUser) is a member of
// the household, so a bot.Message from them, in their private chat
// (User.PrivateChat), runs every command with the household's rules: one
// vote per household, pledges that are the household's. Errors are
// store.ErrCodeUnknown (wrong, revoked or replaced) and
// store.ErrCodeLimited (too many wrong codes: wait CodeFailWindow).
func (a *App) RedeemCode(ctx context.Context, code, clientKey string) (*store.Redemption, error) {
	return a.store.RedeemCode(ctx, code, clientKey, a.now())
}

// WebHousehold returns the station and household a phone that remembered
// a code acts for, or store.ErrCodeUnknown once its code was revoked or
// re-issued: the web page checks it before every action.
func (a *App) WebHousehold(ctx context.Context, u bot.User) (int64, numerals.Room, error) {
	return a.store.WebHousehold(ctx, u)
}
