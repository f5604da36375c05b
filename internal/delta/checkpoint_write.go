package delta

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/compress/snappy"
)

// Checkpoint rows follow the layout Spark 3.5 writes (protocol digest §9.2):
// one optional struct column per action kind, every field optional.
type cpRow struct {
	Txn            *cpTxn      `parquet:"txn,optional"`
	Add            *cpAdd      `parquet:"add,optional"`
	Remove         *cpRemove   `parquet:"remove,optional"`
	MetaData       *cpMetadata `parquet:"metaData,optional"`
	Protocol       *cpProtocol `parquet:"protocol,optional"`
	DomainMetadata *cpDomain   `parquet:"domainMetadata,optional"`
}

type cpTxn struct {
	AppID       *string `parquet:"appId,optional"`
	Version     *int64  `parquet:"version,optional"`
	LastUpdated *int64  `parquet:"lastUpdated,optional"`
}

type cpDV struct {
	StorageType    *string `parquet:"storageType,optional"`
	PathOrInlineDv *string `parquet:"pathOrInlineDv,optional"`
	Offset         *int32  `parquet:"offset,optional"`
	SizeInBytes    *int32  `parquet:"sizeInBytes,optional"`
	Cardinality    *int64  `parquet:"cardinality,optional"`
	MaxRowIndex    *int64  `parquet:"maxRowIndex,optional"`
}

type cpAdd struct {
	Path                    *string            `parquet:"path,optional"`
	PartitionValues         map[string]*string `parquet:"partitionValues,optional"`
	Size                    *int64             `parquet:"size,optional"`
	ModificationTime        *int64             `parquet:"modificationTime,optional"`
	DataChange              *bool              `parquet:"dataChange,optional"`
	Tags                    map[string]*string `parquet:"tags,optional"`
	DeletionVector          *cpDV              `parquet:"deletionVector,optional"`
	BaseRowID               *int64             `parquet:"baseRowId,optional"`
	DefaultRowCommitVersion *int64             `parquet:"defaultRowCommitVersion,optional"`
	Stats                   *string            `parquet:"stats,optional"`
}

type cpRemove struct {
	Path                    *string            `parquet:"path,optional"`
	DeletionTimestamp       *int64             `parquet:"deletionTimestamp,optional"`
	DataChange              *bool              `parquet:"dataChange,optional"`
	ExtendedFileMetadata    *bool              `parquet:"extendedFileMetadata,optional"`
	PartitionValues         map[string]*string `parquet:"partitionValues,optional"`
	Size                    *int64             `parquet:"size,optional"`
	DeletionVector          *cpDV              `parquet:"deletionVector,optional"`
	BaseRowID               *int64             `parquet:"baseRowId,optional"`
	DefaultRowCommitVersion *int64             `parquet:"defaultRowCommitVersion,optional"`
}

type cpFormat struct {
	Provider *string            `parquet:"provider,optional"`
	Options  map[string]*string `parquet:"options,optional"`
}

type cpMetadata struct {
	ID               *string            `parquet:"id,optional"`
	Name             *string            `parquet:"name,optional"`
	Description      *string            `parquet:"description,optional"`
	Format           *cpFormat          `parquet:"format,optional"`
	SchemaString     *string            `parquet:"schemaString,optional"`
	PartitionColumns []string           `parquet:"partitionColumns,optional,list"`
	Configuration    map[string]*string `parquet:"configuration,optional"`
	CreatedTime      *int64             `parquet:"createdTime,optional"`
}

type cpProtocol struct {
	MinReaderVersion *int32   `parquet:"minReaderVersion,optional"`
	MinWriterVersion *int32   `parquet:"minWriterVersion,optional"`
	ReaderFeatures   []string `parquet:"readerFeatures,optional,list"`
	WriterFeatures   []string `parquet:"writerFeatures,optional,list"`
}

type cpDomain struct {
	Domain        *string `parquet:"domain,optional"`
	Configuration *string `parquet:"configuration,optional"`
	Removed       *bool   `parquet:"removed,optional"`
}

// checkpointSchema names the root "spark_schema", as Spark's checkpoints do.
var checkpointSchema = parquet.NewSchema("spark_schema", parquet.SchemaOf(cpRow{}))

func ptr[T any](v T) *T { return &v }

func strMapPtr(m map[string]string) map[string]*string {
	if m == nil {
		return nil
	}
	out := make(map[string]*string, len(m))
	for k, v := range m {
		out[k] = ptr(v)
	}
	return out
}

func cpDeletionVector(dv *DeletionVector) *cpDV {
	if dv == nil {
		return nil
	}
	return &cpDV{StorageType: ptr(dv.StorageType), PathOrInlineDv: ptr(dv.PathOrInlineDv), Offset: dv.Offset,
		SizeInBytes: ptr(dv.SizeInBytes), Cardinality: ptr(dv.Cardinality), MaxRowIndex: dv.MaxRowIndex}
}

// checkpointInterval returns how often checkpoints are written (0 = never).
func (t *Table) checkpointInterval(s *Snapshot) int {
	if t.opts.CheckpointInterval > 0 {
		return t.opts.CheckpointInterval
	}
	if v, ok := s.metadata.Configuration["delta.checkpointInterval"]; ok {
		if n, err := strconv.Atoi(v); err == nil && n > 0 {
			return n
		}
	}
	return 10
}

// tombstoneRetention parses delta.deletedFileRetentionDuration (default 1 week).
func tombstoneRetention(md *Metadata) time.Duration {
	if d, ok := parseInterval(md.Configuration["delta.deletedFileRetentionDuration"]); ok {
		return d
	}
	return 7 * 24 * time.Hour
}

// parseInterval reads Spark's "interval 7 days" property form.
func parseInterval(s string) (time.Duration, bool) {
	f := strings.Fields(strings.ToLower(strings.TrimSpace(s)))
	if len(f) == 3 && f[0] == "interval" {
		f = f[1:]
	}
	if len(f) != 2 {
		return 0, false
	}
	n, err := strconv.ParseFloat(f[0], 64)
	if err != nil {
		return 0, false
	}
	unit := map[string]time.Duration{
		"second": time.Second, "seconds": time.Second, "minute": time.Minute, "minutes": time.Minute,
		"hour": time.Hour, "hours": time.Hour, "day": 24 * time.Hour, "days": 24 * time.Hour,
		"week": 7 * 24 * time.Hour, "weeks": 7 * 24 * time.Hour,
	}[f[1]]
	if unit == 0 {
		return 0, false
	}
	return time.Duration(n * float64(unit)), true
}

// WriteCheckpoint writes a classic single-file checkpoint of s and points
// _last_checkpoint at it. The checkpoint is complete before it becomes
// visible (atomic put); _last_checkpoint only moves forward.
func (t *Table) WriteCheckpoint(ctx context.Context, s *Snapshot) error {
	rows := make([]cpRow, 0, len(s.files)+len(s.tombstones)+len(s.txns)+2)
	p := s.protocol
	proto := &cpProtocol{MinReaderVersion: ptr(int32(p.MinReaderVersion)), MinWriterVersion: ptr(int32(p.MinWriterVersion))}
	if p.MinReaderVersion >= 3 {
		proto.ReaderFeatures = append([]string{}, p.ReaderFeatures...)
	}
	if p.MinWriterVersion >= 7 {
		proto.WriterFeatures = append([]string{}, p.WriterFeatures...)
	}
	rows = append(rows, cpRow{Protocol: proto})
	md := s.metadata
	opts := md.Format.Options
	if opts == nil {
		opts = map[string]string{}
	}
	rows = append(rows, cpRow{MetaData: &cpMetadata{
		ID: ptr(md.ID), Name: md.Name, Description: md.Description,
		Format:       &cpFormat{Provider: ptr(md.Format.Provider), Options: strMapPtr(opts)},
		SchemaString: ptr(md.SchemaString), PartitionColumns: append([]string{}, md.PartitionColumns...),
		Configuration: strMapPtr(md.Configuration), CreatedTime: md.CreatedTime,
	}})
	for _, tx := range s.txns {
		rows = append(rows, cpRow{Txn: &cpTxn{AppID: ptr(tx.AppID), Version: ptr(tx.Version), LastUpdated: tx.LastUpdated}})
	}
	for _, d := range s.domains {
		rows = append(rows, cpRow{DomainMetadata: &cpDomain{Domain: ptr(d.Domain), Configuration: ptr(d.Configuration), Removed: ptr(false)}})
	}
	for _, a := range s.Files() {
		ca := &cpAdd{Path: ptr(a.Path), PartitionValues: a.PartitionValues, Size: ptr(a.Size),
			ModificationTime: ptr(a.ModificationTime), DataChange: ptr(false), Tags: strMapPtr(a.Tags),
			DeletionVector: cpDeletionVector(a.DeletionVector), BaseRowID: a.BaseRowID, DefaultRowCommitVersion: a.DefaultRowCommitVersion}
		if ca.PartitionValues == nil {
			ca.PartitionValues = map[string]*string{}
		}
		if a.Stats != "" {
			ca.Stats = ptr(a.Stats)
		}
		rows = append(rows, cpRow{Add: ca})
	}
	cutoff := t.opts.Now().Add(-tombstoneRetention(&md)).UnixMilli()
	for _, r := range s.Tombstones() {
		if r.DeletionTimestamp != nil && *r.DeletionTimestamp < cutoff {
			continue // expired: VACUUM may delete the file, readers no longer need it
		}
		rows = append(rows, cpRow{Remove: &cpRemove{Path: ptr(r.Path), DeletionTimestamp: r.DeletionTimestamp,
			DataChange: ptr(false), ExtendedFileMetadata: r.ExtendedFileMetadata, PartitionValues: r.PartitionValues,
			Size: r.Size, DeletionVector: cpDeletionVector(r.DeletionVector)}})
	}
	var buf bytes.Buffer
	w := parquet.NewGenericWriter[cpRow](&buf, checkpointSchema, parquet.Compression(&snappy.Codec{}), parquet.CreatedBy("lakehouse", "0.1.0", ""))
	if _, err := w.Write(rows); err != nil {
		return fmt.Errorf("write checkpoint %d: %w", s.version, err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("write checkpoint %d: %w", s.version, err)
	}
	if err := t.store.Put(ctx, CheckpointName(s.version), buf.Bytes()); err != nil {
		return fmt.Errorf("write checkpoint %d: %w", s.version, err)
	}
	if prev := t.readLastCheckpoint(ctx); prev >= s.version {
		return nil
	}
	lc, _ := json.Marshal(lastCheckpoint{Version: s.version, Size: int64(len(rows)), SizeInBytes: int64(buf.Len()), NumOfAddFiles: int64(len(s.files))})
	if err := t.store.Put(ctx, LastCheckpointName, lc); err != nil {
		return fmt.Errorf("write %s: %w", LastCheckpointName, err)
	}
	return nil
}
