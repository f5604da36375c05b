package local

import (
	"os"

	"golang.org/x/sys/unix"
)

// startWriteback asks the kernel to begin writing [off, off+n) of f to disk
// without waiting for it (sync_file_range with SYNC_FILE_RANGE_WRITE), so
// that the fsync at Close finds little left to write. It is only a hint:
// errors are ignored, and the fsync still makes the file durable.
func startWriteback(f *os.File, off, n int64) {
	_ = unix.SyncFileRange(int(f.Fd()), off, n, unix.SYNC_FILE_RANGE_WRITE)
}
