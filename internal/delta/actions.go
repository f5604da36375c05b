package delta

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strings"
)

// Protocol is the protocol action: the reader and writer versions, and the
// explicit feature lists of reader version 3 / writer version 7.
type Protocol struct {
	MinReaderVersion int      `json:"minReaderVersion"`
	MinWriterVersion int      `json:"minWriterVersion"`
	ReaderFeatures   []string `json:"readerFeatures,omitempty"`
	WriterFeatures   []string `json:"writerFeatures,omitempty"`
}

// Format names the data file format of a table.
type Format struct {
	Provider string            `json:"provider"`
	Options  map[string]string `json:"options"`
}

// Metadata is the metaData action.
type Metadata struct {
	ID               string            `json:"id"`
	Name             *string           `json:"name,omitempty"`
	Description      *string           `json:"description,omitempty"`
	Format           Format            `json:"format"`
	SchemaString     string            `json:"schemaString"`
	PartitionColumns []string          `json:"partitionColumns"`
	Configuration    map[string]string `json:"configuration"`
	CreatedTime      *int64            `json:"createdTime,omitempty"`
}

// DeletionVector describes a deletion vector attached to a file. We only
// recognise it (to refuse tables that use them); see Protocol checks.
type DeletionVector struct {
	StorageType    string `json:"storageType"`
	PathOrInlineDv string `json:"pathOrInlineDv"`
	Offset         *int32 `json:"offset,omitempty"`
	SizeInBytes    int32  `json:"sizeInBytes"`
	Cardinality    int64  `json:"cardinality"`
	MaxRowIndex    *int64 `json:"maxRowIndex,omitempty"`
}

// UniqueID is the deletion vector's identity within a table.
func (dv *DeletionVector) UniqueID() string {
	if dv == nil {
		return ""
	}
	id := dv.StorageType + dv.PathOrInlineDv
	if dv.Offset != nil {
		id += fmt.Sprintf("@%d", *dv.Offset)
	}
	return id
}

// Add is the add action: a data file that is part of the table.
type Add struct {
	Path                    string             `json:"path"`
	PartitionValues         map[string]*string `json:"partitionValues"`
	Size                    int64              `json:"size"`
	ModificationTime        int64              `json:"modificationTime"`
	DataChange              bool               `json:"dataChange"`
	Stats                   string             `json:"stats,omitempty"`
	Tags                    map[string]string  `json:"tags,omitempty"`
	DeletionVector          *DeletionVector    `json:"deletionVector,omitempty"`
	BaseRowID               *int64             `json:"baseRowId,omitempty"`
	DefaultRowCommitVersion *int64             `json:"defaultRowCommitVersion,omitempty"`
	ClusteringProvider      *string            `json:"clusteringProvider,omitempty"`

	// statsParsed holds stats read from a checkpoint's stats_parsed column
	// when the JSON form is absent.
	statsParsed *Stats
}

// Remove is the remove action: a tombstone for a file no longer in the table.
type Remove struct {
	Path                 string             `json:"path"`
	DeletionTimestamp    *int64             `json:"deletionTimestamp,omitempty"`
	DataChange           bool               `json:"dataChange"`
	ExtendedFileMetadata *bool              `json:"extendedFileMetadata,omitempty"`
	PartitionValues      map[string]*string `json:"partitionValues,omitempty"`
	Size                 *int64             `json:"size,omitempty"`
	Stats                string             `json:"stats,omitempty"`
	Tags                 map[string]string  `json:"tags,omitempty"`
	DeletionVector       *DeletionVector    `json:"deletionVector,omitempty"`
}

// Txn is the SetTransaction action used for idempotent writes.
type Txn struct {
	AppID       string `json:"appId"`
	Version     int64  `json:"version"`
	LastUpdated *int64 `json:"lastUpdated,omitempty"`
}

// DomainMetadata is the domainMetadata action.
type DomainMetadata struct {
	Domain        string `json:"domain"`
	Configuration string `json:"configuration"`
	Removed       bool   `json:"removed"`
}

// CDC is the cdc action (change data files); snapshot readers ignore it.
type CDC struct {
	Path            string             `json:"path"`
	PartitionValues map[string]*string `json:"partitionValues"`
	Size            int64              `json:"size"`
	DataChange      bool               `json:"dataChange"`
}

// CommitInfo is the provenance of a commit. Only the keys we use are typed;
// Raw keeps the whole object as written.
type CommitInfo struct {
	Timestamp           *int64                     `json:"timestamp,omitempty"`
	InCommitTimestamp   *int64                     `json:"inCommitTimestamp,omitempty"`
	Operation           string                     `json:"operation,omitempty"`
	OperationParameters map[string]json.RawMessage `json:"operationParameters,omitempty"`
	ReadVersion         *int64                     `json:"readVersion,omitempty"`
	IsolationLevel      string                     `json:"isolationLevel,omitempty"`
	IsBlindAppend       *bool                      `json:"isBlindAppend,omitempty"`
	OperationMetrics    map[string]json.RawMessage `json:"operationMetrics,omitempty"`
	EngineInfo          string                     `json:"engineInfo,omitempty"`
	TxnID               string                     `json:"txnId,omitempty"`
	UserMetadata        string                     `json:"userMetadata,omitempty"`

	Raw json.RawMessage `json:"-"`
}

// Action is one line of a commit file: exactly one of its fields is set.
// Unknown action kinds leave every field nil and are ignored.
type Action struct {
	Add            *Add            `json:"add,omitempty"`
	Remove         *Remove         `json:"remove,omitempty"`
	Metadata       *Metadata       `json:"metaData,omitempty"`
	Protocol       *Protocol       `json:"protocol,omitempty"`
	Txn            *Txn            `json:"txn,omitempty"`
	CommitInfo     *CommitInfo     `json:"commitInfo,omitempty"`
	CDC            *CDC            `json:"cdc,omitempty"`
	DomainMetadata *DomainMetadata `json:"domainMetadata,omitempty"`

	// Checkpoint-only actions (V2 checkpoints); recognised so that a stray
	// one is not mistaken for an unknown action.
	CheckpointMetadata json.RawMessage `json:"checkpointMetadata,omitempty"`
	Sidecar            json.RawMessage `json:"sidecar,omitempty"`
}

// ParseCommit parses the newline-delimited actions of one commit file.
// Blank lines are skipped; a line that is not a JSON object is corruption.
func ParseCommit(data []byte) ([]Action, error) {
	var actions []Action
	lineNo := 0
	for len(data) > 0 {
		lineNo++
		line := data
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			line, data = data[:i], data[i+1:]
		} else {
			data = nil
		}
		line = bytes.TrimSpace(line)
		if len(line) == 0 {
			continue
		}
		var a Action
		if err := json.Unmarshal(line, &a); err != nil {
			return nil, fmt.Errorf("%w: line %d: %v", ErrCorrupt, lineNo, err)
		}
		if a.CommitInfo != nil {
			var wrap struct {
				CommitInfo json.RawMessage `json:"commitInfo"`
			}
			if json.Unmarshal(line, &wrap) == nil {
				a.CommitInfo.Raw = wrap.CommitInfo
			}
		}
		if err := a.validate(); err != nil {
			return nil, fmt.Errorf("%w: line %d: %v", ErrCorrupt, lineNo, err)
		}
		actions = append(actions, a)
	}
	return actions, nil
}

func (a *Action) validate() error {
	switch {
	case a.Add != nil:
		if a.Add.Path == "" {
			return fmt.Errorf("add action without a path")
		}
		if a.Add.Size < 0 {
			return fmt.Errorf("add %s: negative size", a.Add.Path)
		}
	case a.Remove != nil:
		if a.Remove.Path == "" {
			return fmt.Errorf("remove action without a path")
		}
	case a.Txn != nil:
		if a.Txn.AppID == "" {
			return fmt.Errorf("txn action without an appId")
		}
	case a.Metadata != nil:
		if a.Metadata.SchemaString == "" {
			return fmt.Errorf("metaData action without a schemaString")
		}
	case a.Protocol != nil:
		if a.Protocol.MinReaderVersion < 1 || a.Protocol.MinWriterVersion < 1 {
			return fmt.Errorf("protocol action with versions (%d,%d)", a.Protocol.MinReaderVersion, a.Protocol.MinWriterVersion)
		}
	}
	return nil
}

// fileKey identifies a logical file: its decoded path plus deletion vector id.
func fileKey(path string, dv *DeletionVector) string {
	p := decodePath(path)
	if dv != nil {
		return p + "\x00" + dv.UniqueID()
	}
	return p
}

// decodePath percent-decodes a log path exactly once; a path that is not
// valid escaping is used as written.
func decodePath(p string) string {
	if !strings.ContainsRune(p, '%') {
		return p
	}
	d, err := url.PathUnescape(p)
	if err != nil {
		return p
	}
	return d
}

// encodePath URI-encodes a relative file path for the log: every byte
// outside the unreserved set and "/" is percent-encoded, except non-ASCII
// UTF-8, which Spark leaves as is.
func encodePath(p string) string {
	var b strings.Builder
	for i := 0; i < len(p); i++ {
		c := p[i]
		if c >= 0x80 || ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z') || ('0' <= c && c <= '9') ||
			strings.IndexByte("-._~/=+:@!$&'()*,;", c) >= 0 {
			if c == ':' && !strings.Contains(p[:i], "/") && !strings.Contains(p[i:], "/") {
				// a bare "a:b" would read as a URI scheme
				b.WriteString("%3A")
				continue
			}
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte("0123456789ABCDEF"[c>>4])
		b.WriteByte("0123456789ABCDEF"[c&0xF])
	}
	return b.String()
}

// appendSortedMap writes a JSON object of m with sorted keys, each value
// written by appendValue.
func appendSortedMap[V any](dst []byte, m map[string]V, appendValue func([]byte, V) []byte) []byte {
	dst = append(dst, '{')
	for i, k := range slices.Sorted(maps.Keys(m)) {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendJSONString(dst, k)
		dst = append(dst, ':')
		dst = appendValue(dst, m[k])
	}
	return append(dst, '}')
}

// appendPartitionValues writes partition values in the order of cols (then
// any others sorted); nil values become null.
func appendPartitionValues(dst []byte, pv map[string]*string, cols []string) []byte {
	keys := make([]string, 0, len(pv))
	for _, c := range cols {
		if _, ok := pv[c]; ok {
			keys = append(keys, c)
		}
	}
	var rest []string
	for k := range pv {
		if !slices.Contains(cols, k) {
			rest = append(rest, k)
		}
	}
	slices.Sort(rest)
	keys = append(keys, rest...)
	dst = append(dst, '{')
	for i, k := range keys {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendJSONString(dst, k)
		dst = append(dst, ':')
		if v := pv[k]; v == nil {
			dst = append(dst, "null"...)
		} else {
			dst = appendJSONString(dst, *v)
		}
	}
	return append(dst, '}')
}

// marshal writes the action as one compact JSON line (without newline), with
// keys in the order Spark writes them.
func (a *Action) marshal(dst []byte, partCols []string) ([]byte, error) {
	switch {
	case a.Add != nil:
		x := a.Add
		o := newJSONObject(append(dst, `{"add":`...))
		o.str("path", x.Path)
		o.raw("partitionValues", appendPartitionValues(nil, x.PartitionValues, partCols))
		o.int("size", x.Size)
		o.int("modificationTime", x.ModificationTime)
		o.bool("dataChange", x.DataChange)
		if x.Stats != "" {
			o.str("stats", x.Stats)
		}
		if len(x.Tags) > 0 {
			o.strMap("tags", x.Tags)
		}
		if x.BaseRowID != nil {
			o.int("baseRowId", *x.BaseRowID)
		}
		if x.DefaultRowCommitVersion != nil {
			o.int("defaultRowCommitVersion", *x.DefaultRowCommitVersion)
		}
		if x.DeletionVector != nil {
			b, err := json.Marshal(x.DeletionVector)
			if err != nil {
				return nil, err
			}
			o.raw("deletionVector", b)
		}
		if x.ClusteringProvider != nil {
			o.str("clusteringProvider", *x.ClusteringProvider)
		}
		return append(o.bytes(), '}'), nil
	case a.Remove != nil:
		x := a.Remove
		o := newJSONObject(append(dst, `{"remove":`...))
		o.str("path", x.Path)
		if x.DeletionTimestamp != nil {
			o.int("deletionTimestamp", *x.DeletionTimestamp)
		}
		o.bool("dataChange", x.DataChange)
		if x.ExtendedFileMetadata != nil {
			o.bool("extendedFileMetadata", *x.ExtendedFileMetadata)
		}
		if x.PartitionValues != nil {
			o.raw("partitionValues", appendPartitionValues(nil, x.PartitionValues, partCols))
		}
		if x.Size != nil {
			o.int("size", *x.Size)
		}
		if x.Stats != "" {
			o.str("stats", x.Stats)
		}
		if len(x.Tags) > 0 {
			o.strMap("tags", x.Tags)
		}
		if x.DeletionVector != nil {
			b, err := json.Marshal(x.DeletionVector)
			if err != nil {
				return nil, err
			}
			o.raw("deletionVector", b)
		}
		return append(o.bytes(), '}'), nil
	case a.Metadata != nil:
		x := a.Metadata
		o := newJSONObject(append(dst, `{"metaData":`...))
		o.str("id", x.ID)
		if x.Name != nil {
			o.str("name", *x.Name)
		}
		if x.Description != nil {
			o.str("description", *x.Description)
		}
		opts := x.Format.Options
		if opts == nil {
			opts = map[string]string{}
		}
		f := newJSONObject(nil)
		f.str("provider", x.Format.Provider)
		f.strMap("options", opts)
		o.raw("format", f.bytes())
		o.str("schemaString", x.SchemaString)
		pc := []byte{'['}
		for i, c := range x.PartitionColumns {
			if i > 0 {
				pc = append(pc, ',')
			}
			pc = appendJSONString(pc, c)
		}
		o.raw("partitionColumns", append(pc, ']'))
		o.strMap("configuration", x.Configuration)
		if x.CreatedTime != nil {
			o.int("createdTime", *x.CreatedTime)
		}
		return append(o.bytes(), '}'), nil
	case a.Protocol != nil:
		b, err := json.Marshal(a.Protocol)
		if err != nil {
			return nil, err
		}
		return append(append(append(dst, `{"protocol":`...), b...), '}'), nil
	case a.Txn != nil:
		o := newJSONObject(append(dst, `{"txn":`...))
		o.str("appId", a.Txn.AppID)
		o.int("version", a.Txn.Version)
		if a.Txn.LastUpdated != nil {
			o.int("lastUpdated", *a.Txn.LastUpdated)
		}
		return append(o.bytes(), '}'), nil
	case a.CommitInfo != nil:
		return append(append(append(dst, `{"commitInfo":`...), a.CommitInfo.marshal()...), '}'), nil
	case a.DomainMetadata != nil:
		o := newJSONObject(append(dst, `{"domainMetadata":`...))
		o.str("domain", a.DomainMetadata.Domain)
		o.str("configuration", a.DomainMetadata.Configuration)
		o.bool("removed", a.DomainMetadata.Removed)
		return append(o.bytes(), '}'), nil
	}
	return nil, fmt.Errorf("cannot write an empty action")
}

func (c *CommitInfo) marshal() []byte {
	o := newJSONObject(nil)
	if c.InCommitTimestamp != nil {
		o.int("inCommitTimestamp", *c.InCommitTimestamp)
	}
	if c.Timestamp != nil {
		o.int("timestamp", *c.Timestamp)
	}
	if c.Operation != "" {
		o.str("operation", c.Operation)
	}
	if c.OperationParameters != nil {
		o.raw("operationParameters", appendRawMap(nil, c.OperationParameters))
	}
	if c.ReadVersion != nil {
		o.int("readVersion", *c.ReadVersion)
	}
	if c.IsolationLevel != "" {
		o.str("isolationLevel", c.IsolationLevel)
	}
	if c.IsBlindAppend != nil {
		o.bool("isBlindAppend", *c.IsBlindAppend)
	}
	if c.OperationMetrics != nil {
		o.raw("operationMetrics", appendRawMap(nil, c.OperationMetrics))
	}
	if c.UserMetadata != "" {
		o.str("userMetadata", c.UserMetadata)
	}
	if c.EngineInfo != "" {
		o.str("engineInfo", c.EngineInfo)
	}
	if c.TxnID != "" {
		o.str("txnId", c.TxnID)
	}
	return o.bytes()
}

// appendRawMap writes a JSON object of raw JSON values with sorted keys.
func appendRawMap(dst []byte, m map[string]json.RawMessage) []byte {
	return appendSortedMap(dst, m, func(dst []byte, v json.RawMessage) []byte { return append(dst, v...) })
}

// jsonStr returns v as a JSON string value, for operationParameters and
// operationMetrics whose values Spark writes as strings.
func jsonStr(v string) json.RawMessage { return appendJSONString(nil, v) }

// jsonInt returns n as a JSON string value (Spark writes metrics as strings).
func jsonInt(n int64) json.RawMessage { return jsonStr(fmt.Sprint(n)) }
