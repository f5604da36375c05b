package deltatest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/big"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/deprecated"
	"github.com/parquet-go/parquet-go/format"
)

// decodeOnce percent-decodes a log path exactly once (protocol digest §5);
// an undecodable path is returned as written (checkAdd reports it).
func decodeOnce(p string) string {
	d, err := url.PathUnescape(p)
	if err != nil {
		return p
	}
	return d
}

// uriProblem says why p is not a correctly encoded relative URI reference,
// or returns "". Non-ASCII UTF-8 may stay raw (Spark leaves it so).
func uriProblem(p string) string {
	if p == "" {
		return "empty path"
	}
	if strings.HasPrefix(p, "/") || strings.Contains(p, "://") {
		return "absolute path (our writer writes paths relative to the table root)"
	}
	first, _, _ := strings.Cut(p, "/")
	if strings.Contains(first, ":") {
		return "':' in the first segment makes the path read as a URI scheme; it must be %3A"
	}
	if !utf8.ValidString(p) {
		return "not valid UTF-8"
	}
	for i := 0; i < len(p); i++ {
		ch := p[i]
		switch {
		case ch >= 0x80, 'a' <= ch && ch <= 'z', 'A' <= ch && ch <= 'Z', '0' <= ch && ch <= '9':
		case strings.IndexByte("-._~!$&'()*+,;=:@/", ch) >= 0:
		case ch == '%':
			if i+2 >= len(p) || !isHex(p[i+1]) || !isHex(p[i+2]) {
				return fmt.Sprintf("'%%' at byte %d is not followed by two hex digits (a literal %% must be %%25)", i)
			}
		default:
			return fmt.Sprintf("character %q at byte %d must be percent-encoded", ch, i)
		}
	}
	return ""
}

func isHex(b byte) bool {
	return '0' <= b && b <= '9' || 'a' <= b && b <= 'f' || 'A' <= b && b <= 'F'
}

// hiveEscape escapes a partition column name or value for a directory name
// the way Spark does (ExternalCatalogUtils.escapePathName).
func hiveEscape(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		ch := s[i]
		if ch < 0x20 || ch == 0x7F || strings.IndexByte("\"#%'*/:=?\\{[]^", ch) >= 0 {
			fmt.Fprintf(&b, "%%%02X", ch)
			continue
		}
		b.WriteByte(ch)
	}
	return b.String()
}

// checkAdd checks one add action: its path, its file on disk, its partition
// values and, once per file, the data and statistics.
func (c *checker) checkAdd(where string, a *addAction) {
	st := c.state
	if msg := uriProblem(a.Path); msg != "" {
		c.add(CodePath, where, "path %q: %s", a.Path, msg)
	}
	rel, err := url.PathUnescape(a.Path)
	if err != nil {
		c.add(CodePath, where, "path %q cannot be percent-decoded: %v", a.Path, err)
		return
	}
	segs := strings.Split(rel, "/")
	for _, s := range segs {
		if s == "" || s == "." || s == ".." {
			c.add(CodePath, where, "decoded path %q has an empty, \".\" or \"..\" segment", rel)
			return
		}
	}
	if strings.HasPrefix(segs[0], "_") || strings.HasPrefix(segs[0], ".") {
		c.add(CodePath, where, "decoded path %q is in a hidden directory", rel)
	}
	if !strings.HasSuffix(rel, ".parquet") {
		c.add(CodePath, where, "data file %q is not a .parquet file", rel)
	}
	c.checkPartitionValues(where, a)
	if want := partitionDirs(st.metadata.PartitionColumns, a.PartitionValues); !strings.HasPrefix(rel, want) || strings.Count(rel, "/") != len(st.metadata.PartitionColumns) {
		c.add(CodePath, where, "decoded path %q is not in the Hive-style partition directory %q", rel, want)
	}
	full := filepath.Join(c.dir, filepath.FromSlash(rel))
	fi, err := os.Stat(full)
	if err != nil {
		c.add(CodeMissingFile, where, "data file %s (decoded from %q) is not on disk: %v", rel, a.Path, err)
		return
	}
	if fi.Size() != a.Size {
		c.add(CodeSize, where, "add.size of %s is %d, the file has %d bytes", rel, a.Size, fi.Size())
	}
	if c.checkedFiles[rel] {
		return
	}
	c.checkedFiles[rel] = true
	c.checkDataFile(where, rel, full, a)
}

func partitionDirs(cols []string, pv map[string]*string) string {
	var b strings.Builder
	for _, col := range cols {
		b.WriteString(hiveEscape(col))
		b.WriteByte('=')
		if v := pv[col]; v == nil {
			b.WriteString("__HIVE_DEFAULT_PARTITION__")
		} else {
			b.WriteString(hiveEscape(*v))
		}
		b.WriteByte('/')
	}
	return b.String()
}

var (
	decimalTextRE = regexp.MustCompile(`^-?([0-9]+)(\.([0-9]+))?$`)
	isoTimestamp  = "2006-01-02T15:04:05.999999Z07:00"
	spaceTime     = "2006-01-02 15:04:05.999999999"
)

// checkPartitionValues: one entry per partition column, each null or a
// string that parses as the column's type (protocol digest §5).
func (c *checker) checkPartitionValues(where string, a *addAction) {
	st := c.state
	cols := st.metadata.PartitionColumns
	for k := range a.PartitionValues {
		if !slices.Contains(cols, k) {
			c.add(CodePartition, where, "partitionValues has key %q, which is not a partition column %v", k, cols)
		}
	}
	for _, col := range cols {
		v, ok := a.PartitionValues[col]
		if !ok {
			c.add(CodePartition, where, "partitionValues lacks partition column %q", col)
			continue
		}
		if v == nil || st.schema == nil {
			continue
		}
		f, ok := st.schema.field(col)
		if !ok {
			continue
		}
		if msg := partitionValueProblem(f.typ, *v); msg != "" {
			c.add(CodePartition, where, "partition value %q of %s column %q: %s", *v, f.typ, col, msg)
		}
	}
}

func partitionValueProblem(t *dtype, v string) string {
	bits := map[string]int{"byte": 8, "short": 16, "integer": 32, "long": 64}
	switch t.name {
	case "string", "binary":
		return ""
	case "byte", "short", "integer", "long":
		if _, err := strconv.ParseInt(v, 10, bits[t.name]); err != nil {
			return "not an integer of that width"
		}
	case "boolean":
		if v != "true" && v != "false" {
			return "not true or false"
		}
	case "float", "double":
		if _, err := strconv.ParseFloat(v, 64); err != nil {
			return "not a number"
		}
	case "date":
		if _, err := time.Parse("2006-01-02", v); err != nil {
			return "not YYYY-MM-DD"
		}
	case "timestamp":
		_, err1 := time.Parse(isoTimestamp, v)
		_, err2 := time.Parse(spaceTime, v)
		if err1 != nil && err2 != nil {
			return "neither ISO-8601 UTC nor YYYY-MM-DD HH:MM:SS[.ffffff]"
		}
	case "timestamp_ntz":
		if _, err := time.Parse(spaceTime, v); err != nil {
			return "not YYYY-MM-DD HH:MM:SS[.ffffff]"
		}
	case "decimal":
		m := decimalTextRE.FindStringSubmatch(v)
		if m == nil {
			return "not decimal text"
		}
		if len(m[3]) > t.scale || len(strings.TrimLeft(m[1], "0")) > t.precision-t.scale {
			return "does not fit the precision and scale"
		}
	default:
		return "type cannot be a partition column"
	}
	return ""
}

// leafColumn is one column of a data file with what its values show.
type leafColumn struct {
	field schemaField
	elem  format.SchemaElement
	index int // column index in the file

	values, nulls int64
	has           bool // a non-null (and, for floats, finite) value was seen
	nonFinite     bool // NaN or ±Inf seen
	minI, maxI    int64
	minF, maxF    float64
	minB, maxB    []byte
	minD, maxD    *big.Int
}

// checkDataFile reads the Parquet file of an add with parquet-go, checks
// its layout and types, and compares the add's stats with the data.
func (c *checker) checkDataFile(where, rel, full string, a *addAction) {
	st := c.state
	fwhere := "file " + rel
	defer func() {
		if r := recover(); r != nil {
			c.add(CodeParquet, fwhere, "unreadable: parquet-go panicked: %v", r)
		}
	}()
	f, err := os.Open(full)
	if err != nil {
		c.add(CodeMissingFile, fwhere, "cannot open: %v", err)
		return
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		c.add(CodeParquet, fwhere, "stat: %v", err)
		return
	}
	pf, err := parquet.OpenFile(f, fi.Size(), parquet.SkipPageIndex(true), parquet.SkipBloomFilters(true))
	if err != nil {
		c.add(CodeParquet, fwhere, "not a readable Parquet file: %v", err)
		return
	}
	if st.schema == nil {
		return
	}
	cols := c.checkLayout(fwhere, pf, st)
	if cols == nil {
		return
	}
	if err := readColumns(pf, cols); err != nil {
		c.add(CodeParquet, fwhere, "reading values: %v", err)
		return
	}
	rows := pf.NumRows()
	for _, col := range cols {
		if col.values != rows {
			c.add(CodeParquet, fwhere, "column %q has %d values for %d rows", col.field.name, col.values, rows)
		}
		if !col.field.nullable && col.nulls > 0 {
			c.add(CodeParquet, fwhere, "NOT NULL column %q holds %d nulls", col.field.name, col.nulls)
		}
	}
	c.checkStats(where, rel, a, rows, cols)
}

// checkLayout compares the file's columns with the table's data columns
// (partition columns excluded) and checks each column's Parquet types.
func (c *checker) checkLayout(where string, pf *parquet.File, st *state) []*leafColumn {
	elems := pf.Metadata().Schema
	if len(elems) == 0 {
		c.add(CodeParquet, where, "empty Parquet schema")
		return nil
	}
	root := elems[0]
	var leaves []format.SchemaElement
	n, _ := root.NumChildren.Get()
	if int(n) != len(elems)-1 {
		c.add(CodeParquet, where, "nested Parquet schema: our writer only writes flat files of primitive columns")
		return nil
	}
	leaves = elems[1:]
	var want []schemaField
	for _, f := range st.schema.fields {
		if !slices.Contains(st.metadata.PartitionColumns, f.name) {
			want = append(want, f)
		}
	}
	var got []string
	for _, e := range leaves {
		got = append(got, e.Name)
		if slices.Contains(st.metadata.PartitionColumns, e.Name) {
			c.add(CodeParquet, where, "the file stores partition column %q (its value belongs in partitionValues only)", e.Name)
		} else if _, ok := st.schema.field(e.Name); !ok {
			c.add(CodeParquet, where, "the file has column %q, which is not in the table schema", e.Name)
		}
	}
	var cols []*leafColumn
	var wantNames []string
	for _, f := range want {
		wantNames = append(wantNames, f.name)
		i := slices.IndexFunc(leaves, func(e format.SchemaElement) bool { return e.Name == f.name })
		if i < 0 {
			c.add(CodeParquet, where, "the file lacks column %q", f.name)
			continue
		}
		if msg := parquetTypeProblem(f, leaves[i]); msg != "" {
			c.add(CodeParquet, where, "column %q (%s): %s", f.name, f.typ, msg)
			continue
		}
		cols = append(cols, &leafColumn{field: f, elem: leaves[i], index: i})
	}
	if slices.Equal(slices.DeleteFunc(slices.Clone(got), func(s string) bool { return !slices.Contains(wantNames, s) }), wantNames) == false {
		c.add(CodeParquet, where, "columns are in the order %v, the schema's is %v", got, wantNames)
	}
	return cols
}

// parquetTypeProblem checks the physical and logical type of a leaf against
// the Spark-compatible mapping of the column's Delta type.
func parquetTypeProblem(f schemaField, e format.SchemaElement) string {
	phys, ok := e.Type.Get()
	if !ok {
		return "not a primitive Parquet column"
	}
	rep, _ := e.RepetitionType.Get()
	switch {
	case f.nullable && rep != format.Optional:
		return fmt.Sprintf("a nullable column must be OPTIONAL, not %s", rep)
	case !f.nullable && rep != format.Required:
		return fmt.Sprintf("a NOT NULL column must be REQUIRED, not %s", rep)
	}
	lt := e.LogicalType.Value
	conv, hasConv := e.ConvertedType.Get()
	intType := func(bits int8) bool {
		it, ok := lt.(*format.IntType)
		return ok && it.BitWidth == bits && it.IsSigned
	}
	describe := func() string {
		s := phys.String()
		if lt != nil {
			s += " " + lt.String()
		} else if hasConv {
			s += fmt.Sprintf(" (converted %d)", conv)
		}
		return s
	}
	want := func(w string) string { return fmt.Sprintf("stored as %s, want %s", describe(), w) }
	switch f.typ.name {
	case "boolean":
		if phys != format.Boolean {
			return want("BOOLEAN")
		}
	case "byte":
		if phys != format.Int32 || !(intType(8) || hasConv && conv == deprecated.Int8) {
			return want("INT32 INT(8,true)")
		}
	case "short":
		if phys != format.Int32 || !(intType(16) || hasConv && conv == deprecated.Int16) {
			return want("INT32 INT(16,true)")
		}
	case "integer":
		if phys != format.Int32 || !(lt == nil && !hasConv || intType(32)) {
			return want("INT32")
		}
	case "long":
		if phys != format.Int64 || !(lt == nil && !hasConv || intType(64)) {
			return want("INT64")
		}
	case "float":
		if phys != format.Float {
			return want("FLOAT")
		}
	case "double":
		if phys != format.Double {
			return want("DOUBLE")
		}
	case "string":
		_, isStr := lt.(*format.StringType)
		if phys != format.ByteArray || !(isStr || hasConv && conv == deprecated.UTF8) {
			return want("BYTE_ARRAY STRING")
		}
	case "binary":
		_, isStr := lt.(*format.StringType)
		if phys != format.ByteArray || isStr || hasConv {
			return want("BYTE_ARRAY without annotation")
		}
	case "date":
		_, isDate := lt.(*format.DateType)
		if phys != format.Int32 || !isDate {
			return want("INT32 DATE")
		}
	case "timestamp", "timestamp_ntz":
		ts, ok := lt.(*format.TimestampType)
		utc := f.typ.name == "timestamp"
		if phys != format.Int64 || !ok || ts.IsAdjustedToUTC != utc || ts.Unit.Value == nil || ts.Unit.Value.Duration() != time.Microsecond {
			return want(fmt.Sprintf("INT64 TIMESTAMP(isAdjustedToUTC=%t,unit=MICROS)", utc))
		}
	case "decimal":
		d, ok := lt.(*format.DecimalType)
		if !ok || int(d.Precision) != f.typ.precision || int(d.Scale) != f.typ.scale {
			return want(fmt.Sprintf("DECIMAL(%d,%d)", f.typ.precision, f.typ.scale))
		}
		switch p := f.typ.precision; {
		case p <= 9 && phys != format.Int32:
			return want("INT32 for precision ≤ 9")
		case p > 9 && p <= 18 && phys != format.Int64:
			return want("INT64 for precision 10..18")
		case p > 18:
			n, _ := e.TypeLength.Get()
			if phys != format.FixedLenByteArray || int(n) != decimalBytes(p) {
				return want(fmt.Sprintf("FIXED_LEN_BYTE_ARRAY(%d) for precision %d", decimalBytes(p), p))
			}
		}
	default:
		return "our writer cannot write this type"
	}
	return ""
}

// decimalBytes is the smallest two's complement width holding p digits.
func decimalBytes(p int) int {
	limit := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(p)), nil)
	for n := 1; ; n++ {
		if new(big.Int).Lsh(big.NewInt(1), uint(8*n-1)).Cmp(limit) >= 0 {
			return n
		}
	}
}

// readColumns reads every value of the selected columns.
func readColumns(pf *parquet.File, cols []*leafColumn) error {
	byIndex := map[int]*leafColumn{}
	for _, col := range cols {
		byIndex[col.index] = col
	}
	buf := make([]parquet.Value, 1024)
	for _, rg := range pf.RowGroups() {
		for i, cc := range rg.ColumnChunks() {
			col := byIndex[i]
			if col == nil {
				continue
			}
			if err := readChunk(cc, col, buf); err != nil {
				return fmt.Errorf("column %q: %w", col.field.name, err)
			}
		}
	}
	return nil
}

func readChunk(cc parquet.ColumnChunk, col *leafColumn, buf []parquet.Value) error {
	pages := cc.Pages()
	defer pages.Close()
	for {
		p, err := pages.ReadPage()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		vr := p.Values()
		for {
			n, err := vr.ReadValues(buf)
			for _, v := range buf[:n] {
				col.observe(v)
			}
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				parquet.Release(p)
				return err
			}
			if n == 0 {
				break
			}
		}
		parquet.Release(p)
	}
}

func (col *leafColumn) observe(v parquet.Value) {
	col.values++
	if v.IsNull() {
		col.nulls++
		return
	}
	switch t := col.field.typ; {
	case t.name == "float" || t.name == "double":
		x := v.Double()
		if t.name == "float" {
			x = float64(v.Float())
		}
		if math.IsNaN(x) || math.IsInf(x, 0) {
			col.nonFinite = true
			return
		}
		if !col.has || x < col.minF {
			col.minF = x
		}
		if !col.has || x > col.maxF {
			col.maxF = x
		}
	case t.name == "string" || t.name == "binary":
		b := v.ByteArray()
		if !col.has || bytes.Compare(b, col.minB) < 0 {
			col.minB = append(col.minB[:0], b...)
		}
		if !col.has || bytes.Compare(b, col.maxB) > 0 {
			col.maxB = append(col.maxB[:0], b...)
		}
	case t.name == "decimal" && t.precision > 18:
		x := twosComplement(v.ByteArray())
		if !col.has || x.Cmp(col.minD) < 0 {
			col.minD = x
		}
		if !col.has || x.Cmp(col.maxD) > 0 {
			col.maxD = x
		}
	case t.name == "boolean":
	default: // integers, dates, timestamps, small decimals
		var x int64
		if v.Kind() == parquet.Int32 {
			x = int64(v.Int32())
		} else {
			x = v.Int64()
		}
		if !col.has || x < col.minI {
			col.minI = x
		}
		if !col.has || x > col.maxI {
			col.maxI = x
		}
	}
	col.has = true
}

func twosComplement(b []byte) *big.Int {
	x := new(big.Int).SetBytes(b)
	if len(b) > 0 && b[0]&0x80 != 0 {
		x.Sub(x, new(big.Int).Lsh(big.NewInt(1), uint(8*len(b))))
	}
	return x
}

// statsColumns returns the data columns that get statistics: the explicit
// delta.dataSkippingStatsColumns list, else the first
// delta.dataSkippingNumIndexedCols (default 32, -1 = all) primitive columns.
func statsColumns(st *state, cols []*leafColumn) []*leafColumn {
	conf := st.metadata.Configuration
	if list, ok := conf["delta.dataSkippingStatsColumns"]; ok && list != "" {
		var out []*leafColumn
		for _, col := range cols {
			for _, name := range strings.Split(list, ",") {
				if strings.TrimSpace(name) == col.field.name {
					out = append(out, col)
				}
			}
		}
		return out
	}
	n := 32
	if v, ok := conf["delta.dataSkippingNumIndexedCols"]; ok {
		if x, err := strconv.Atoi(v); err == nil {
			n = x
		}
	}
	if n < 0 || n > len(cols) {
		n = len(cols)
	}
	return cols[:n]
}

// checkStats compares add.stats with statistics recomputed from the file.
func (c *checker) checkStats(where, rel string, a *addAction, rows int64, cols []*leafColumn) {
	if a.Stats == nil {
		return // reported as a missing required field
	}
	d := json.NewDecoder(strings.NewReader(*a.Stats))
	d.UseNumber()
	var stats map[string]any
	if err := d.Decode(&stats); err != nil {
		c.add(CodeStats, where, "stats of %s are not a JSON object: %v", rel, err)
		return
	}
	for k := range stats {
		if !slices.Contains([]string{"numRecords", "minValues", "maxValues", "nullCount", "tightBounds"}, k) {
			c.add(CodeStats, where, "stats of %s have unknown key %q", rel, k)
		}
	}
	if n, ok := stats["numRecords"].(json.Number); !ok {
		c.add(CodeStats, where, "stats of %s lack numRecords", rel)
	} else if x, err := n.Int64(); err != nil || x != rows {
		c.add(CodeStats, where, "stats of %s say numRecords %s, the Parquet footer says %d rows", rel, n, rows)
	}
	sub := func(key string) map[string]any {
		raw, ok := stats[key]
		if !ok {
			return nil
		}
		m, ok := raw.(map[string]any)
		if !ok {
			c.add(CodeStats, where, "stats of %s: %s is not an object", rel, key)
		}
		return m
	}
	mins, maxs, nulls := sub("minValues"), sub("maxValues"), sub("nullCount")
	statCols := statsColumns(c.state, cols)
	names := map[string]bool{}
	for _, col := range statCols {
		names[col.field.name] = true
	}
	for _, m := range []struct {
		key string
		m   map[string]any
	}{{"minValues", mins}, {"maxValues", maxs}, {"nullCount", nulls}} {
		for k := range m.m {
			if !names[k] {
				c.add(CodeStats, where, "stats of %s: %s has %q, which is not a column that gets statistics", rel, m.key, k)
			}
		}
	}
	for _, col := range statCols {
		name := col.field.name
		switch got, ok := nulls[name]; {
		case !ok:
			c.add(CodeStats, where, "stats of %s: nullCount lacks column %q", rel, name)
		default:
			if n, _ := got.(json.Number); n.String() != strconv.FormatInt(col.nulls, 10) {
				c.add(CodeStats, where, "stats of %s: nullCount.%s = %v, the file has %d nulls", rel, name, got, col.nulls)
			}
		}
		wantMin, wantMax, expect := expectedBounds(col)
		for _, b := range []struct {
			key  string
			m    map[string]any
			want *bound
		}{{"minValues", mins, wantMin}, {"maxValues", maxs, wantMax}} {
			got, present := b.m[name]
			switch {
			case b.want == nil && present && expect == mustBeAbsent:
				c.add(CodeStats, where, "stats of %s: %s.%s = %v, but %s", rel, b.key, name, got, absentReason(col))
			case b.want == nil && present:
				// optional bound (decimal wider than 18 digits): check it still bounds the data
				if !boundHolds(col, got, b.key == "maxValues") {
					c.add(CodeStats, where, "stats of %s: %s.%s = %v does not bound the data", rel, b.key, name, got)
				}
			case b.want != nil && !present:
				c.add(CodeStats, where, "stats of %s: %s lacks column %q (want %s)", rel, b.key, name, b.want.text)
			case b.want != nil && !b.want.matches(got):
				c.add(CodeStats, where, "stats of %s: %s.%s = %v, want %s (recomputed from the data)", rel, b.key, name, jsonText(got), b.want.text)
			}
		}
	}
}

func jsonText(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

const (
	mustBeAbsent = iota
	mayBePresent
)

// bound is an expected min or max statistic.
type bound struct {
	text    string           // for messages
	matches func(v any) bool // v as decoded with UseNumber
}

func absentReason(col *leafColumn) string {
	switch {
	case col.nonFinite && !col.has:
		return "the column holds only NaN/Inf and nulls"
	case col.nonFinite:
		return "the column holds NaN or Inf, for which our writer records no bounds"
	case !col.has:
		return "the column holds only nulls"
	}
	return fmt.Sprintf("%s columns get no min/max", col.field.typ)
}

// expectedBounds returns the min and max the writer should record for col
// (nil when none), following stats.go: skipping-eligible types only, no
// bounds for floats with NaN/Inf, none for all-null columns, strings
// truncated to 32 characters with a tie-breaker on max, timestamps at
// millisecond precision with max rounded up.
func expectedBounds(col *leafColumn) (*bound, *bound, int) {
	t := col.field.typ
	switch t.name {
	case "boolean", "binary":
		return nil, nil, mustBeAbsent
	}
	if t.name == "decimal" && t.precision > 18 {
		return nil, nil, mayBePresent
	}
	if !col.has || (col.nonFinite && (t.name == "float" || t.name == "double")) {
		return nil, nil, mustBeAbsent
	}
	switch t.name {
	case "byte", "short", "integer", "long":
		return intBound(col.minI), intBound(col.maxI), mustBeAbsent
	case "float", "double":
		return floatBound(col.minF, t.name == "float"), floatBound(col.maxF, t.name == "float"), mustBeAbsent
	case "decimal":
		return decimalBound(big.NewInt(col.minI), t.scale), decimalBound(big.NewInt(col.maxI), t.scale), mustBeAbsent
	case "date":
		return stringBound(time.Unix(col.minI*86400, 0).UTC().Format("2006-01-02")),
			stringBound(time.Unix(col.maxI*86400, 0).UTC().Format("2006-01-02")), mustBeAbsent
	case "timestamp", "timestamp_ntz":
		ntz := t.name == "timestamp_ntz"
		return timestampBound(floorMillis(col.minI), ntz), timestampBound(ceilMillis(col.maxI), ntz), mustBeAbsent
	case "string":
		lo := stringBound(prefix(string(col.minB), 32))
		var hi *bound
		if mx, ok := truncatedMax(string(col.maxB)); ok {
			hi = stringBound(mx)
		}
		return lo, hi, mustBeAbsent
	}
	return nil, nil, mustBeAbsent
}

func intBound(x int64) *bound {
	return &bound{text: strconv.FormatInt(x, 10), matches: func(v any) bool {
		n, ok := v.(json.Number)
		if !ok {
			return false
		}
		y, err := n.Int64()
		return err == nil && y == x
	}}
}

func floatBound(x float64, single bool) *bound {
	bits := 64
	if single {
		bits = 32
	}
	return &bound{text: strconv.FormatFloat(x, 'g', -1, bits), matches: func(v any) bool {
		n, ok := v.(json.Number)
		if !ok {
			return false
		}
		y, err := strconv.ParseFloat(n.String(), bits)
		return err == nil && y == x
	}}
}

func decimalBound(unscaled *big.Int, scale int) *bound {
	want := new(big.Rat).SetFrac(unscaled, new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(scale)), nil))
	return &bound{text: want.FloatString(scale), matches: func(v any) bool {
		n, ok := v.(json.Number)
		if !ok {
			return false
		}
		got, ok := new(big.Rat).SetString(n.String())
		return ok && got.Cmp(want) == 0
	}}
}

func stringBound(s string) *bound {
	return &bound{text: strconv.Quote(s), matches: func(v any) bool {
		got, ok := v.(string)
		return ok && got == s
	}}
}

// timestampBound matches a millisecond-precision timestamp with a zone
// ("2000-01-01T00:00:00.000Z", "…000-08:00") or, for timestamp_ntz, without.
func timestampBound(ms int64, ntz bool) *bound {
	want := time.UnixMilli(ms).UTC()
	layout := "2006-01-02T15:04:05.000Z07:00"
	if ntz {
		layout = "2006-01-02T15:04:05.000"
	}
	return &bound{text: want.Format(layout), matches: func(v any) bool {
		s, ok := v.(string)
		if !ok {
			return false
		}
		got, err := time.Parse(layout, s)
		return err == nil && got.Equal(want)
	}}
}

func floorMillis(us int64) int64 {
	ms := us / 1000
	if us%1000 < 0 {
		ms--
	}
	return ms
}

func ceilMillis(us int64) int64 {
	ms := floorMillis(us)
	if us-ms*1000 != 0 {
		ms++
	}
	return ms
}

// prefix returns the first n characters of s.
func prefix(s string, n int) string {
	i := 0
	for k := 0; k < n && i < len(s); k++ {
		_, size := utf8.DecodeRuneInString(s[i:])
		i += size
	}
	return s[:i]
}

// truncatedMax is the upper bound Spark writes for a string maximum
// (protocol digest §6): the value itself when it has at most 32
// characters, else a prefix of at least 32 characters followed by U+007F
// when the next character is below it, or by U+10FFFF when it is below that;
// no bound if none is possible within 64 characters.
func truncatedMax(s string) (string, bool) {
	runes := []rune(s)
	if len(runes) <= 32 {
		return s, true
	}
	for n := 32; n < 64 && n < len(runes); n++ {
		switch r := runes[n]; {
		case r < 0x7F:
			return string(runes[:n]) + "\u007f", true
		case r < utf8.MaxRune:
			return string(runes[:n]) + string(utf8.MaxRune), true
		}
	}
	return "", false
}

// boundHolds checks an optional wide-decimal bound against the data.
func boundHolds(col *leafColumn, v any, isMax bool) bool {
	n, ok := v.(json.Number)
	if !ok || !col.has || col.field.typ.name != "decimal" {
		return false
	}
	got, ok := new(big.Rat).SetString(n.String())
	if !ok {
		return false
	}
	den := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(col.field.typ.scale)), nil)
	if isMax {
		return got.Cmp(new(big.Rat).SetFrac(col.maxD, den)) >= 0
	}
	return got.Cmp(new(big.Rat).SetFrac(col.minD, den)) <= 0
}
