package handlers

import (
	"context"
	"strings"

	"github.com/huzhu-station/huzhu/bot"
	"github.com/huzhu-station/huzhu/bot/i18n"
	"github.com/huzhu-station/huzhu/bot/numerals"
)

// listText is a list reply: header, then line(x) for each of items, then
// each of tail that is not empty, one to a line.
func listText[T any](header string, items []T, line func(T) string, tail ...string) string {
	var b strings.Builder
	b.WriteString(header)
	for _, x := range items {
		b.WriteString("\n" + line(x))
	}
	for _, t := range tail {
		if t != "" {
			b.WriteString("\n" + t)
		}
	}
	return b.String()
}

// moreLine is the line under a list cut to shown of total entries, written
// by key; "" when nothing was left out.
func moreLine(ctx context.Context, key string, shown int, total int64) string {
	if total <= int64(shown) {
		return ""
	}
	return tr(ctx, key, i18n.Args{"Shown": shown, "Total": total})
}

// groupListMax is how many entries a list without pages (campaigns, open
// polls, upcoming meetings) shows, so it stays short in a busy group.
const groupListMax = 10

// newest keeps the last max of items, which are oldest first.
func newest[T any](items []T, max int) []T {
	return items[len(items)-min(len(items), max):]
}

// soonest keeps the first max of items, which are soonest first.
func soonest[T any](items []T, max int) []T {
	return items[:min(len(items), max)]
}

// roomName shows a room the way the reader's language writes it:
// 3幢2单元301, or 3-2-301 in English.
func roomName(ctx context.Context, room numerals.Room) string {
	return i18n.Room(bot.LocaleFrom(ctx), room.Building, room.Unit, room.Number)
}

// roomKeyText shows a stored household key (3-2-301) as roomName does.
func roomKeyText(ctx context.Context, key string) string {
	if room, err := numerals.ParseRoom(key); err == nil {
		return roomName(ctx, room)
	}
	return key
}
