//go:build unix

package fileset

import (
	"errors"
	"fmt"
	"os"
	"syscall"
)

// dirLock is an exclusive flock on a directory, held while files are created in it,
// cleaned up or switched.
type dirLock struct {
	path string
	f    *os.File
}

func lockDir(path string) (*dirLock, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, innerError(err)
	}
	if info, err := f.Stat(); err != nil || !info.IsDir() {
		f.Close()
		if err == nil {
			err = syscall.ENOTDIR
		}
		return nil, innerError(err)
	}
	if err := flock(f, syscall.LOCK_EX); err != nil {
		f.Close()
		return nil, fmt.Errorf("lock the directory: %w", err)
	}
	return &dirLock{path: path, f: f}, nil
}

// sync makes the directory's entries durable: creations, renames and removals.
func (d *dirLock) sync() error {
	if err := d.f.Sync(); err != nil {
		return fmt.Errorf("sync the directory: %w", innerError(err))
	}
	return nil
}

// unlock releases the lock.
func (d *dirLock) unlock() { d.f.Close() }

// syncDir syncs the directory at path.
func syncDir(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return innerError(err)
	}
	defer f.Close()
	if err := f.Sync(); err != nil {
		return fmt.Errorf("sync the directory: %w", innerError(err))
	}
	return nil
}

// lockFile takes an exclusive lock on a file just created.
func lockFile(f *os.File) error { return flock(f, syscall.LOCK_EX|syscall.LOCK_NB) }

// tryLockFile takes an exclusive lock on f if no other process holds one.
func tryLockFile(f *os.File) (bool, error) {
	err := flock(f, syscall.LOCK_EX|syscall.LOCK_NB)
	if errors.Is(err, syscall.EWOULDBLOCK) {
		return false, nil
	}
	return err == nil, err
}

func flock(f *os.File, how int) error {
	for {
		err := syscall.Flock(int(f.Fd()), how)
		if err != syscall.EINTR {
			return err
		}
	}
}
