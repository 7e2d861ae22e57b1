package server

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	"github.com/gofrs/flock"
)

// lockDataDir takes the exclusive lock on the data directory. Two processes on one
// directory would corrupt the broker log and the master dataset.
func lockDataDir(dir string) (*flock.Flock, error) {
	path := filepath.Join(dir, "LOCK")
	lock := flock.New(path)
	ok, err := lock.TryLock()
	if err != nil {
		return nil, fmt.Errorf("lock data directory %s: %w", dir, err)
	}
	if !ok {
		owner, _ := os.ReadFile(path)
		return nil, fmt.Errorf("data directory %s is in use by another autonews process (pid %s): stop it or choose another --data-dir", dir, owner)
	}
	if err := os.WriteFile(path, []byte(strconv.Itoa(os.Getpid())), 0o644); err != nil {
		lock.Unlock()
		return nil, fmt.Errorf("lock data directory %s: %w", dir, err)
	}
	return lock, nil
}
