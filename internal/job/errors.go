package job

import "errors"

var (
	// ErrInvalidJob is wrapped by every problem found in a job definition
	// (see ValidationError).
	ErrInvalidJob = errors.New("invalid job")
	// ErrRunNotFound is returned (wrapped) for a run id the history does not hold.
	ErrRunNotFound = errors.New("run not found")
	// ErrNothingToRepair is returned (wrapped) by Repair for a run whose tasks
	// all succeeded (or were excluded).
	ErrNothingToRepair = errors.New("nothing to repair")
	// ErrRunActive is returned (wrapped) by Repair for a run whose runner is
	// still alive.
	ErrRunActive = errors.New("run is still active")
	// ErrConflict is returned (wrapped) by a Store when another process changed
	// a run between a read and a conditional write (two repairs at once).
	ErrConflict = errors.New("run changed concurrently")
	// ErrRunFailed is wrapped by the error RunJob and Repair return for a run
	// that ended FAILED or TIMEDOUT.
	ErrRunFailed = errors.New("run failed")
	// ErrRunCanceled is wrapped by the error returned for a run that ended
	// CANCELED.
	ErrRunCanceled = errors.New("run canceled")
	// ErrRunSkipped is wrapped by the error returned for a run that was not
	// started because max_concurrent_runs was reached and queueing is off.
	ErrRunSkipped = errors.New("run skipped")
	// ErrNoSchedule is returned (wrapped) by Schedule for a job without a
	// schedule block.
	ErrNoSchedule = errors.New("job has no schedule")
	// ErrSchedulePaused is returned (wrapped) by Schedule for a job whose
	// schedule.pause_status is PAUSED.
	ErrSchedulePaused = errors.New("schedule is paused")
	// ErrBadCron is wrapped by every invalid Quartz expression or time zone.
	ErrBadCron = errors.New("invalid schedule")
	// ErrUnknownFormat is returned (wrapped) by the renderers for an output
	// format other than "table" or "json".
	ErrUnknownFormat = errors.New("unknown output format")
)
