package delta

import (
	"cmp"
	"encoding/json"
	"fmt"
	"math/big"
	"strconv"
	"strings"

	"github.com/ecomm-lakehouse/lakehouse/internal/column"
)

// Predicate is a filter over a table's columns, used to skip files (by
// partition values and min/max stats), to select the partitions an
// overwrite replaces, and to detect conflicting concurrent commits.
// Literals may be given as strings (parsed by the column's type, like
// partition values) or as the typed values a Vector stores.
type Predicate interface {
	String() string
	bind(s *column.Schema) (bound, error)
}

// Op is a comparison operator.
type Op string

// Comparison operators.
const (
	OpEq Op = "="
	OpNe Op = "!="
	OpLt Op = "<"
	OpLe Op = "<="
	OpGt Op = ">"
	OpGe Op = ">="
)

type cmpPred struct {
	col string
	op  Op
	val any
}

type inPred struct {
	col  string
	vals []any
}

type nullPred struct {
	col    string
	isNull bool
}

type boolPred struct {
	and   bool
	terms []Predicate
}

type notPred struct{ p Predicate }

type truePred struct{}

// Compare returns col op val.
func Compare(col string, op Op, val any) Predicate { return cmpPred{col, op, val} }

// Eq returns col = val.
func Eq(col string, val any) Predicate { return cmpPred{col, OpEq, val} }

// In returns col IN (vals…).
func In(col string, vals ...any) Predicate { return inPred{col, vals} }

// IsNull returns col IS NULL.
func IsNull(col string) Predicate { return nullPred{col, true} }

// IsNotNull returns col IS NOT NULL.
func IsNotNull(col string) Predicate { return nullPred{col, false} }

// And returns the conjunction of terms.
func And(terms ...Predicate) Predicate { return boolPred{true, terms} }

// Or returns the disjunction of terms.
func Or(terms ...Predicate) Predicate { return boolPred{false, terms} }

// Not negates p.
func Not(p Predicate) Predicate { return notPred{p} }

// True matches everything.
func True() Predicate { return truePred{} }

func litString(v any) string {
	switch x := v.(type) {
	case string:
		return strconv.Quote(x)
	case nil:
		return "NULL"
	}
	return fmt.Sprint(v)
}

func (p cmpPred) String() string { return fmt.Sprintf("%s %s %s", p.col, p.op, litString(p.val)) }
func (p nullPred) String() string {
	return p.col + map[bool]string{true: " IS NULL", false: " IS NOT NULL"}[p.isNull]
}
func (p notPred) String() string { return "NOT (" + p.p.String() + ")" }
func (truePred) String() string  { return "true" }
func (p inPred) String() string {
	parts := make([]string, len(p.vals))
	for i, v := range p.vals {
		parts[i] = litString(v)
	}
	return p.col + " IN (" + strings.Join(parts, ", ") + ")"
}
func (p boolPred) String() string {
	parts := make([]string, len(p.terms))
	for i, t := range p.terms {
		parts[i] = "(" + t.String() + ")"
	}
	if len(parts) == 0 {
		return map[bool]string{true: "true", false: "false"}[p.and]
	}
	return strings.Join(parts, map[bool]string{true: " AND ", false: " OR "}[p.and])
}

// bound is a predicate resolved against a schema; values are typed.
type bound interface {
	// eval returns the predicate's value for one row given a column lookup;
	// ok=false means unknown (SQL NULL).
	eval(get func(idx int) any) (v, ok bool)
	// mayMatch reports whether some row of a file with these column ranges
	// can satisfy the predicate (conservative: true when unsure).
	mayMatch(r ranges) bool
	columns(dst []int) []int
}

// ranges gives what is known about the values of a column in one file.
type ranges interface {
	// constant returns the single value of the column in the file (partition
	// columns); ok=false if not constant.
	constant(idx int) (v any, ok bool)
	// minMax returns typed bounds; ok=false when unknown.
	minMax(idx int) (lo, hi any, ok bool)
	// nulls returns the null count and the row count; ok=false when unknown.
	nulls(idx int) (nulls, rows int64, ok bool)
}

type boundCmp struct {
	idx int
	t   *column.Type
	op  Op
	val any
}

type boundIn struct {
	idx  int
	t    *column.Type
	vals []any
}

type boundNull struct {
	idx    int
	isNull bool
}

type boundBool struct {
	and   bool
	terms []bound
}

type boundNot struct{ b bound }

type boundTrue struct{}

func lookup(s *column.Schema, col string) (int, *column.Type, error) {
	i := s.Index(col)
	if i < 0 {
		i = s.IndexFold(col)
	}
	if i < 0 {
		return 0, nil, fmt.Errorf("predicate: no column %q in the table", col)
	}
	t := s.Fields[i].Type
	if !t.IsPrimitive() {
		return 0, nil, fmt.Errorf("predicate: column %q is a %s, not comparable", col, t)
	}
	return i, t, nil
}

// typedLiteral converts a literal to the column's vector representation.
func typedLiteral(t *column.Type, v any) (any, error) {
	switch x := v.(type) {
	case nil:
		return nil, nil
	case string:
		if t.Kind == column.String {
			return x, nil
		}
		return ParsePartitionValue(t, &x)
	case int:
		v = int64(x)
	case int32:
		v = int64(x)
	case float32:
		v = float64(x)
	case json.Number:
		s := x.String()
		return ParsePartitionValue(t, &s)
	}
	switch t.Kind {
	case column.Float, column.Double:
		if i, ok := v.(int64); ok {
			return float64(i), nil
		}
	case column.Decimal:
		if f, ok := v.(float64); ok {
			s := strconv.FormatFloat(f, 'f', -1, 64)
			return ParsePartitionValue(t, &s)
		}
	}
	return v, nil
}

func (p cmpPred) bind(s *column.Schema) (bound, error) {
	i, t, err := lookup(s, p.col)
	if err != nil {
		return nil, err
	}
	v, err := typedLiteral(t, p.val)
	if err != nil {
		return nil, fmt.Errorf("predicate %s: %w", p, err)
	}
	switch p.op {
	case OpEq, OpNe, OpLt, OpLe, OpGt, OpGe:
	default:
		return nil, fmt.Errorf("predicate: unknown operator %q", p.op)
	}
	return boundCmp{i, t, p.op, v}, nil
}

func (p inPred) bind(s *column.Schema) (bound, error) {
	i, t, err := lookup(s, p.col)
	if err != nil {
		return nil, err
	}
	b := boundIn{idx: i, t: t}
	for _, v := range p.vals {
		tv, err := typedLiteral(t, v)
		if err != nil {
			return nil, fmt.Errorf("predicate %s: %w", p, err)
		}
		b.vals = append(b.vals, tv)
	}
	return b, nil
}

func (p nullPred) bind(s *column.Schema) (bound, error) {
	i, _, err := lookup(s, p.col)
	if err != nil {
		return nil, err
	}
	return boundNull{i, p.isNull}, nil
}

func (p boolPred) bind(s *column.Schema) (bound, error) {
	b := boundBool{and: p.and}
	for _, t := range p.terms {
		bt, err := t.bind(s)
		if err != nil {
			return nil, err
		}
		b.terms = append(b.terms, bt)
	}
	return b, nil
}

func (p notPred) bind(s *column.Schema) (bound, error) {
	b, err := p.p.bind(s)
	if err != nil {
		return nil, err
	}
	return boundNot{b}, nil
}

func (truePred) bind(*column.Schema) (bound, error) { return boundTrue{}, nil }

// compareValues orders two typed values of the same column type.
func compareValues(a, b any) int {
	switch x := a.(type) {
	case int64:
		switch y := b.(type) {
		case int64:
			return cmp.Compare(x, y)
		case *big.Int:
			return big.NewInt(x).Cmp(y)
		case float64:
			return cmp.Compare(float64(x), y)
		}
	case float64:
		switch y := b.(type) {
		case float64:
			return cmp.Compare(x, y)
		case int64:
			return cmp.Compare(x, float64(y))
		}
	case string:
		if y, ok := b.(string); ok {
			return strings.Compare(x, y)
		}
	case bool:
		if y, ok := b.(bool); ok {
			switch {
			case x == y:
				return 0
			case !x:
				return -1
			}
			return 1
		}
	case []byte:
		if y, ok := b.([]byte); ok {
			return strings.Compare(string(x), string(y))
		}
	case *big.Int:
		switch y := b.(type) {
		case *big.Int:
			return x.Cmp(y)
		case int64:
			return x.Cmp(big.NewInt(y))
		}
	}
	return strings.Compare(fmt.Sprint(a), fmt.Sprint(b))
}

func applyOp(op Op, c int) bool {
	switch op {
	case OpEq:
		return c == 0
	case OpNe:
		return c != 0
	case OpLt:
		return c < 0
	case OpLe:
		return c <= 0
	case OpGt:
		return c > 0
	}
	return c >= 0
}

func (b boundCmp) eval(get func(int) any) (bool, bool) {
	v := get(b.idx)
	if v == nil || b.val == nil {
		return false, false
	}
	return applyOp(b.op, compareValues(v, b.val)), true
}

func (b boundCmp) mayMatch(r ranges) bool {
	if b.val == nil {
		return false
	}
	if c, ok := r.constant(b.idx); ok {
		if c == nil {
			return false
		}
		return applyOp(b.op, compareValues(c, b.val))
	}
	if n, rows, ok := r.nulls(b.idx); ok && rows > 0 && n == rows {
		return false // all null: no comparison is true
	}
	lo, hi, ok := r.minMax(b.idx)
	if !ok {
		return true
	}
	switch b.op {
	case OpEq:
		return compareValues(lo, b.val) <= 0 && compareValues(hi, b.val) >= 0
	case OpNe:
		return !(compareValues(lo, b.val) == 0 && compareValues(hi, b.val) == 0)
	case OpLt:
		return compareValues(lo, b.val) < 0
	case OpLe:
		return compareValues(lo, b.val) <= 0
	case OpGt:
		return compareValues(hi, b.val) > 0
	}
	return compareValues(hi, b.val) >= 0
}

func (b boundCmp) columns(dst []int) []int { return append(dst, b.idx) }

func (b boundIn) eval(get func(int) any) (bool, bool) {
	v := get(b.idx)
	if v == nil {
		return false, false
	}
	for _, x := range b.vals {
		if x != nil && compareValues(v, x) == 0 {
			return true, true
		}
	}
	return false, true
}

func (b boundIn) mayMatch(r ranges) bool {
	for _, x := range b.vals {
		if (boundCmp{b.idx, b.t, OpEq, x}).mayMatch(r) {
			return true
		}
	}
	return false
}

func (b boundIn) columns(dst []int) []int { return append(dst, b.idx) }

func (b boundNull) eval(get func(int) any) (bool, bool) {
	return (get(b.idx) == nil) == b.isNull, true
}

func (b boundNull) mayMatch(r ranges) bool {
	if c, ok := r.constant(b.idx); ok {
		return (c == nil) == b.isNull
	}
	n, rows, ok := r.nulls(b.idx)
	if !ok {
		return true
	}
	if b.isNull {
		return n > 0
	}
	return n < rows
}

func (b boundNull) columns(dst []int) []int { return append(dst, b.idx) }

func (b boundBool) eval(get func(int) any) (bool, bool) {
	known := true
	for _, t := range b.terms {
		v, ok := t.eval(get)
		if !ok {
			known = false
			continue
		}
		if b.and && !v {
			return false, true
		}
		if !b.and && v {
			return true, true
		}
	}
	if !known {
		return false, false
	}
	return b.and, true
}

func (b boundBool) mayMatch(r ranges) bool {
	if b.and {
		for _, t := range b.terms {
			if !t.mayMatch(r) {
				return false
			}
		}
		return true
	}
	for _, t := range b.terms {
		if t.mayMatch(r) {
			return true
		}
	}
	return len(b.terms) == 0 && b.and
}

func (b boundBool) columns(dst []int) []int {
	for _, t := range b.terms {
		dst = t.columns(dst)
	}
	return dst
}

func (b boundNot) eval(get func(int) any) (bool, bool) {
	v, ok := b.b.eval(get)
	return !v, ok
}

// mayMatch of a negation cannot use ranges safely except for constants.
func (b boundNot) mayMatch(r ranges) bool {
	cols := b.b.columns(nil)
	allConst := true
	for _, c := range cols {
		if _, ok := r.constant(c); !ok {
			allConst = false
		}
	}
	if !allConst {
		return true
	}
	v, ok := b.b.eval(func(i int) any { c, _ := r.constant(i); return c })
	return ok && !v
}

func (b boundNot) columns(dst []int) []int { return b.b.columns(dst) }

func (boundTrue) eval(func(int) any) (bool, bool) { return true, true }
func (boundTrue) mayMatch(ranges) bool            { return true }
func (boundTrue) columns(dst []int) []int         { return dst }
