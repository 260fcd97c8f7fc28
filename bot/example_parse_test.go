package bot_test

import (
	"errors"
	"fmt"

	"github.com/huzhu-station/huzhu/bot"
)

func ExampleNormalize() {
	fmt.Printf("%q\n", bot.Normalize("＃认捐：３幢２单元３０１　　三百元！"))
	fmt.Printf("%q\n", bot.Normalize("  投票 换门？ 【甲】、【乙】 \n\n 截止 周三 "))
	// Output:
	// "#认捐:3幢2单元301 三百元!"
	// "投票 换门? [甲]、[乙]\n截止 周三"
}

func ExampleParseAmount() {
	for _, s := range []string{"300", "300.5元", "￥300", "两百五", "1.5万", "3块5", "300元元", "负5", "200万"} {
		fen, err := bot.ParseAmount(s)
		switch {
		case errors.Is(err, bot.ErrAmountMalformed):
			fmt.Printf("%s: not an amount\n", s)
		case errors.Is(err, bot.ErrAmountNotPositive):
			fmt.Printf("%s: must be positive\n", s)
		case errors.Is(err, bot.ErrAmountTooLarge):
			fmt.Printf("%s: too large\n", s)
		default:
			fmt.Printf("%s: %d fen, %s\n", s, fen, bot.FormatAmount(fen))
		}
	}
	// Output:
	// 300: 30000 fen, 300元
	// 300.5元: 30050 fen, 300.50元
	// ￥300: 30000 fen, 300元
	// 两百五: 25000 fen, 250元
	// 1.5万: 1500000 fen, 15000元
	// 3块5: 350 fen, 3.50元
	// 300元元: not an amount
	// 负5: must be positive
	// 200万: too large
}
