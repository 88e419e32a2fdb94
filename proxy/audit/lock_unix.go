//go:build unix

package audit

import (
	"errors"
	"os"
	"syscall"
)

// lockSpool takes an exclusive lock on the spool for this process: two
// writers appending to and emptying one spool would lose events.
func lockSpool(f *os.File) error {
	err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
	if errors.Is(err, syscall.EWOULDBLOCK) {
		return errSpoolBusy
	}
	return err
}
