// Package numerals reads the numbers residents type in Chinese: quantities
// in digits or Chinese numerals (十二, 一百零五, 两百五), numbers read out
// digit by digit (三零一, 二〇二六), references to a numbered thing (#12,
// 第三), amounts of money in yuan (300元, 1.5万, 3块5) and the room of a
// household (3幢2单元301, 八十六幢二单元三零一).
//
// Every parser folds its input with bot.Normalize first, so full-width
// digits and Chinese punctuation read like their ASCII twins. Package
// numerals imports only bot of huzhu's packages and knows nothing of chats,
// stations or the store.
package numerals
