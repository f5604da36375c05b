package pipeline

import (
	"errors"

	"github.com/ecomm-lakehouse/lakehouse/internal/delta"
)

// InputVersion returns the input version a stage recorded in s with
// txn{appID, version}, or -1 when it has recorded none.
func InputVersion(s *delta.Snapshot, appID string) int64 {
	if v, ok := s.TxnVersion(appID); ok {
		return v
	}
	return -1
}

// RetryConflicts calls run until it succeeds, fails with an error that is
// not a commit conflict (delta.ErrConflict), or has been called attempts
// times; it returns run's last result.
func RetryConflicts[T any](attempts int, run func() (T, error)) (T, error) {
	for attempt := 1; ; attempt++ {
		res, err := run()
		if err != nil && errors.Is(err, delta.ErrConflict) && attempt < attempts {
			continue
		}
		return res, err
	}
}
