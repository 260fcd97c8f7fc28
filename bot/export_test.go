package bot

// NormalizeAligned exposes normalizeAligned to the tests of package bot_test.
var NormalizeAligned = normalizeAligned
