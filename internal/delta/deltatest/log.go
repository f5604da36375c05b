package deltatest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strings"
)

// The actions, as this checker reads them. Pointers mark fields whose
// absence matters.
type protocolAction struct {
	MinReaderVersion int       `json:"minReaderVersion"`
	MinWriterVersion int       `json:"minWriterVersion"`
	ReaderFeatures   *[]string `json:"readerFeatures"`
	WriterFeatures   *[]string `json:"writerFeatures"`
}

type formatSpec struct {
	Provider string            `json:"provider"`
	Options  map[string]string `json:"options"`
}

type metadataAction struct {
	ID               string            `json:"id"`
	Name             *string           `json:"name"`
	Description      *string           `json:"description"`
	Format           formatSpec        `json:"format"`
	SchemaString     string            `json:"schemaString"`
	PartitionColumns []string          `json:"partitionColumns"`
	Configuration    map[string]string `json:"configuration"`
	CreatedTime      *int64            `json:"createdTime"`
}

type dvDescriptor struct {
	StorageType    string `json:"storageType"`
	PathOrInlineDv string `json:"pathOrInlineDv"`
	Offset         *int32 `json:"offset"`
	SizeInBytes    int32  `json:"sizeInBytes"`
	Cardinality    int64  `json:"cardinality"`
	MaxRowIndex    *int64 `json:"maxRowIndex"`
}

type addAction struct {
	Path                    string             `json:"path"`
	PartitionValues         map[string]*string `json:"partitionValues"`
	Size                    int64              `json:"size"`
	ModificationTime        int64              `json:"modificationTime"`
	DataChange              bool               `json:"dataChange"`
	Stats                   *string            `json:"stats"`
	Tags                    map[string]*string `json:"tags"`
	DeletionVector          *dvDescriptor      `json:"deletionVector"`
	BaseRowID               *int64             `json:"baseRowId"`
	DefaultRowCommitVersion *int64             `json:"defaultRowCommitVersion"`
}

type removeAction struct {
	Path                 string             `json:"path"`
	DeletionTimestamp    *int64             `json:"deletionTimestamp"`
	DataChange           bool               `json:"dataChange"`
	ExtendedFileMetadata *bool              `json:"extendedFileMetadata"`
	PartitionValues      map[string]*string `json:"partitionValues"`
	Size                 *int64             `json:"size"`
	Stats                *string            `json:"stats"`
	Tags                 map[string]*string `json:"tags"`
	DeletionVector       *dvDescriptor      `json:"deletionVector"`
}

type txnAction struct {
	AppID       string `json:"appId"`
	Version     int64  `json:"version"`
	LastUpdated *int64 `json:"lastUpdated"`
}

type domainAction struct {
	Domain        string `json:"domain"`
	Configuration string `json:"configuration"`
	Removed       bool   `json:"removed"`
}

type cdcAction struct {
	Path            string             `json:"path"`
	PartitionValues map[string]*string `json:"partitionValues"`
	Size            int64              `json:"size"`
	DataChange      bool               `json:"dataChange"`
}

// action is one parsed line: Kind names the single top-level key.
type action struct {
	Kind     string
	Line     int
	Protocol *protocolAction
	Metadata *metadataAction
	Add      *addAction
	Remove   *removeAction
	Txn      *txnAction
	Domain   *domainAction
	CDC      *cdcAction
	Info     map[string]json.RawMessage
}

// required lists the fields each action must carry (protocol digest §3),
// plus add.stats, which our writer promises.
var required = map[string][]string{
	"add":            {"path", "partitionValues", "size", "modificationTime", "dataChange", "stats"},
	"remove":         {"path", "dataChange"},
	"metaData":       {"id", "format", "schemaString", "partitionColumns", "configuration"},
	"protocol":       {"minReaderVersion", "minWriterVersion"},
	"txn":            {"appId", "version"},
	"domainMetadata": {"domain", "configuration", "removed"},
	"cdc":            {"path", "partitionValues", "size", "dataChange"},
	"commitInfo":     nil,
}

// objectKeys decodes one JSON object and returns its keys in order, failing
// on duplicate keys or trailing data.
func objectKeys(data []byte) ([]string, map[string]json.RawMessage, error) {
	d := json.NewDecoder(bytes.NewReader(data))
	tok, err := d.Token()
	if err != nil {
		return nil, nil, err
	}
	if tok != json.Delim('{') {
		return nil, nil, fmt.Errorf("not a JSON object")
	}
	var keys []string
	vals := map[string]json.RawMessage{}
	for d.More() {
		tok, err := d.Token()
		if err != nil {
			return nil, nil, err
		}
		k, _ := tok.(string)
		var v json.RawMessage
		if err := d.Decode(&v); err != nil {
			return nil, nil, err
		}
		if _, dup := vals[k]; dup {
			return nil, nil, fmt.Errorf("key %q appears twice", k)
		}
		keys = append(keys, k)
		vals[k] = v
	}
	if _, err := d.Token(); err != nil {
		return nil, nil, err
	}
	if _, err := d.Token(); !errors.Is(err, io.EOF) {
		return nil, nil, fmt.Errorf("data after the JSON object")
	}
	return keys, vals, nil
}

func isNull(v json.RawMessage) bool { return len(v) == 0 || string(v) == "null" }

// parseAction parses one commit line; it returns nil after reporting a
// problem when the line is not a usable action.
func (c *checker) parseAction(where string, lineNo int, line []byte) *action {
	keys, top, err := objectKeys(line)
	if err != nil {
		c.add(CodeAction, where, "not a JSON object: %v", err)
		return nil
	}
	if len(keys) != 1 {
		c.add(CodeAction, where, "a line must hold exactly one action, found keys %v", keys)
		return nil
	}
	kind := keys[0]
	req, known := required[kind]
	if !known {
		c.add(CodeAction, where, "unknown action %q (our writer never writes one)", kind)
		return nil
	}
	_, fields, err := objectKeys(top[kind])
	if err != nil {
		c.add(CodeAction, where, "%s: %v", kind, err)
		return nil
	}
	var missing []string
	for _, f := range req {
		if isNull(fields[f]) {
			missing = append(missing, f)
		}
	}
	if len(missing) > 0 {
		c.add(CodeAction, where, "%s lacks required fields %v", kind, missing)
		return nil
	}
	a := &action{Kind: kind, Line: lineNo}
	var target any
	switch kind {
	case "add":
		a.Add = &addAction{}
		target = a.Add
	case "remove":
		a.Remove = &removeAction{}
		target = a.Remove
	case "metaData":
		a.Metadata = &metadataAction{}
		target = a.Metadata
	case "protocol":
		a.Protocol = &protocolAction{}
		target = a.Protocol
	case "txn":
		a.Txn = &txnAction{}
		target = a.Txn
	case "domainMetadata":
		a.Domain = &domainAction{}
		target = a.Domain
	case "cdc":
		a.CDC = &cdcAction{}
		target = a.CDC
	case "commitInfo":
		a.Info = fields
		return a
	}
	if err := json.Unmarshal(top[kind], target); err != nil {
		c.add(CodeAction, where, "%s has a field of the wrong type: %v", kind, err)
		return nil
	}
	return a
}

// state is the table replayed up to some version.
type state struct {
	version  int64
	protocol *protocolAction
	metadata *metadataAction
	schema   *tableSchema // nil while the schemaString is unusable
	txns     map[string]txnAction
	files    map[string]*addAction    // live adds by decoded path
	tombs    map[string]*removeAction // tombstones by decoded path
	domains  map[string]domainAction
	commitTS int64 // commitInfo.timestamp of the last replayed commit (0 if none)
}

func newState() *state {
	return &state{version: -1, txns: map[string]txnAction{}, files: map[string]*addAction{},
		tombs: map[string]*removeAction{}, domains: map[string]domainAction{}}
}

// replayCommit checks commit v and applies it to the state.
func (c *checker) replayCommit(v int64) {
	name := c.commits[v]
	where := fmt.Sprintf("commit %d", v)
	data, err := os.ReadFile(c.logPath(name))
	if err != nil {
		c.add(CodeLog, where, "cannot read: %v", err)
		return
	}
	if len(data) == 0 || data[len(data)-1] != '\n' {
		c.add(CodeAction, where, "the commit does not end with a newline (every action is a \\n-terminated line)")
	}
	var acts []*action
	for i, line := range bytes.Split(bytes.TrimSuffix(data, []byte("\n")), []byte("\n")) {
		lw := fmt.Sprintf("commit %d line %d", v, i+1)
		if len(bytes.TrimSpace(line)) == 0 {
			c.add(CodeAction, lw, "blank line")
			continue
		}
		if a := c.parseAction(lw, i+1, line); a != nil {
			acts = append(acts, a)
		}
	}
	c.checkCommitShape(v, acts)

	st := c.state
	st.version = v
	st.commitTS = 0
	for _, a := range acts {
		switch {
		case a.Protocol != nil:
			c.checkProtocol(fmt.Sprintf("commit %d line %d", v, a.Line), a.Protocol)
			st.protocol = a.Protocol
		case a.Info != nil:
			if ts, ok := a.Info["timestamp"]; ok {
				_ = json.Unmarshal(ts, &st.commitTS)
			}
		}
	}
	for _, a := range acts {
		if a.Metadata != nil {
			st.metadata = a.Metadata
			st.schema = c.checkMetadata(fmt.Sprintf("commit %d line %d", v, a.Line), a.Metadata)
		}
	}
	if st.protocol != nil && st.schema != nil && (a0Has(acts, "protocol") || a0Has(acts, "metaData")) {
		c.checkProtocolCoversSchema(where, st.protocol, st.schema)
	}
	if st.metadata == nil || st.protocol == nil {
		return // reported by checkCommitShape for commit 0
	}

	live := maps.Clone(st.files) // files live before this commit
	for _, a := range acts {
		lw := fmt.Sprintf("commit %d line %d", v, a.Line)
		switch {
		case a.Txn != nil:
			st.txns[a.Txn.AppID] = *a.Txn
		case a.Domain != nil:
			if a.Domain.Removed {
				delete(st.domains, a.Domain.Domain)
			} else {
				st.domains[a.Domain.Domain] = *a.Domain
			}
		case a.Remove != nil:
			c.applyRemove(lw, a.Remove, live)
		}
	}
	for _, a := range acts {
		if a.Add != nil {
			c.applyAdd(fmt.Sprintf("commit %d line %d", v, a.Line), a.Add)
		}
	}
}

func a0Has(acts []*action, kind string) bool {
	return slices.ContainsFunc(acts, func(a *action) bool { return a.Kind == kind })
}

// checkCommitShape applies the per-commit rules of the protocol digest §3.
func (c *checker) checkCommitShape(v int64, acts []*action) {
	where := fmt.Sprintf("commit %d", v)
	count := map[string]int{}
	txns := map[string]bool{}
	adds := map[string]bool{}
	removes := map[string]bool{}
	for _, a := range acts {
		count[a.Kind]++
		switch {
		case a.Txn != nil:
			if txns[a.Txn.AppID] {
				c.add(CodeCommit, where, "two txn actions for application %q", a.Txn.AppID)
			}
			txns[a.Txn.AppID] = true
		case a.Add != nil:
			k := decodeOnce(a.Add.Path)
			if adds[k] {
				c.add(CodeCommit, where, "file %s is added twice", a.Add.Path)
			}
			adds[k] = true
		case a.Remove != nil:
			k := decodeOnce(a.Remove.Path)
			if removes[k] {
				c.add(CodeCommit, where, "file %s is removed twice", a.Remove.Path)
			}
			removes[k] = true
		}
	}
	for k := range adds {
		if removes[k] {
			c.add(CodeCommit, where, "file %s is both added and removed", k)
		}
	}
	for _, kind := range []string{"metaData", "protocol", "commitInfo"} {
		if count[kind] > 1 {
			c.add(CodeCommit, where, "%d %s actions (at most one per commit)", count[kind], kind)
		}
	}
	if v == 0 {
		for _, kind := range []string{"protocol", "metaData"} {
			if count[kind] == 0 {
				c.add(CodeCommit, where, "commit 0 has no %s action", kind)
			}
		}
	}
}

func (c *checker) applyRemove(where string, r *removeAction, live map[string]*addAction) {
	st := c.state
	k := decodeOnce(r.Path)
	a, ok := live[k]
	if !ok {
		c.add(CodeRemove, where, "remove of %s, which is not a live file of the table", r.Path)
	} else {
		if r.ExtendedFileMetadata != nil && *r.ExtendedFileMetadata {
			if r.Size == nil || r.PartitionValues == nil {
				c.add(CodeRemove, where, "remove of %s has extendedFileMetadata=true but lacks size or partitionValues", r.Path)
			}
		}
		if r.Size != nil && *r.Size != a.Size {
			c.add(CodeRemove, where, "remove of %s says size %d, the add said %d", r.Path, *r.Size, a.Size)
		}
		if r.PartitionValues != nil && !equalPartitionValues(r.PartitionValues, a.PartitionValues) {
			c.add(CodeRemove, where, "remove of %s has partitionValues %s, the add had %s", r.Path, showPV(r.PartitionValues), showPV(a.PartitionValues))
		}
		if r.Path != a.Path {
			c.add(CodeRemove, where, "remove path %q is written differently from the add's %q", r.Path, a.Path)
		}
	}
	delete(st.files, k)
	st.tombs[k] = r
}

func (c *checker) applyAdd(where string, a *addAction) {
	st := c.state
	k := decodeOnce(a.Path)
	if _, ok := st.files[k]; ok {
		c.add(CodeCommit, where, "file %s is added while it is already live (our writer never reuses a file name)", a.Path)
	}
	if a.DeletionVector != nil {
		c.add(CodeAction, where, "add of %s carries a deletion vector, which our writer never writes", a.Path)
	}
	c.checkAdd(where, a)
	st.files[k] = a
	delete(st.tombs, k)
}

func equalPartitionValues(a, b map[string]*string) bool {
	return maps.EqualFunc(a, b, samePtr[string])
}

func showPV(m map[string]*string) string {
	keys := slices.Sorted(maps.Keys(m))
	var b strings.Builder
	b.WriteByte('{')
	for i, k := range keys {
		if i > 0 {
			b.WriteByte(',')
		}
		if m[k] == nil {
			fmt.Fprintf(&b, "%q:null", k)
		} else {
			fmt.Fprintf(&b, "%q:%q", k, *m[k])
		}
	}
	b.WriteByte('}')
	return b.String()
}
