package scheduler_test

import (
	"context"
	"fmt"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"github.com/huzhu-station/huzhu/bot"
	"github.com/huzhu-station/huzhu/bot/calendar"
	"github.com/huzhu-station/huzhu/scheduler"
)

func Example() {
	m, err := miniredis.Run()
	if err != nil {
		panic(err)
	}
	defer m.Close()
	rdb := redis.NewClient(&redis.Options{Addr: m.Addr()})
	defer rdb.Close()

	ctx := context.Background()
	clock := bot.NewFakeClock(time.Date(2025, 3, 1, 8, 0, 0, 0, calendar.Shanghai))
	send := bot.SenderFunc(func(_ context.Context, out bot.Outgoing) error {
		fmt.Println(clock.Now().Format("01-02 15:04"), out.Chat.Key(), out.Text)
		return nil
	})
	s := scheduler.New(rdb, send, clock, nil)

	group := bot.Chat{Platform: "telegram", ID: "-100123", Kind: bot.Group}
	_ = s.Schedule(ctx, scheduler.Reminder{
		ID:         "duty:3:daily",
		Spec:       "0 9 * * *", // 09:00 every day, Shanghai time
		StaleAfter: time.Hour,
		Message:    bot.Outgoing{Chat: group, Text: "今天的值班请签到"},
	})
	_ = s.Schedule(ctx, scheduler.Reminder{
		ID:      "meeting:3:7:dayBefore",
		At:      time.Date(2025, 3, 1, 20, 0, 0, 0, calendar.Shanghai),
		Message: bot.Outgoing{Chat: group, Text: "明晚7点居民议事会"},
	})

	for _, hhmm := range []int{900, 2000} {
		clock.Set(time.Date(2025, 3, 1, hhmm/100, hhmm%100, 0, 0, calendar.Shanghai))
		if _, err := s.RunDue(ctx); err != nil {
			panic(err)
		}
	}
	pending, _ := s.Pending(ctx, "duty:3:")
	for _, r := range pending {
		fmt.Println("next", r.ID, r.At.Format(time.DateTime+" -07:00"))
	}
	// Output:
	// 03-01 09:00 telegram:-100123 今天的值班请签到
	// 03-01 20:00 telegram:-100123 明晚7点居民议事会
	// next duty:3:daily 2025-03-02 09:00:00 +08:00
}
