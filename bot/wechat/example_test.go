package wechat_test

import (
	"context"
	"log/slog"
	"os"

	"github.com/huzhu-station/huzhu/bot"
	"github.com/huzhu-station/huzhu/bot/store"
	"github.com/huzhu-station/huzhu/bot/wechat"
)

// ExampleNew wires the platform as cmd does: the store keeps its session and
// identities, the store's chat records say which groups are served, and
// alerts go through the Dispatcher to an admin chat on Telegram. The
// platform paces its own sends, so the Dispatcher gets it unwrapped.
func ExampleNew() {
	var st *store.Store // store.New(rdb)
	d := bot.NewDispatcher(slog.Default())
	admin := bot.Chat{Platform: "telegram", ID: "-1001234", Kind: bot.Group}
	wx := wechat.New(wechat.Options{
		Store: st,
		Chats: wechat.ChatLookupFunc(func(ctx context.Context, chatKey string) (bool, error) {
			rec, err := st.Chat(ctx, chatKey)
			if err != nil {
				return false, err
			}
			return rec.Station != 0 || rec.Office != "", nil
		}),
		QR:        os.Stdout,
		Alert:     d,
		AlertChat: &admin,
		Log:       slog.Default().With("component", "wechat"),
	})
	d.Add(wx.Name(), wx, wx)
	// go wx.Run(ctx, receiver)
}
