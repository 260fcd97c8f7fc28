package bot

// NormalizeAligned exposes normalizeAligned to the tests of package bot_test.
var NormalizeAligned = normalizeAligned

// ComputeNameKey exposes nameKey, NameKey without its memory.
var ComputeNameKey = nameKey

// RememberedNames reports how many names NameKey remembers.
func RememberedNames() int {
	nameKeys.Lock()
	defer nameKeys.Unlock()
	return len(nameKeys.m)
}
