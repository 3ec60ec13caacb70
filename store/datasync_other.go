//go:build !linux

package store

import "os"

// datasync flushes f to disk (fsync; F_FULLFSYNC on macOS).
func datasync(f *os.File) error { return f.Sync() }
