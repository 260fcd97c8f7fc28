//go:build unix

package store

import (
	"fmt"
	"os"
	"syscall"
)

// checkDataDirOwner refuses a data directory that belongs to another
// account: huzhu would narrow its mode and write the residents' records
// into someone else's directory, which that account can read and change
// whatever the file modes say.
func checkDataDirOwner(dir string) error {
	fi, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("store: data directory: %w", err)
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return nil
	}
	if me := os.Getuid(); int(st.Uid) != me {
		return fmt.Errorf("store: data directory %s belongs to another account (uid %d, huzhu runs as uid %d); run huzhu as that account, or give it a directory of its own with --data DIR",
			dir, st.Uid, me)
	}
	return nil
}
