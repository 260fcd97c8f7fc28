package handlers

import (
	"context"
	"time"

	"github.com/huzhu-station/huzhu/bot"
	"github.com/huzhu-station/huzhu/bot/store"
	"github.com/huzhu-station/huzhu/handlers/chart"
)

// Pictures in the chat: the monthly report, 统计 and 众筹 N send a chart
// with their text where the platform sends photos (Deps.Photos). The text
// always says everything, so a platform without photos (WeChat), or a
// chart that could not be drawn, loses nothing.

// chartMonths is how many months the chat's chart of problems reported and
// solved shows, up to the month asked about.
const chartMonths = 6

// sendsPhotos reports whether messages to platform carry pictures.
func (a *App) sendsPhotos(platform string) bool {
	return a.photos != nil && a.photos(platform)
}

// keepChart draws c as PNG and keeps it for the messages that send it,
// returning its name for bot.Outgoing.Image. When it cannot, it logs why
// and returns "": the text goes alone.
func (a *App) keepChart(ctx context.Context, c *chart.Chart) string {
	png, err := c.PNG()
	if err == nil {
		var name string
		if name, err = a.store.SaveImage(ctx, png); err == nil {
			return name
		}
	}
	a.log.Warn("chart not drawn; the text goes alone", "chart", c.Title, "err", err)
	return ""
}

// monthChart is station st's chart of problems reported and solved in the
// months up to month, kept, or "" when it could not be drawn.
func (a *App) monthChart(ctx context.Context, st *store.Station, month time.Time) string {
	f, err := chart.Load(ctx, a.store, []int64{st.ID}, month, chartMonths)
	if err != nil {
		a.log.Warn("chart figures not read; the text goes alone", "station", st.ID, "err", err)
		return ""
	}
	return a.keepChart(ctx, f.SolvedPerMonth(bot.LocaleFrom(ctx)))
}

// stationSendsPhotos reports whether any of station st's groups is on a
// platform that sends pictures, so a chart nobody would see is not drawn.
func (a *App) stationSendsPhotos(ctx context.Context, st *store.Station) bool {
	chats, err := a.store.StationChats(ctx, st.ID)
	if err != nil {
		return false
	}
	for _, c := range chats {
		if a.sendsPhotos(chatFromKey(c, bot.Group).Platform) {
			return true
		}
	}
	return false
}

// replyWithChart replies text in m's chat with the chart draw returns,
// drawn only where the platform sends photos.
func (a *App) replyWithChart(ctx context.Context, r bot.Responder, m *bot.Message, text string, draw func() string) error {
	out := bot.Outgoing{Chat: m.Chat, Text: text}
	if a.sendsPhotos(m.Chat.Platform) {
		out.Image = draw()
	}
	return r.Send(ctx, out)
}
