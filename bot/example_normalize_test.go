package bot_test

import (
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
