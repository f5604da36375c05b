package pipeline

import (
	"errors"

	"github.com/ecomm-lakehouse/lakehouse/internal/column"
	"github.com/ecomm-lakehouse/lakehouse/internal/delta"
)

// EventDate returns the event_date of a file of a table partitioned by it
// (silver, gold's facts) from its partition values, as days since
// 1970-01-01; ok is false for a null value.
func EventDate(partitionValues map[string]*string) (date int64, ok bool, err error) {
	v, err := delta.ParsePartitionValue(column.TypeDate, partitionValues["event_date"])
	if err != nil || v == nil {
		return 0, false, err
	}
	return v.(int64), true, nil
}

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
