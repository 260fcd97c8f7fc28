# Writes chars.txt: the characters the embedded chart font keeps. Every
# character of GB 2312 (6,763 hanzi and its punctuation, which cover
# everyday Chinese including most names), printable ASCII, and a few signs
# charts use.
chars = set(chr(c) for c in range(0x20, 0x7F))
for hi in range(0xA1, 0xF8):
    for lo in range(0xA1, 0xFF):
        try:
            chars.add(bytes([hi, lo]).decode("gb2312"))
        except UnicodeDecodeError:
            pass
chars.update("…·—–¥￥％℃×÷✓")
with open("chars.txt", "w", encoding="utf-8") as f:
    f.write("".join(sorted(chars)))
