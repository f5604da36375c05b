package delta

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/google/uuid"

	"github.com/ecomm-lakehouse/lakehouse/internal/storage"
)

// Transaction collects the actions of one atomic commit on a table, read at
// the version of its snapshot. Commit writes them as the next version with
// put-if-absent; when another writer wins that version, the winner's actions
// are checked against what this transaction read (Spark's conflict rules)
// and the commit is retried at the following version.
type Transaction struct {
	read      *Snapshot
	operation string
	params    map[string]json.RawMessage
	metrics   map[string]json.RawMessage
	userMeta  string

	metadata *Metadata
	protocol *Protocol
	adds     []*Add
	removes  []*Remove
	txns     []Txn

	readAll   bool    // the transaction read the whole table
	readPreds []bound // partitions/rows it read
	readFiles map[string]bool
	committed bool
}

// NewTransaction starts a transaction on the table at this snapshot's
// version. operation is the commitInfo operation name (WRITE, MERGE, …).
func (s *Snapshot) NewTransaction(operation string) *Transaction {
	return &Transaction{read: s, operation: operation, params: map[string]json.RawMessage{}, metrics: map[string]json.RawMessage{}}
}

// Snapshot returns the snapshot the transaction reads.
func (tx *Transaction) Snapshot() *Snapshot { return tx.read }

// SetParameter records an operationParameters entry (a string, as Spark writes them).
func (tx *Transaction) SetParameter(key, value string) { tx.params[key] = jsonStr(value) }

// SetParameterJSON records an operationParameters entry as raw JSON.
func (tx *Transaction) SetParameterJSON(key string, value json.RawMessage) { tx.params[key] = value }

// SetMetric records an operationMetrics entry.
func (tx *Transaction) SetMetric(key string, value int64) { tx.metrics[key] = jsonInt(value) }

// SetFileMetrics records the operationMetrics of the files added and removed
// so far (numFiles, numOutputRows, numOutputBytes, numRemovedFiles), as the
// write operations of this package do.
func (tx *Transaction) SetFileMetrics() { fileMetrics(tx) }

// SetUserMetadata records commitInfo.userMetadata.
func (tx *Transaction) SetUserMetadata(s string) { tx.userMeta = s }

// Add adds data files.
func (tx *Transaction) Add(adds ...*Add) { tx.adds = append(tx.adds, adds...) }

// Adds returns the files added so far.
func (tx *Transaction) Adds() []*Add { return tx.adds }

// Remove tombstones live files of the snapshot (they are also marked read).
func (tx *Transaction) Remove(files ...*Add) {
	now := tx.read.table.opts.Now().UnixMilli()
	ext := true
	for _, a := range files {
		size := a.Size
		tx.removes = append(tx.removes, &Remove{
			Path: a.Path, DeletionTimestamp: &now, DataChange: true, ExtendedFileMetadata: &ext,
			PartitionValues: a.PartitionValues, Size: &size, Stats: a.Stats, Tags: a.Tags, DeletionVector: a.DeletionVector,
		})
		tx.markRead(a)
	}
}

// SetTxn records the application transaction (appID, version) in the commit,
// for idempotent writes: a later reader sees version via TxnVersion.
func (tx *Transaction) SetTxn(appID string, version int64) {
	now := tx.read.table.opts.Now().UnixMilli()
	for i := range tx.txns {
		if tx.txns[i].AppID == appID {
			tx.txns[i].Version, tx.txns[i].LastUpdated = version, &now
			return
		}
	}
	tx.txns = append(tx.txns, Txn{AppID: appID, Version: version, LastUpdated: &now})
}

// UpdateMetadata replaces the table metadata (schema changes, properties).
func (tx *Transaction) UpdateMetadata(md Metadata) { tx.metadata = &md }

// ReadWholeTable records that the transaction's result depends on every file.
func (tx *Transaction) ReadWholeTable() { tx.readAll = true }

// ReadPredicate records that the transaction read the rows matching p: a
// concurrent commit adding matching files conflicts with it.
func (tx *Transaction) ReadPredicate(p Predicate) error {
	b, err := p.bind(tx.read.schema)
	if err != nil {
		return err
	}
	tx.readPreds = append(tx.readPreds, b)
	return nil
}

// MarkRead records that the transaction read these files: a concurrent
// commit removing one of them conflicts with it.
func (tx *Transaction) MarkRead(files ...*Add) {
	for _, a := range files {
		tx.markRead(a)
	}
}

func (tx *Transaction) markRead(a *Add) {
	if tx.readFiles == nil {
		tx.readFiles = map[string]bool{}
	}
	tx.readFiles[fileKey(a.Path, a.DeletionVector)] = true
}

// isBlindAppend: only adds, nothing read or removed.
func (tx *Transaction) isBlindAppend() bool {
	return len(tx.removes) == 0 && !tx.readAll && len(tx.readPreds) == 0 && len(tx.readFiles) == 0 && tx.metadata == nil
}

// Commit writes the transaction as one new table version and returns the
// snapshot at that version. On a lost race it re-reads the winning commits,
// fails with a *ConflictError if they invalidate what this transaction read,
// and otherwise retries at the next version with backoff and jitter.
func (tx *Transaction) Commit(ctx context.Context) (*Snapshot, error) {
	if tx.committed {
		return nil, errors.New("transaction already committed")
	}
	t := tx.read.table
	if err := checkWrite(&tx.read.protocol, &tx.read.metadata); err != nil {
		return nil, err
	}
	if len(tx.removes) > 0 && isAppendOnly(&tx.read.metadata) {
		return nil, fmt.Errorf("table is append-only (delta.appendOnly=true): %s cannot remove files", tx.operation)
	}
	if err := tx.validate(); err != nil {
		return nil, err
	}
	version := tx.read.version + 1
	var winners []VersionChanges
	var acts []Action // what the last attempt wrote
	backoff := 2 * time.Millisecond
	for attempt := 1; ; attempt++ {
		acts = tx.actions()
		body, err := tx.serialize(acts)
		if err != nil {
			return nil, err
		}
		err = t.putCommit(ctx, version, body)
		if err == nil {
			tx.committed = true
			break
		}
		if !errors.Is(err, storage.ErrExist) {
			return nil, fmt.Errorf("commit version %d: %w", version, err)
		}
		if attempt >= t.opts.MaxCommitAttempts {
			return nil, fmt.Errorf("commit: gave up after %d attempts: %w", attempt, &ConflictError{Kind: "TooManyRetries", Version: version, Detail: "other writers kept winning"})
		}
		// Lost the race: read what won and decide whether we can go on top.
		for {
			changes, err := t.Changes(ctx, version-1, version)
			if err != nil {
				return nil, fmt.Errorf("read winning commit %d: %w", version, err)
			}
			if err := tx.checkConflicts(changes[0]); err != nil {
				return nil, err
			}
			winners = append(winners, changes[0])
			version++
			if _, err := t.store.Stat(ctx, CommitName(version)); err != nil {
				if notExist(err) {
					break
				}
				return nil, fmt.Errorf("stat commit %d: %w", version, err)
			}
		}
		sleep := backoff/2 + time.Duration(t.rand()*float64(backoff))
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(sleep):
		}
		backoff = min(backoff*2, 200*time.Millisecond)
	}
	next := tx.read.clone()
	for _, w := range winners {
		next.apply(w.Actions)
	}
	next.apply(acts)
	next.version = version
	next.timestamp = t.opts.Now()
	if tx.metadata != nil {
		schema, err := ParseSchema(tx.metadata.SchemaString)
		if err != nil {
			return nil, err
		}
		next.schema = schema
	}
	if interval := t.checkpointInterval(next); interval > 0 && version%int64(interval) == 0 {
		// A checkpoint only speeds up reads: failing to write one leaves
		// the table correct, so the error is not the commit's.
		_ = t.WriteCheckpoint(ctx, next)
	}
	return next, nil
}

func (t *Table) rand() float64 {
	if t.opts.Rand != nil {
		return t.opts.Rand()
	}
	return rand.Float64()
}

func (tx *Transaction) validate() error {
	seenAdd := map[string]bool{}
	for _, a := range tx.adds {
		k := fileKey(a.Path, a.DeletionVector)
		if seenAdd[k] {
			return fmt.Errorf("file %s is added twice in one commit", a.Path)
		}
		seenAdd[k] = true
	}
	seenRm := map[string]bool{}
	for _, r := range tx.removes {
		k := fileKey(r.Path, r.DeletionVector)
		if seenRm[k] {
			return fmt.Errorf("file %s is removed twice in one commit", r.Path)
		}
		seenRm[k] = true
		if _, ok := tx.read.files[k]; !ok {
			return fmt.Errorf("file %s is not in the table at version %d", r.Path, tx.read.version)
		}
	}
	return nil
}

// putCommit writes commit file v if no other writer has. When the store's
// reply is lost (storage.Store.PutIfAbsent: outcome unknown), the commit
// landed if the log holds exactly body: commit bodies carry a fresh txnId,
// so no other writer's commit can match. storage.ErrExist means another
// writer took the version.
func (t *Table) putCommit(ctx context.Context, v int64, body []byte) error {
	err := t.store.PutIfAbsent(ctx, CommitName(v), body)
	if err == nil || errors.Is(err, storage.ErrExist) {
		return err
	}
	if got, gerr := t.store.Get(ctx, CommitName(v)); gerr == nil && bytes.Equal(got, body) {
		return nil
	}
	return err
}

// actions returns the commit's actions in the order they are written, with
// a fresh commitInfo (timestamp, txnId).
func (tx *Transaction) actions() []Action {
	t := tx.read.table
	now := t.opts.Now().UnixMilli()
	readVersion := tx.read.version
	blind := tx.isBlindAppend()
	ci := &CommitInfo{
		Timestamp: &now, Operation: tx.operation, OperationParameters: tx.params,
		IsolationLevel: "Serializable", IsBlindAppend: &blind, OperationMetrics: tx.metrics,
		EngineInfo: t.opts.EngineInfo, TxnID: uuid.NewString(), UserMetadata: tx.userMeta,
	}
	if readVersion >= 0 {
		ci.ReadVersion = &readVersion
	}
	out := make([]Action, 0, 2+len(tx.txns)+len(tx.removes)+len(tx.adds))
	out = append(out, Action{CommitInfo: ci})
	if tx.protocol != nil {
		out = append(out, Action{Protocol: tx.protocol})
	}
	if tx.metadata != nil {
		out = append(out, Action{Metadata: tx.metadata})
	}
	for i := range tx.txns {
		out = append(out, Action{Txn: &tx.txns[i]})
	}
	for _, r := range tx.removes {
		out = append(out, Action{Remove: r})
	}
	for _, a := range tx.adds {
		out = append(out, Action{Add: a})
	}
	return out
}

// serialize renders acts as the commit file's newline-delimited JSON.
func (tx *Transaction) serialize(acts []Action) ([]byte, error) {
	cols := tx.read.metadata.PartitionColumns
	if tx.metadata != nil {
		cols = tx.metadata.PartitionColumns
	}
	var buf []byte
	for _, a := range acts {
		var err error
		buf, err = a.marshal(buf, cols)
		if err != nil {
			return nil, err
		}
		buf = append(buf, '\n')
	}
	return buf, nil
}

// checkConflicts applies Spark's rules (protocol digest §12) to one winning
// commit. It returns a *ConflictError when this transaction cannot be
// rebased on top of it.
func (tx *Transaction) checkConflicts(w VersionChanges) error {
	conflict := func(kind, detail string) error {
		return &ConflictError{Kind: kind, Version: w.Version, Detail: detail}
	}
	for i := range w.Actions {
		a := &w.Actions[i]
		switch {
		case a.Protocol != nil:
			return conflict("ProtocolChanged", "the protocol of the table changed")
		case a.Metadata != nil:
			return conflict("MetadataChanged", "the metadata of the table changed")
		case a.Txn != nil:
			for _, mine := range tx.txns {
				if mine.AppID == a.Txn.AppID {
					return conflict("ConcurrentTransaction", fmt.Sprintf("application %q committed version %d concurrently", a.Txn.AppID, a.Txn.Version))
				}
			}
		}
	}
	if tx.isBlindAppend() {
		return nil
	}
	if tx.metadata != nil {
		for i := range w.Actions {
			if w.Actions[i].Add != nil {
				return conflict("ConcurrentAppend", "files were added while the table's metadata was being changed")
			}
		}
	}
	for i := range w.Actions {
		a := &w.Actions[i]
		switch {
		case a.Add != nil && a.Add.DataChange:
			if tx.readAll {
				return conflict("ConcurrentAppend", fmt.Sprintf("file %s was added to a table this operation read in full", a.Add.Path))
			}
			r := tx.read.fileRanges(a.Add)
			for _, p := range tx.readPreds {
				if p.mayMatch(r) {
					return conflict("ConcurrentAppend", fmt.Sprintf("file %s was added to data this operation read (partition %s)", a.Add.Path, describePartition(a.Add.PartitionValues)))
				}
			}
		case a.Remove != nil && a.Remove.DataChange:
			k := fileKey(a.Remove.Path, a.Remove.DeletionVector)
			for _, mine := range tx.removes {
				if fileKey(mine.Path, mine.DeletionVector) == k {
					return conflict("ConcurrentDeleteDelete", fmt.Sprintf("file %s was removed by both", a.Remove.Path))
				}
			}
			if tx.readAll || tx.readFiles[k] {
				return conflict("ConcurrentDeleteRead", fmt.Sprintf("file %s, which this operation read, was removed", a.Remove.Path))
			}
		}
	}
	return nil
}

func describePartition(pv map[string]*string) string {
	if len(pv) == 0 {
		return "(unpartitioned)"
	}
	b, _ := json.Marshal(pv)
	return string(b)
}

// clone copies the snapshot's state for incremental application.
func (s *Snapshot) clone() *Snapshot {
	c := *s
	c.files = make(map[string]*Add, len(s.files))
	for k, v := range s.files {
		c.files[k] = v
	}
	c.tombstones = make(map[string]*Remove, len(s.tombstones))
	for k, v := range s.tombstones {
		c.tombstones[k] = v
	}
	c.txns = make(map[string]Txn, len(s.txns))
	for k, v := range s.txns {
		c.txns[k] = v
	}
	c.domains = make(map[string]DomainMetadata, len(s.domains))
	for k, v := range s.domains {
		c.domains[k] = v
	}
	c.sorted = new(sortedFiles)
	return &c
}
