package delta

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/ecomm-lakehouse/lakehouse/internal/column"
	"github.com/ecomm-lakehouse/lakehouse/internal/storage"
)

// Snapshot is the reconciled state of a table at one version. It is
// immutable; commits produce new snapshots.
type Snapshot struct {
	table    *Table
	version  int64
	protocol Protocol
	metadata Metadata
	schema   *column.Schema

	files      map[string]*Add    // live files by fileKey
	tombstones map[string]*Remove // by fileKey
	txns       map[string]Txn
	domains    map[string]DomainMetadata

	timestamp time.Time // commit timestamp of this version

	// sorted is the files sorted by path, built once on first use. A
	// snapshot is shared by goroutines: the list and its sync.Once live
	// behind a pointer that apply and clone replace, so copying a snapshot
	// (clone) never reads what Files is writing.
	sorted *sortedFiles
}

type sortedFiles struct {
	once  sync.Once
	files []*Add
}

// Version returns the snapshot's table version.
func (s *Snapshot) Version() int64 { return s.version }

// Protocol returns the table's protocol at this version.
func (s *Snapshot) Protocol() Protocol { return s.protocol }

// Metadata returns the table's metadata at this version.
func (s *Snapshot) Metadata() Metadata { return s.metadata }

// Schema returns the table's schema.
func (s *Snapshot) Schema() *column.Schema { return s.schema }

// PartitionColumns returns the partition column names.
func (s *Snapshot) PartitionColumns() []string { return s.metadata.PartitionColumns }

// Timestamp returns the commit time of this version.
func (s *Snapshot) Timestamp() time.Time { return s.timestamp }

// Table returns the table the snapshot belongs to.
func (s *Snapshot) Table() *Table { return s.table }

// Config returns a table property.
func (s *Snapshot) Config(key string) (string, bool) {
	v, ok := s.metadata.Configuration[key]
	return v, ok
}

// Files returns the live data files, sorted by path.
func (s *Snapshot) Files() []*Add {
	sf := s.sorted
	sf.once.Do(func() {
		sorted := make([]*Add, 0, len(s.files))
		for _, a := range s.files {
			sorted = append(sorted, a)
		}
		slices.SortFunc(sorted, func(a, b *Add) int { return strings.Compare(a.Path, b.Path) })
		sf.files = sorted
	})
	return sf.files
}

// NumFiles returns the number of live data files.
func (s *Snapshot) NumFiles() int { return len(s.files) }

// Tombstones returns the remove actions still retained in the state.
func (s *Snapshot) Tombstones() []*Remove {
	out := make([]*Remove, 0, len(s.tombstones))
	for _, r := range s.tombstones {
		out = append(out, r)
	}
	slices.SortFunc(out, func(a, b *Remove) int { return strings.Compare(a.Path, b.Path) })
	return out
}

// TxnVersion returns the latest version recorded for an application id.
func (s *Snapshot) TxnVersion(appID string) (int64, bool) {
	t, ok := s.txns[appID]
	return t.Version, ok
}

// Txns returns every application transaction of the table.
func (s *Snapshot) Txns() map[string]Txn {
	out := make(map[string]Txn, len(s.txns))
	for k, v := range s.txns {
		out[k] = v
	}
	return out
}

// Domains returns the non-removed domain metadata.
func (s *Snapshot) Domains() map[string]DomainMetadata {
	out := make(map[string]DomainMetadata, len(s.domains))
	for k, v := range s.domains {
		out[k] = v
	}
	return out
}

// SizeInBytes sums the sizes of the live files.
func (s *Snapshot) SizeInBytes() int64 {
	var n int64
	for _, a := range s.files {
		n += a.Size
	}
	return n
}

// logListing is what a listing of _delta_log found.
type logListing struct {
	commits     map[int64]storage.ObjectInfo
	checkpoints map[int64][]checkpointRef // complete checkpoints per version
	latest      int64                     // newest version with a commit or checkpoint
	oldest      int64                     // oldest commit version present
}

type checkpointRef struct {
	kind  FileKind
	parts []storage.ObjectInfo
}

type lastCheckpoint struct {
	Version       int64 `json:"version"`
	Size          int64 `json:"size"`
	Parts         *int  `json:"parts,omitempty"`
	SizeInBytes   int64 `json:"sizeInBytes"`
	NumOfAddFiles int64 `json:"numOfAddFiles"`
}

// readLastCheckpoint returns the hinted checkpoint version, or -1 when the
// hint is missing or unreadable (the listing is the truth).
func (t *Table) readLastCheckpoint(ctx context.Context) int64 {
	data, err := t.store.Get(ctx, LastCheckpointName)
	if err != nil {
		return -1
	}
	var lc lastCheckpoint
	if json.Unmarshal(data, &lc) != nil || lc.Version < 0 {
		return -1
	}
	return lc.Version
}

func (t *Table) list(ctx context.Context, startVersion int64) (*logListing, error) {
	start := ""
	if startVersion > 0 {
		start = fmt.Sprintf("%s/%020d", LogDir, startVersion-1) + "\xff"
	}
	objs, err := t.store.List(ctx, LogDir+"/", start)
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", LogDir, err)
	}
	l := &logListing{commits: map[int64]storage.ObjectInfo{}, checkpoints: map[int64][]checkpointRef{}, latest: -1, oldest: -1}
	multi := map[string][]storage.ObjectInfo{} // "version/parts" → parts seen
	for _, o := range objs {
		rel := strings.TrimPrefix(o.Name, LogDir+"/")
		if strings.Contains(rel, "/") {
			continue // _sidecars/, .tmp/, …
		}
		lf := ParseLogName(rel)
		switch lf.Kind {
		case KindCommit:
			l.commits[lf.Version] = o
			if l.oldest < 0 || lf.Version < l.oldest {
				l.oldest = lf.Version
			}
		case KindCheckpoint, KindUUIDCheckpoint:
			l.checkpoints[lf.Version] = append(l.checkpoints[lf.Version], checkpointRef{kind: lf.Kind, parts: []storage.ObjectInfo{o}})
		case KindMultiPartCheckpoint:
			k := fmt.Sprintf("%d/%d", lf.Version, lf.Parts)
			multi[k] = append(multi[k], o)
		default:
			continue
		}
		if lf.Version > l.latest {
			l.latest = lf.Version
		}
	}
	for k, parts := range multi {
		var v int64
		var n int
		fmt.Sscanf(k, "%d/%d", &v, &n)
		seen := map[int]bool{}
		for _, p := range parts {
			seen[ParseLogName(baseName(p.Name)).Part] = true
		}
		if len(seen) != n {
			continue // incomplete multi-part checkpoint: not usable
		}
		sort.Slice(parts, func(i, j int) bool { return parts[i].Name < parts[j].Name })
		l.checkpoints[v] = append(l.checkpoints[v], checkpointRef{kind: KindMultiPartCheckpoint, parts: parts})
	}
	return l, nil
}

// load reconstructs the snapshot at target (-1 = latest).
func (t *Table) load(ctx context.Context, target int64) (*Snapshot, error) {
	hint := t.readLastCheckpoint(ctx)
	var l *logListing
	var err error
	if hint > 0 && (target < 0 || target >= hint) {
		l, err = t.list(ctx, hint)
		if err != nil {
			return nil, err
		}
		if _, ok := l.checkpoints[hint]; !ok {
			l = nil // stale or wrong hint: fall back to a full listing
		}
	}
	if l == nil {
		if l, err = t.list(ctx, 0); err != nil {
			return nil, err
		}
	}
	if l.latest < 0 {
		return nil, ErrNotATable
	}
	if target < 0 {
		target = l.latest
	} else if target > l.latest {
		return nil, fmt.Errorf("%w: version %d does not exist (latest is %d)", ErrVersionNotFound, target, l.latest)
	}
	return t.replay(ctx, l, target)
}

// replay builds the snapshot at target from the newest usable checkpoint at
// or before it plus the commits after that checkpoint.
func (t *Table) replay(ctx context.Context, l *logListing, target int64) (*Snapshot, error) {
	cpVersion := int64(-1)
	var cp checkpointRef
	for v, refs := range l.checkpoints {
		if v <= target && v > cpVersion {
			// prefer a classic single file, then multi-part, then UUID-named
			slices.SortFunc(refs, func(a, b checkpointRef) int { return int(a.kind) - int(b.kind) })
			cpVersion, cp = v, refs[0]
		}
	}
	if cpVersion >= 0 {
		s, err := t.replayFrom(ctx, l, target, cpVersion, cp)
		if err == nil || !errors.Is(err, errCheckpointUnreadable) {
			return s, err
		}
		// A damaged checkpoint: replay from version 0 if every commit is
		// there. A listing that started at the _last_checkpoint hint does
		// not show the older commits, so look at the whole log first.
		if l.oldest != 0 {
			full, lerr := t.list(ctx, 0)
			if lerr != nil || full.oldest != 0 {
				return nil, err
			}
			l = full
		}
	}
	return t.replayFrom(ctx, l, target, -1, checkpointRef{})
}

// errCheckpointUnreadable marks a checkpoint that could not be read.
var errCheckpointUnreadable = errors.New("checkpoint unreadable")

func (t *Table) replayFrom(ctx context.Context, l *logListing, target, cpVersion int64, cp checkpointRef) (*Snapshot, error) {
	first := cpVersion + 1
	for v := first; v <= target; v++ {
		if _, ok := l.commits[v]; !ok {
			if cpVersion < 0 && l.oldest > 0 && v < l.oldest {
				return nil, fmt.Errorf("%w: the log starts at version %d and has no checkpoint to start from (version %d requested)", ErrVersionNotFound, l.oldest, target)
			}
			return nil, fmt.Errorf("%w: commit %d is missing from the log (versions must be contiguous)", ErrCorrupt, v)
		}
	}

	// Read the commits after the checkpoint.
	commits := make([][]Action, 0, target-first+1)
	for v := first; v <= target; v++ {
		acts, err := t.readCommit(ctx, v)
		if err != nil {
			return nil, err
		}
		commits = append(commits, acts)
	}

	// Find the newest protocol and metadata before interpreting files.
	var proto *Protocol
	var md *Metadata
	for i := len(commits) - 1; i >= 0 && (proto == nil || md == nil); i-- {
		takeProtocolMetadata(commits[i], &proto, &md)
	}
	if proto != nil {
		if err := checkRead(proto, md); err != nil {
			return nil, err
		}
	}
	s := &Snapshot{
		sorted:     new(sortedFiles),
		table:      t,
		version:    target,
		files:      make(map[string]*Add),
		tombstones: make(map[string]*Remove),
		txns:       make(map[string]Txn),
		domains:    make(map[string]DomainMetadata),
	}
	if cpVersion >= 0 {
		if proto == nil {
			if p, m := t.protocolFromEarlierCommits(ctx, l, cpVersion); p != nil {
				if err := checkRead(p, firstNonNil(md, m)); err != nil {
					return nil, err
				}
			}
		}
		acts, err := t.readCheckpoint(ctx, cp)
		if err != nil {
			return nil, fmt.Errorf("%w: read checkpoint %d: %w", errCheckpointUnreadable, cpVersion, err)
		}
		takeProtocolMetadata(acts, &proto, &md)
		if proto != nil {
			if err := checkRead(proto, md); err != nil {
				return nil, err
			}
		}
		s.apply(acts)
	}
	if proto == nil {
		return nil, fmt.Errorf("%w: no protocol action in the log up to version %d", ErrCorrupt, target)
	}
	if md == nil {
		return nil, fmt.Errorf("%w: no metaData action in the log up to version %d", ErrCorrupt, target)
	}
	if err := checkRead(proto, md); err != nil {
		return nil, err
	}
	for _, acts := range commits {
		s.apply(acts)
	}
	s.protocol, s.metadata = *proto, *md
	schema, err := ParseSchema(md.SchemaString)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	s.schema = schema
	if err := t.validatePartitionColumns(s); err != nil {
		return nil, err
	}
	var last []Action // the actions of commit target, when it was read
	if len(commits) > 0 {
		last = commits[len(commits)-1]
	}
	s.timestamp = t.commitTime(ctx, l, target, last)
	return s, nil
}

// takeProtocolMetadata sets *proto and *md, where still nil, to the first
// protocol and metaData actions of acts.
func takeProtocolMetadata(acts []Action, proto **Protocol, md **Metadata) {
	for i := range acts {
		a := &acts[i]
		if a.Protocol != nil && *proto == nil {
			*proto = a.Protocol
		}
		if a.Metadata != nil && *md == nil {
			*md = a.Metadata
		}
	}
}

func firstNonNil(a, b *Metadata) *Metadata {
	if a != nil {
		return a
	}
	return b
}

func (t *Table) validatePartitionColumns(s *Snapshot) error {
	for _, c := range s.metadata.PartitionColumns {
		f, ok := s.schema.Field(c)
		if !ok {
			return fmt.Errorf("%w: partition column %q is not in the schema", ErrCorrupt, c)
		}
		if !f.Type.IsPrimitive() {
			return fmt.Errorf("%w: partition column %q has non-primitive type %s", ErrCorrupt, c, f.Type)
		}
	}
	return nil
}

// protocolFromEarlierCommits looks for the newest protocol in the commits
// at or before the checkpoint that are still present, so that a table whose
// checkpoint we cannot read is refused with the feature's name.
func (t *Table) protocolFromEarlierCommits(ctx context.Context, l *logListing, upTo int64) (*Protocol, *Metadata) {
	var md *Metadata
	for v := upTo; v >= 0 && v >= l.oldest && l.oldest >= 0; v-- {
		if _, ok := l.commits[v]; !ok {
			return nil, nil
		}
		acts, err := t.readCommit(ctx, v)
		if err != nil {
			return nil, nil
		}
		var p *Protocol
		takeProtocolMetadata(acts, &p, &md)
		if p != nil {
			return p, md
		}
	}
	return nil, nil
}

func (t *Table) readCommit(ctx context.Context, v int64) ([]Action, error) {
	data, err := t.store.Get(ctx, CommitName(v))
	if err != nil {
		if notExist(err) {
			return nil, fmt.Errorf("%w: commit %d disappeared while reading the log", ErrCorrupt, v)
		}
		return nil, fmt.Errorf("read commit %d: %w", v, err)
	}
	acts, err := ParseCommit(data)
	if err != nil {
		return nil, fmt.Errorf("read commit %d: %w", v, err)
	}
	return acts, nil
}

// apply reconciles actions into the snapshot's state (newest wins).
func (s *Snapshot) apply(acts []Action) {
	s.sorted = new(sortedFiles)
	for i := range acts {
		a := &acts[i]
		switch {
		case a.Add != nil:
			k := fileKey(a.Add.Path, a.Add.DeletionVector)
			s.files[k] = a.Add
			delete(s.tombstones, k)
		case a.Remove != nil:
			k := fileKey(a.Remove.Path, a.Remove.DeletionVector)
			delete(s.files, k)
			s.tombstones[k] = a.Remove
		case a.Txn != nil:
			s.txns[a.Txn.AppID] = *a.Txn
		case a.DomainMetadata != nil:
			if a.DomainMetadata.Removed {
				delete(s.domains, a.DomainMetadata.Domain)
			} else {
				s.domains[a.DomainMetadata.Domain] = *a.DomainMetadata
			}
		case a.Protocol != nil:
			s.protocol = *a.Protocol
		case a.Metadata != nil:
			s.metadata = *a.Metadata
		}
	}
}

// commitTime returns the commit timestamp of version v: the in-commit
// timestamp when the table records them, else the commit file's mtime.
func (t *Table) commitTime(ctx context.Context, l *logListing, v int64, acts []Action) time.Time {
	for i := range acts {
		if ci := acts[i].CommitInfo; ci != nil && ci.InCommitTimestamp != nil {
			return time.UnixMilli(*ci.InCommitTimestamp)
		}
	}
	if o, ok := l.commits[v]; ok {
		return o.ModTime
	}
	if refs, ok := l.checkpoints[v]; ok && len(refs[0].parts) > 0 {
		return refs[0].parts[0].ModTime
	}
	return time.Time{}
}
