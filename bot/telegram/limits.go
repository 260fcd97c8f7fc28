package telegram

import (
	"time"

	"github.com/huzhu-station/huzhu/bot"
)

// Limits are the Bot API's published limits, for bot.NewPacer: about 30
// messages a second overall, 20 a minute in one group, one a second in one
// private chat.
var Limits = bot.Limits{
	PerSecond:        30,
	Burst:            30,
	PerChat:          20,
	PerChatWindow:    time.Minute,
	PrivatePerSecond: 1,
}
