package deltatest

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/deprecated"
	"github.com/parquet-go/parquet-go/format"
)

// Checkpoint rows as this checker reads them (Spark's layout, protocol
// digest §9.2). parquet-go matches columns by name.
type ckRow struct {
	Txn            *ckTxn      `parquet:"txn,optional"`
	Add            *ckAdd      `parquet:"add,optional"`
	Remove         *ckRemove   `parquet:"remove,optional"`
	MetaData       *ckMetadata `parquet:"metaData,optional"`
	Protocol       *ckProtocol `parquet:"protocol,optional"`
	DomainMetadata *ckDomain   `parquet:"domainMetadata,optional"`
}

type ckTxn struct {
	AppID       *string `parquet:"appId,optional"`
	Version     *int64  `parquet:"version,optional"`
	LastUpdated *int64  `parquet:"lastUpdated,optional"`
}

type ckDV struct {
	StorageType *string `parquet:"storageType,optional"`
}

type ckAdd struct {
	Path                    *string            `parquet:"path,optional"`
	PartitionValues         map[string]*string `parquet:"partitionValues,optional"`
	Size                    *int64             `parquet:"size,optional"`
	ModificationTime        *int64             `parquet:"modificationTime,optional"`
	DataChange              *bool              `parquet:"dataChange,optional"`
	Tags                    map[string]*string `parquet:"tags,optional"`
	DeletionVector          *ckDV              `parquet:"deletionVector,optional"`
	BaseRowID               *int64             `parquet:"baseRowId,optional"`
	DefaultRowCommitVersion *int64             `parquet:"defaultRowCommitVersion,optional"`
	Stats                   *string            `parquet:"stats,optional"`
}

type ckRemove struct {
	Path                 *string            `parquet:"path,optional"`
	DeletionTimestamp    *int64             `parquet:"deletionTimestamp,optional"`
	DataChange           *bool              `parquet:"dataChange,optional"`
	ExtendedFileMetadata *bool              `parquet:"extendedFileMetadata,optional"`
	PartitionValues      map[string]*string `parquet:"partitionValues,optional"`
	Size                 *int64             `parquet:"size,optional"`
	DeletionVector       *ckDV              `parquet:"deletionVector,optional"`
}

type ckFormat struct {
	Provider *string            `parquet:"provider,optional"`
	Options  map[string]*string `parquet:"options,optional"`
}

type ckMetadata struct {
	ID               *string            `parquet:"id,optional"`
	Name             *string            `parquet:"name,optional"`
	Description      *string            `parquet:"description,optional"`
	Format           *ckFormat          `parquet:"format,optional"`
	SchemaString     *string            `parquet:"schemaString,optional"`
	PartitionColumns []string           `parquet:"partitionColumns,optional,list"`
	Configuration    map[string]*string `parquet:"configuration,optional"`
	CreatedTime      *int64             `parquet:"createdTime,optional"`
}

type ckProtocol struct {
	MinReaderVersion *int32   `parquet:"minReaderVersion,optional"`
	MinWriterVersion *int32   `parquet:"minWriterVersion,optional"`
	ReaderFeatures   []string `parquet:"readerFeatures,optional,list"`
	WriterFeatures   []string `parquet:"writerFeatures,optional,list"`
}

type ckDomain struct {
	Domain        *string `parquet:"domain,optional"`
	Configuration *string `parquet:"configuration,optional"`
	Removed       *bool   `parquet:"removed,optional"`
}

// layout is one field of the checkpoint schema Spark 3.5 writes.
type layout struct {
	name     string
	kind     byte // 's' string, 'l' int64, 'i' int32, 'b' boolean, 'm' map<string,string>, 'L' list<string>, 'g' struct
	children []layout
	optional bool // may be absent (other writers add or drop it)
}

var dvLayout = []layout{{name: "storageType", kind: 's'}, {name: "pathOrInlineDv", kind: 's'}, {name: "offset", kind: 'i'},
	{name: "sizeInBytes", kind: 'i'}, {name: "cardinality", kind: 'l'}, {name: "maxRowIndex", kind: 'l'}}

var checkpointLayout = []layout{
	{name: "txn", kind: 'g', children: []layout{{name: "appId", kind: 's'}, {name: "version", kind: 'l'}, {name: "lastUpdated", kind: 'l'}}},
	{name: "add", kind: 'g', children: []layout{{name: "path", kind: 's'}, {name: "partitionValues", kind: 'm'},
		{name: "size", kind: 'l'}, {name: "modificationTime", kind: 'l'}, {name: "dataChange", kind: 'b'},
		{name: "tags", kind: 'm'}, {name: "deletionVector", kind: 'g', children: dvLayout},
		{name: "baseRowId", kind: 'l'}, {name: "defaultRowCommitVersion", kind: 'l'}, {name: "stats", kind: 's'},
		{name: "clusteringProvider", kind: 's', optional: true}}},
	{name: "remove", kind: 'g', children: []layout{{name: "path", kind: 's'}, {name: "deletionTimestamp", kind: 'l'},
		{name: "dataChange", kind: 'b'}, {name: "extendedFileMetadata", kind: 'b'}, {name: "partitionValues", kind: 'm'},
		{name: "size", kind: 'l'}, {name: "deletionVector", kind: 'g', children: dvLayout},
		{name: "baseRowId", kind: 'l'}, {name: "defaultRowCommitVersion", kind: 'l'}}},
	{name: "metaData", kind: 'g', children: []layout{{name: "id", kind: 's'}, {name: "name", kind: 's'},
		{name: "description", kind: 's'}, {name: "format", kind: 'g', children: []layout{{name: "provider", kind: 's'}, {name: "options", kind: 'm'}}},
		{name: "schemaString", kind: 's'}, {name: "partitionColumns", kind: 'L'}, {name: "configuration", kind: 'm'},
		{name: "createdTime", kind: 'l'}}},
	{name: "protocol", kind: 'g', children: []layout{{name: "minReaderVersion", kind: 'i'}, {name: "minWriterVersion", kind: 'i'},
		{name: "readerFeatures", kind: 'L'}, {name: "writerFeatures", kind: 'L'}}},
	{name: "domainMetadata", kind: 'g', children: []layout{{name: "domain", kind: 's'}, {name: "configuration", kind: 's'}, {name: "removed", kind: 'b'}}},
}

// pnode is a Parquet schema element with its children.
type pnode struct {
	e        format.SchemaElement
	children []*pnode
}

func buildTree(elems []format.SchemaElement) (*pnode, error) {
	pos := 0
	var walk func() (*pnode, error)
	walk = func() (*pnode, error) {
		if pos >= len(elems) {
			return nil, errors.New("truncated Parquet schema")
		}
		n := &pnode{e: elems[pos]}
		pos++
		k, _ := n.e.NumChildren.Get()
		for range k {
			ch, err := walk()
			if err != nil {
				return nil, err
			}
			n.children = append(n.children, ch)
		}
		return n, nil
	}
	root, err := walk()
	if err == nil && pos != len(elems) {
		err = errors.New("stray Parquet schema elements")
	}
	return root, err
}

func (n *pnode) child(name string) *pnode {
	for _, ch := range n.children {
		if ch.e.Name == name {
			return ch
		}
	}
	return nil
}

func (n *pnode) rep() format.FieldRepetitionType {
	r, _ := n.e.RepetitionType.Get()
	return r
}

func (n *pnode) isString() bool {
	t, ok := n.e.Type.Get()
	_, str := n.e.LogicalType.Value.(*format.StringType)
	conv, hasConv := n.e.ConvertedType.Get()
	return ok && t == format.ByteArray && (str || hasConv && conv == deprecated.UTF8)
}

// checkLayoutNode compares one field of the checkpoint schema with Spark's.
func (c *checker) checkLayoutNode(where, path string, n *pnode, l layout) {
	bad := func(format string, args ...any) {
		c.add(CodeCheckpoint, where, "column %s: %s", path, fmt.Sprintf(format, args...))
	}
	if n.rep() != format.Optional {
		bad("is %s; every field of a checkpoint is optional", n.rep())
	}
	phys, leaf := n.e.Type.Get()
	switch l.kind {
	case 's':
		if !n.isString() {
			bad("want binary (STRING)")
		}
	case 'l', 'i':
		want := format.Int64
		if l.kind == 'i' {
			want = format.Int32
		}
		if !leaf || phys != want {
			bad("want %s", want)
		}
	case 'b':
		if !leaf || phys != format.Boolean {
			bad("want boolean")
		}
	case 'm':
		_, isMap := n.e.LogicalType.Value.(*format.MapType)
		conv, hasConv := n.e.ConvertedType.Get()
		if !isMap && !(hasConv && conv == deprecated.Map) {
			bad("want a MAP-annotated group")
			return
		}
		if len(n.children) != 1 || n.children[0].rep() != format.Repeated || len(n.children[0].children) != 2 {
			bad("a map must hold one repeated group of key and value")
			return
		}
		kv := n.children[0]
		if k := kv.children[0]; k.rep() != format.Required || !k.isString() {
			bad("map keys must be required strings")
		}
		if v := kv.children[1]; v.rep() != format.Optional || !v.isString() {
			bad("map values must be optional strings")
		}
	case 'L':
		_, isList := n.e.LogicalType.Value.(*format.ListType)
		conv, hasConv := n.e.ConvertedType.Get()
		if !isList && !(hasConv && conv == deprecated.List) {
			bad("want a LIST-annotated group")
			return
		}
		if len(n.children) != 1 || n.children[0].rep() != format.Repeated || len(n.children[0].children) != 1 || !n.children[0].children[0].isString() {
			bad("a list must hold one repeated group with one string element")
		}
	case 'g':
		if leaf {
			bad("want a struct")
			return
		}
		for _, cl := range l.children {
			ch := n.child(cl.name)
			if ch == nil {
				if !cl.optional {
					bad("lacks field %q", cl.name)
				}
				continue
			}
			c.checkLayoutNode(where, path+"."+cl.name, ch, cl)
		}
		for _, ch := range n.children {
			if !slices.ContainsFunc(l.children, func(cl layout) bool { return cl.name == ch.e.Name }) {
				bad("has field %q, which Spark's checkpoint schema does not", ch.e.Name)
			}
		}
	}
}

// checkCheckpoint compares the checkpoint of version v with the replayed
// state at v (protocol digest §9.1).
func (c *checker) checkCheckpoint(v int64, name string) {
	where := fmt.Sprintf("checkpoint %d", v)
	rows, ok := c.readCheckpoint(where, name)
	if !ok {
		return
	}
	c.cpCounts[v] = countActions(rows)
	st := c.state
	if st.protocol == nil || st.metadata == nil {
		return
	}
	var protos []*ckProtocol
	var metas []*ckMetadata
	adds := map[string]*ckAdd{}
	removes := map[string]*ckRemove{}
	txns := map[string]*ckTxn{}
	domains := 0
	for i, r := range rows {
		n := 0
		for _, set := range []bool{r.Txn != nil, r.Add != nil, r.Remove != nil, r.MetaData != nil, r.Protocol != nil, r.DomainMetadata != nil} {
			if set {
				n++
			}
		}
		if n != 1 {
			c.add(CodeCheckpoint, where, "row %d holds %d actions, want exactly one", i, n)
			continue
		}
		switch {
		case r.Protocol != nil:
			protos = append(protos, r.Protocol)
		case r.MetaData != nil:
			metas = append(metas, r.MetaData)
		case r.Txn != nil:
			txns[deref(r.Txn.AppID)] = r.Txn
		case r.DomainMetadata != nil:
			domains++
		case r.Add != nil:
			k := decodeOnce(deref(r.Add.Path))
			if adds[k] != nil {
				c.add(CodeCheckpoint, where, "file %s appears twice", k)
			}
			adds[k] = r.Add
		case r.Remove != nil:
			removes[decodeOnce(deref(r.Remove.Path))] = r.Remove
		}
	}
	if len(protos) != 1 || len(metas) != 1 {
		c.add(CodeCheckpoint, where, "%d protocol and %d metaData rows, want one each", len(protos), len(metas))
	}
	if len(protos) > 0 {
		c.compareProtocol(where, protos[0], st.protocol)
	}
	if len(metas) > 0 {
		c.compareMetadata(where, metas[0], st.metadata)
	}
	if domains != len(st.domains) {
		c.add(CodeCheckpoint, where, "%d domainMetadata rows, the log has %d live domains", domains, len(st.domains))
	}
	for app, t := range st.txns {
		got := txns[app]
		if got == nil || deref(got.Version) != t.Version || !samePtr(got.LastUpdated, t.LastUpdated) {
			c.add(CodeCheckpoint, where, "txn of %q differs from the log (log: version %d)", app, t.Version)
		}
	}
	for app := range txns {
		if _, ok := st.txns[app]; !ok {
			c.add(CodeCheckpoint, where, "txn of %q is not in the log", app)
		}
	}
	for _, k := range slices.Sorted(maps.Keys(st.files)) {
		a := st.files[k]
		got := adds[k]
		if got == nil {
			c.add(CodeCheckpoint, where, "live file %s is missing", a.Path)
			continue
		}
		var diffs []string
		if deref(got.Path) != a.Path {
			diffs = append(diffs, fmt.Sprintf("path %q vs %q", deref(got.Path), a.Path))
		}
		if deref(got.Size) != a.Size {
			diffs = append(diffs, fmt.Sprintf("size %d vs %d", deref(got.Size), a.Size))
		}
		if deref(got.ModificationTime) != a.ModificationTime {
			diffs = append(diffs, "modificationTime")
		}
		if !equalPartitionValues(got.PartitionValues, a.PartitionValues) {
			diffs = append(diffs, fmt.Sprintf("partitionValues %s vs %s", showPV(got.PartitionValues), showPV(a.PartitionValues)))
		}
		if deref(got.Stats) != deref(a.Stats) && st.metadata.Configuration["delta.checkpoint.writeStatsAsJson"] != "false" {
			diffs = append(diffs, "stats")
		}
		if !equalPartitionValues(got.Tags, a.Tags) {
			diffs = append(diffs, "tags")
		}
		if got.DeletionVector != nil || !samePtr(got.BaseRowID, a.BaseRowID) || !samePtr(got.DefaultRowCommitVersion, a.DefaultRowCommitVersion) {
			diffs = append(diffs, "deletionVector/baseRowId/defaultRowCommitVersion")
		}
		if got.DataChange == nil || *got.DataChange {
			diffs = append(diffs, "dataChange must be false in a checkpoint")
		}
		if len(diffs) > 0 {
			c.add(CodeCheckpoint, where, "add of %s differs from the log: %s", a.Path, strings.Join(diffs, "; "))
		}
	}
	for k := range adds {
		if st.files[k] == nil {
			c.add(CodeCheckpoint, where, "add of %s, which is not live at version %d", k, v)
		}
	}
	c.compareTombstones(where, v, removes)
}

// compareTombstones: the checkpoint keeps every tombstone that has not
// expired. Expiry is judged from the commit's timestamp, with slack for
// the time the writer took between commit and checkpoint.
func (c *checker) compareTombstones(where string, v int64, removes map[string]*ckRemove) {
	st := c.state
	ref := st.commitTS
	if ref == 0 {
		if fi, err := os.Stat(c.logPath(c.commits[v])); err == nil {
			ref = fi.ModTime().UnixMilli()
		}
	}
	retention := retentionOf(st.metadata)
	const slack = int64(time.Minute / time.Millisecond)
	for _, k := range slices.Sorted(maps.Keys(st.tombs)) {
		r := st.tombs[k]
		got := removes[k]
		expired := r.DeletionTimestamp != nil && *r.DeletionTimestamp < ref-retention-slack
		fresh := r.DeletionTimestamp == nil || *r.DeletionTimestamp >= ref-retention+slack
		switch {
		case got == nil && fresh:
			c.add(CodeCheckpoint, where, "tombstone of %s (deleted at %d, not expired) is missing", r.Path, deref(r.DeletionTimestamp))
		case got != nil && expired:
			c.add(CodeCheckpoint, where, "tombstone of %s expired before the checkpoint but is kept", r.Path)
		case got != nil:
			var diffs []string
			if deref(got.Path) != r.Path {
				diffs = append(diffs, "path")
			}
			if !samePtr(got.DeletionTimestamp, r.DeletionTimestamp) {
				diffs = append(diffs, "deletionTimestamp")
			}
			if !samePtr(got.Size, r.Size) {
				diffs = append(diffs, "size")
			}
			if !samePtr(got.ExtendedFileMetadata, r.ExtendedFileMetadata) {
				diffs = append(diffs, "extendedFileMetadata")
			}
			if (got.PartitionValues == nil) != (r.PartitionValues == nil) || !equalPartitionValues(got.PartitionValues, r.PartitionValues) {
				diffs = append(diffs, "partitionValues")
			}
			if got.DataChange == nil || *got.DataChange {
				diffs = append(diffs, "dataChange must be false in a checkpoint")
			}
			if len(diffs) > 0 {
				c.add(CodeCheckpoint, where, "tombstone of %s differs from the log: %s", r.Path, strings.Join(diffs, ", "))
			}
		}
	}
	for k := range removes {
		if st.tombs[k] == nil {
			c.add(CodeCheckpoint, where, "remove of %s, which is not a tombstone at version %d", k, v)
		}
	}
}

// retentionOf parses delta.deletedFileRetentionDuration ("interval 7 days")
// in milliseconds; default one week.
func retentionOf(md *metadataAction) int64 {
	week := int64(7 * 24 * time.Hour / time.Millisecond)
	f := strings.Fields(strings.ToLower(md.Configuration["delta.deletedFileRetentionDuration"]))
	if len(f) == 3 && f[0] == "interval" {
		f = f[1:]
	}
	if len(f) != 2 {
		return week
	}
	n, err := strconv.ParseFloat(f[0], 64)
	if err != nil {
		return week
	}
	unit := map[string]time.Duration{"second": time.Second, "seconds": time.Second, "minute": time.Minute, "minutes": time.Minute,
		"hour": time.Hour, "hours": time.Hour, "day": 24 * time.Hour, "days": 24 * time.Hour,
		"week": 7 * 24 * time.Hour, "weeks": 7 * 24 * time.Hour}[f[1]]
	if unit == 0 {
		return week
	}
	return int64(n * float64(unit/time.Millisecond))
}

func (c *checker) compareProtocol(where string, got *ckProtocol, want *protocolAction) {
	wantRF, wantWF := deref(want.ReaderFeatures), deref(want.WriterFeatures)
	if int(deref(got.MinReaderVersion)) != want.MinReaderVersion || int(deref(got.MinWriterVersion)) != want.MinWriterVersion ||
		!sameSet(got.ReaderFeatures, wantRF) || !sameSet(got.WriterFeatures, wantWF) {
		c.add(CodeCheckpoint, where, "protocol (%d,%d %v %v) differs from the log's (%d,%d %v %v)",
			deref(got.MinReaderVersion), deref(got.MinWriterVersion), got.ReaderFeatures, got.WriterFeatures,
			want.MinReaderVersion, want.MinWriterVersion, wantRF, wantWF)
	}
}

func (c *checker) compareMetadata(where string, got *ckMetadata, want *metadataAction) {
	var diffs []string
	if deref(got.ID) != want.ID {
		diffs = append(diffs, "id")
	}
	if !samePtr(got.Name, want.Name) || !samePtr(got.Description, want.Description) {
		diffs = append(diffs, "name/description")
	}
	if got.Format == nil || deref(got.Format.Provider) != want.Format.Provider || !sameStrMap(got.Format.Options, want.Format.Options) {
		diffs = append(diffs, "format")
	}
	if deref(got.SchemaString) != want.SchemaString {
		diffs = append(diffs, "schemaString")
	}
	if !slices.Equal(got.PartitionColumns, want.PartitionColumns) {
		diffs = append(diffs, "partitionColumns")
	}
	if !sameStrMap(got.Configuration, want.Configuration) {
		diffs = append(diffs, "configuration")
	}
	if !samePtr(got.CreatedTime, want.CreatedTime) {
		diffs = append(diffs, "createdTime")
	}
	if len(diffs) > 0 {
		c.add(CodeCheckpoint, where, "metaData differs from the log's: %s", strings.Join(diffs, ", "))
	}
}

// readCheckpoint checks the layout of a checkpoint file and reads its rows.
// parquet-go panics on some malformed input, so a panic becomes a problem.
func (c *checker) readCheckpoint(where, name string) (rows []ckRow, ok bool) {
	defer func() {
		if r := recover(); r != nil {
			c.add(CodeCheckpoint, where, "unreadable: parquet-go panicked: %v", r)
			rows, ok = nil, false
		}
	}()
	f, err := os.Open(c.logPath(name))
	if err != nil {
		c.add(CodeCheckpoint, where, "cannot open: %v", err)
		return nil, false
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		c.add(CodeCheckpoint, where, "stat: %v", err)
		return nil, false
	}
	pf, err := parquet.OpenFile(f, fi.Size(), parquet.SkipPageIndex(true), parquet.SkipBloomFilters(true))
	if err != nil {
		c.add(CodeCheckpoint, where, "not a readable Parquet file: %v", err)
		return nil, false
	}
	root, err := buildTree(pf.Metadata().Schema)
	if err != nil {
		c.add(CodeCheckpoint, where, "%v", err)
		return nil, false
	}
	for _, l := range checkpointLayout {
		n := root.child(l.name)
		if n == nil {
			c.add(CodeCheckpoint, where, "lacks the %q column of Spark's checkpoint schema", l.name)
			continue
		}
		c.checkLayoutNode(where, l.name, n, l)
	}
	for _, ch := range root.children {
		if !slices.ContainsFunc(checkpointLayout, func(l layout) bool { return l.name == ch.e.Name }) {
			c.add(CodeCheckpoint, where, "has top-level column %q, which a classic checkpoint does not", ch.e.Name)
		}
	}
	r := parquet.NewGenericReader[ckRow](pf)
	defer r.Close()
	buf := make([]ckRow, 256)
	for {
		n, err := r.Read(buf)
		rows = append(rows, buf[:n]...)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			c.add(CodeCheckpoint, where, "reading rows: %v", err)
			return nil, false
		}
		clear(buf)
	}
	if int64(len(rows)) != pf.NumRows() {
		c.add(CodeCheckpoint, where, "read %d rows, the footer says %d", len(rows), pf.NumRows())
	}
	return rows, true
}

// checkLastCheckpoint: _last_checkpoint, when present, names an existing
// checkpoint and gives its number of actions. It is only a hint: a writer
// that dies between a checkpoint and the hint leaves none (or an older
// one), so a missing or stale hint is not a problem.
func (c *checker) checkLastCheckpoint() {
	const where = "_last_checkpoint"
	data, err := os.ReadFile(c.logPath("_last_checkpoint"))
	if errors.Is(err, os.ErrNotExist) {
		return
	}
	if err != nil {
		c.add(CodeLastCheckpoint, where, "cannot read: %v", err)
		return
	}
	_, fields, err := objectKeys(data)
	if err != nil {
		c.add(CodeLastCheckpoint, where, "not a JSON object: %v", err)
		return
	}
	var lc struct {
		Version       *int64 `json:"version"`
		Size          *int64 `json:"size"`
		Parts         *int64 `json:"parts"`
		SizeInBytes   *int64 `json:"sizeInBytes"`
		NumOfAddFiles *int64 `json:"numOfAddFiles"`
	}
	if err := json.Unmarshal(data, &lc); err != nil || lc.Version == nil || lc.Size == nil {
		c.add(CodeLastCheckpoint, where, "needs integer version and size (fields %v): %v", slices.Sorted(maps.Keys(fields)), err)
		return
	}
	if lc.Parts != nil {
		c.add(CodeLastCheckpoint, where, "parts=%d, but our writer writes single-file checkpoints", *lc.Parts)
	}
	name, ok := c.checkpoints[*lc.Version]
	if !ok {
		c.add(CodeLastCheckpoint, where, "points at version %d, which has no checkpoint", *lc.Version)
		return
	}
	counts, ok := c.cpCounts[*lc.Version]
	if !ok { // not read by checkCheckpoint: unreadable (reported there) or past the replayed commits
		rows, read := c.readCheckpointQuietly(name)
		if !read {
			return
		}
		counts = countActions(rows)
	}
	if counts.actions != *lc.Size {
		c.add(CodeLastCheckpoint, where, "size=%d, but checkpoint %d holds %d actions", *lc.Size, *lc.Version, counts.actions)
	}
	if lc.SizeInBytes != nil {
		if fi, err := os.Stat(c.logPath(name)); err == nil && fi.Size() != *lc.SizeInBytes {
			c.add(CodeLastCheckpoint, where, "sizeInBytes=%d, but the checkpoint file has %d bytes", *lc.SizeInBytes, fi.Size())
		}
	}
	if lc.NumOfAddFiles != nil && counts.adds != *lc.NumOfAddFiles {
		c.add(CodeLastCheckpoint, where, "numOfAddFiles=%d, but the checkpoint has %d adds", *lc.NumOfAddFiles, counts.adds)
	}
}

// checkpointCounts is what _last_checkpoint states about a checkpoint's rows.
type checkpointCounts struct {
	actions, adds int64
}

func countActions(rows []ckRow) checkpointCounts {
	n := checkpointCounts{actions: int64(len(rows))}
	for _, r := range rows {
		if r.Add != nil {
			n.adds++
		}
	}
	return n
}

func (c *checker) readCheckpointQuietly(name string) ([]ckRow, bool) {
	saved := len(c.probs)
	rows, ok := c.readCheckpoint("", name)
	c.probs = c.probs[:saved]
	return rows, ok
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

// samePtr reports whether a and b are both nil or point to equal values.
func samePtr[T comparable](a, b *T) bool {
	return (a == nil) == (b == nil) && (a == nil || *a == *b)
}

func sameSet(a, b []string) bool {
	x, y := slices.Clone(a), slices.Clone(b)
	slices.Sort(x)
	slices.Sort(y)
	return slices.Equal(x, y)
}

func sameStrMap(a map[string]*string, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range b {
		if a[k] == nil || *a[k] != v {
			return false
		}
	}
	return true
}
