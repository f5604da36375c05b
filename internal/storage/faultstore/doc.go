// Package faultstore wraps a storage.Store to log every operation and to
// inject faults, so tests of other packages can check that nothing is lost
// or corrupted whatever the storage does: errors, full disks, short writes,
// lost replies and crashes.
//
// # Logging
//
// Every call on the Store, on a Writer it returned and on an Object it
// opened becomes a Record: the kind of operation (Op), the object name (the
// prefix for List), sizes, and the Outcome classified from the error the
// caller got (ok, not-exist, exist, injected, crashed, ...). Log returns
// the records in the order the operations started; Trace renders them one a
// line without volatile details, for golden files:
//
//	put-if-absent _delta_log/00000000000000000001.json 812B: ok
//	list _delta_log/ after _delta_log/00000000000000000000.json: ok (2)
//	write part-0.parquet 4096B: injected (2048)
//
// # Rules
//
// Inject adds Rules. A Rule watches the operations of the kinds in Ops (all
// if empty) whose name matches the path.Match pattern Name (all if empty),
// counts them as they start, and fires on the Nth one (every one if Nth is
// 0). When it fires, its Action decides what happens:
//
//   - Fail: the operation returns Err (ErrInjected if nil), wrapped with the
//     operation and name, without touching the inner store. A failed Close
//     aborts the inner writer, so nothing is published; a failed Abort or
//     Object Close still releases the inner resource.
//   - FailAfter: the operation takes effect in the inner store, then returns
//     Err anyway: the "did my commit land?" case of a lost reply.
//   - ShortWrite (Ops must be exactly OpWrite): half the buffer reaches the
//     inner writer, and Write returns that count with Err.
//   - CrashBefore: the store dies before the operation: it and every later
//     operation fail with ErrCrashed.
//   - CrashAfter: the operation completes normally, then the store dies.
//
// When the store dies (also by calling Crash) its open Writers are aborted,
// so nothing of an unfinished streamed write becomes visible, exactly as
// when a process is killed, and its open Objects are closed. The inner store
// is left as the crash left it: inspect it through Inner, or wrap it in a
// new faultstore to play the restarted process. Operations already running
// when the store dies finish normally.
//
// When an operation matches several rules, each counts it and the first
// added that fires decides. Errors are wrapped with %w, so a Rule with
// Err: ENOSPC(name) gives an error that errors.Is syscall.ENOSPC and
// errors.As an *fs.PathError.
//
// Examples:
//
//	// The second commit attempt finds the disk full.
//	fst.Inject(faultstore.Rule{Ops: []faultstore.Op{faultstore.OpPutIfAbsent},
//		Name: "_delta_log/*.json", Nth: 2, Err: faultstore.ENOSPC("commit")})
//	// Every data file write is cut short.
//	fst.Inject(faultstore.Rule{Ops: []faultstore.Op{faultstore.OpWrite}, Action: faultstore.ShortWrite})
//	// The process dies right after its 5th operation, whatever it is.
//	fst.Inject(faultstore.Rule{Nth: 5, Action: faultstore.CrashAfter})
//
// Store is safe for concurrent use. With no rules it behaves exactly like
// the inner store (it passes storagetest). Writers keep the Writer contract:
// once a Write has failed, injected or not, Close publishes nothing.
//
// Only tests import faultstore.
package faultstore
