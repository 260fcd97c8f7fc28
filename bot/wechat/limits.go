package wechat

import (
	"time"

	"github.com/huzhu-station/huzhu/bot"
)

// Limits keep a personal WeChat account looking like a person: a few
// seconds between any two sends, whoever they go to. They pace every send
// unless Options.Limits says otherwise.
var Limits = bot.Limits{
	MinGap: 3 * time.Second,
}
