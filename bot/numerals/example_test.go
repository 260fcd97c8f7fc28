package numerals_test

import (
	"errors"
	"fmt"

	"github.com/huzhu-station/huzhu/bot/numerals"
)

func ExampleParseAmount() {
	for _, s := range []string{"300", "300.5元", "￥300", "两百五", "1.5万", "3块5", "300元元", "负5", "200万"} {
		fen, err := numerals.ParseAmount(s)
		switch {
		case errors.Is(err, numerals.ErrAmountMalformed):
			fmt.Printf("%s: not an amount\n", s)
		case errors.Is(err, numerals.ErrAmountNotPositive):
			fmt.Printf("%s: must be positive\n", s)
		case errors.Is(err, numerals.ErrAmountTooLarge):
			fmt.Printf("%s: too large\n", s)
		default:
			fmt.Printf("%s: %d fen, %s\n", s, fen, numerals.FormatAmount(fen))
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
