package handlers

import (
	"context"
	"strings"
	"time"

	"github.com/huzhu-station/huzhu/bot"
	"github.com/huzhu-station/huzhu/bot/i18n"
	"github.com/huzhu-station/huzhu/bot/store"
)

// Web links: `本站 网页` gives the station head the station's public page,
// `网页` gives anyone else their own page, privately. The pages themselves
// are served by package handlers/web; what each kind of link shows is said
// there.

// ResidentLinkDays is how long a resident's personal link works.
const ResidentLinkDays = 7

// WebLinkPath is the path of the page a token opens, under the public base
// URL: "/w/TOKEN/".
func WebLinkPath(token string) string { return "/w/" + token + "/" }

// webURL returns the absolute address of token's page.
func (a *App) webURL(token string) string {
	return strings.TrimRight(a.webBase, "/") + WebLinkPath(token)
}

// isReset reports whether a subcommand word asks to revoke links.
func isReset(word string) bool {
	switch strings.ToLower(word) {
	case "重置", "reset", "作废", "失效":
		return true
	}
	return false
}

// stationWeb serves `本站 网页 [重置]`: the head gets a link to the
// station's public page, privately; 重置 ends every earlier one first.
func (a *App) stationWeb(ctx context.Context, r bot.Responder, rest string) error {
	if a.webBase == "" {
		return sayPrivately("web_off")
	}
	st, _, err := requireAny(ctx)
	if err != nil {
		return err
	}
	switch {
	case rest == "":
	case isReset(rest):
		if _, err := a.store.RevokeWebLinks(ctx, store.WebLink{Kind: store.WebStation, Station: st.ID}); err != nil {
			return err
		}
	default:
		return badForm("usage_station_web", "unknown_subcommand", i18n.Args{"Word": clip(rest)})
	}
	token, err := a.store.IssueWebLink(ctx, store.WebLink{Kind: store.WebStation, Station: st.ID}, a.now())
	if err != nil {
		return err
	}
	key := "web_station_link"
	if rest != "" {
		key = "web_station_reset"
	}
	return r.ReplyPrivately(ctx, tr(ctx, key, i18n.Args{"Name": st.Name, "URL": a.webURL(token)}))
}

// web serves `网页` (/web): a link of one's own, privately, never in a
// group: an administrator's shows every station, a member of staff's what
// staff may see, a resident's lets them act from the page for
// ResidentLinkDays. `网页 重置` ends all of one's links.
func (a *App) web(ctx context.Context, r bot.Responder, m *bot.Message) error {
	if a.webBase == "" {
		return sayPrivately("web_off")
	}
	link, err := a.personalLink(ctx, m.Sender)
	if err != nil {
		return err
	}
	switch word := strings.TrimSpace(m.Args); {
	case word == "":
	case isReset(word):
		n, err := a.store.RevokeWebLinks(ctx, link)
		if err != nil {
			return err
		}
		return r.ReplyPrivately(ctx, tr(ctx, "web_reset", i18n.Args{"N": n}))
	default:
		return badForm("usage_web", "unknown_subcommand", i18n.Args{"Word": clip(word)})
	}
	token, err := a.store.IssueWebLink(ctx, link, a.now())
	if err != nil {
		return err
	}
	key := map[store.WebKind]string{store.WebAdmin: "web_admin_link", store.WebStaff: "web_staff_link",
		store.WebResident: "web_resident_link"}[link.Kind]
	text := tr(ctx, key, i18n.Args{"URL": a.webURL(token), "Days": ResidentLinkDays})
	if link.Kind == store.WebAdmin || !strings.HasPrefix(a.webBase, "https://") {
		return r.ReplyPrivately(ctx, text)
	}
	// On Telegram the page also opens inside the chat, as a Mini App
	// (MiniAppPath), which needs https.
	return r.ReplyPrivately(ctx, text, []bot.Button{{Label: tr(ctx, "web_open_button"), WebApp: strings.TrimRight(a.webBase, "/") + MiniAppPath}})
}

// MiniAppPath is the path of the Telegram Mini App's page under the public
// base URL, which the 打开网页 button opens.
const MiniAppPath = "/tg"

// personalLink is the link u gets from `网页`: an administrator's, staff's
// (anyone the station gave a role), or a resident's, which expires.
func (a *App) personalLink(ctx context.Context, u bot.User) (store.WebLink, error) {
	if a.isAdmin(u) {
		return store.WebLink{Kind: store.WebAdmin, User: u.Key(), Name: u.Name}, nil
	}
	st, err := needStation(ctx)
	if err != nil {
		return store.WebLink{}, err
	}
	l := store.WebLink{Kind: store.WebResident, Station: st.ID, User: u.Key(), Name: u.Name}
	if me := sessionFrom(ctx).member(); me != nil && len(me.Roles) > 0 {
		l.Kind = store.WebStaff
		return l, nil
	}
	l.Expires = a.now().Add(ResidentLinkDays * 24 * time.Hour)
	return l, nil
}

// WebBase is the public address the web pages are reached at, without a
// trailing slash ("" when they are not served).
func (a *App) WebBase() string { return strings.TrimRight(a.webBase, "/") }
