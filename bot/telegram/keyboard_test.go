package telegram

import (
	"testing"

	"github.com/huzhu-station/huzhu/bot"
)

// TestKeyboardWebApp: a button with an https page opens it as a Mini App;
// one with any other address is dropped, as a button too long for a
// callback is.
func TestKeyboardWebApp(t *testing.T) {
	kb := keyboard([][]bot.Button{
		{{Label: "打开网页", WebApp: "https://huzhu.example.org/tg"}},
		{{Label: "http", WebApp: "http://127.0.0.1:8080/tg"}},
		{{Label: "满意", Data: "评价 1 满意"}},
	})
	if kb == nil || len(kb.InlineKeyboard) != 2 {
		t.Fatalf("keyboard = %+v; want two rows", kb)
	}
	first := kb.InlineKeyboard[0][0]
	if first.WebApp == nil || first.WebApp.URL != "https://huzhu.example.org/tg" || first.CallbackData != "" {
		t.Errorf("web app button = %+v", first)
	}
	if second := kb.InlineKeyboard[1][0]; second.CallbackData != "评价 1 满意" || second.WebApp != nil {
		t.Errorf("callback button = %+v", second)
	}
}
