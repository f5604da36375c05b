package parquetio

import (
	"fmt"
	"strings"

	"github.com/parquet-go/parquet-go/deprecated"
	"github.com/parquet-go/parquet-go/format"

	"github.com/ecomm-lakehouse/lakehouse/internal/column"
)

// pnode is one element of a file's Parquet schema, as a tree.
type pnode struct {
	name     string
	rep      format.FieldRepetitionType
	children []*pnode

	// leaf only
	leaf      int // column index in the file, -1 for groups
	phys      format.Type
	converted deprecated.ConvertedType
	hasConv   bool
	scale     int32
	precision int32
	logical   format.LogicalTypeValue

	def, repLevel int // definition/repetition level when this node is present
	lo, hi        int // leaf columns below this node: [lo, hi) in file column order
}

func (n *pnode) isLeaf() bool { return n.leaf >= 0 }

func (n *pnode) child(name string) *pnode {
	for _, c := range n.children {
		if c.name == name {
			return c
		}
	}
	for _, c := range n.children {
		if strings.EqualFold(c.name, name) {
			return c
		}
	}
	return nil
}

// lookup finds a top-level field, or a nested one by its dotted path.
func (n *pnode) lookup(name string) *pnode {
	if c := n.child(name); c != nil {
		return c
	}
	if !strings.Contains(name, ".") {
		return nil
	}
	cur := n
	for _, part := range strings.Split(name, ".") {
		if cur = cur.child(part); cur == nil || cur.rep == format.Repeated {
			return nil
		}
	}
	return cur
}

func (n *pnode) isList() bool {
	if n.hasConv && n.converted == deprecated.List {
		return true
	}
	_, ok := n.logical.(*format.ListType)
	return ok
}

func (n *pnode) isMap() bool {
	if n.hasConv && (n.converted == deprecated.Map || n.converted == deprecated.MapKeyValue) {
		return true
	}
	_, ok := n.logical.(*format.MapType)
	return ok
}

// buildTree turns the flat, depth-first schema of a file into a tree.
func buildTree(elems []format.SchemaElement) (*pnode, error) {
	if len(elems) == 0 {
		return nil, fmt.Errorf("parquet schema is empty")
	}
	pos, leaf := 0, 0
	var walk func(def, rep int, top bool) (*pnode, error)
	walk = func(def, rep int, top bool) (*pnode, error) {
		if pos >= len(elems) {
			return nil, fmt.Errorf("parquet schema is truncated")
		}
		e := &elems[pos]
		pos++
		n := &pnode{name: e.Name, leaf: -1}
		if !top {
			if r, ok := e.RepetitionType.Get(); ok {
				n.rep = r
			}
			switch n.rep {
			case format.Optional:
				def++
			case format.Repeated:
				def++
				rep++
			}
		}
		n.def, n.repLevel = def, rep
		if ct, ok := e.ConvertedType.Get(); ok {
			n.converted, n.hasConv = ct, true
		}
		n.logical = e.LogicalType.Value
		if s, ok := e.Scale.Get(); ok {
			n.scale = s
		}
		if p, ok := e.Precision.Get(); ok {
			n.precision = p
		}
		kids, _ := e.NumChildren.Get()
		if t, ok := e.Type.Get(); ok && kids == 0 && !top {
			n.phys = t
			n.leaf = leaf
			n.lo, n.hi = leaf, leaf+1
			leaf++
			return n, nil
		}
		n.lo = leaf
		for i := 0; i < int(kids); i++ {
			c, err := walk(def, rep, false)
			if err != nil {
				return nil, err
			}
			n.children = append(n.children, c)
		}
		n.hi = leaf
		return n, nil
	}
	root, err := walk(0, 0, true)
	if err != nil {
		return nil, err
	}
	if pos != len(elems) {
		return nil, fmt.Errorf("parquet schema has %d stray elements", len(elems)-pos)
	}
	return root, nil
}

// listElement returns the node holding one element of a LIST-annotated (or
// bare repeated) node r, following the backward-compatibility rules of the
// Parquet spec for 2-level lists. r is the repeated child of the list.
func listElement(list, r *pnode) *pnode {
	if r.isLeaf() || len(r.children) != 1 {
		return r
	}
	if r.name == "array" || (list != nil && r.name == list.name+"_tuple") {
		return r
	}
	return r.children[0]
}

// inferType derives the logical type of a node from its annotations.
func inferType(n *pnode) (*column.Type, error) {
	if n.isLeaf() {
		return inferLeaf(n), nil
	}
	switch {
	case n.isList() && len(n.children) == 1:
		r := n.children[0]
		el := listElement(n, r)
		et, err := inferType(el)
		if err != nil {
			return nil, err
		}
		return &column.Type{Kind: column.Array, Elem: et, ElemNullable: el.rep == format.Optional}, nil
	case n.isMap() && len(n.children) == 1 && len(n.children[0].children) >= 1:
		kv := n.children[0]
		kt, err := inferType(kv.children[0])
		if err != nil {
			return nil, err
		}
		var vt *column.Type = column.TypeVoid
		nullable := true
		if len(kv.children) > 1 {
			if vt, err = inferType(kv.children[1]); err != nil {
				return nil, err
			}
			nullable = kv.children[1].rep != format.Required
		}
		return &column.Type{Kind: column.Map, Key: kt, Value: vt, ValueNullable: nullable}, nil
	}
	t := &column.Type{Kind: column.Struct}
	for _, c := range n.children {
		ct, err := inferType(c)
		if err != nil {
			return nil, err
		}
		if c.rep == format.Repeated {
			ct = &column.Type{Kind: column.Array, Elem: ct}
		}
		t.Fields = append(t.Fields, column.Field{Name: c.name, Type: ct, Nullable: c.rep != format.Required})
	}
	return t, nil
}

func inferLeaf(n *pnode) *column.Type {
	switch l := n.logical.(type) {
	case *format.StringType, *format.EnumType, *format.JsonType:
		return column.TypeString
	case *format.DecimalType:
		return column.DecimalType(int(l.Precision), int(l.Scale))
	case *format.DateType:
		return column.TypeDate
	case *format.TimestampType:
		if l.IsAdjustedToUTC {
			return column.TypeTimestamp
		}
		return column.TypeTimestampNTZ
	case *format.IntType:
		switch {
		case l.BitWidth <= 8:
			return column.TypeByte
		case l.BitWidth <= 16:
			return column.TypeShort
		case l.BitWidth <= 32 && l.IsSigned:
			return column.TypeInt
		}
		return column.TypeLong
	}
	if n.hasConv {
		switch n.converted {
		case deprecated.UTF8, deprecated.Enum, deprecated.Json:
			return column.TypeString
		case deprecated.Decimal:
			return column.DecimalType(int(n.precision), int(n.scale))
		case deprecated.Date:
			return column.TypeDate
		case deprecated.TimestampMillis, deprecated.TimestampMicros:
			return column.TypeTimestamp
		case deprecated.Int8:
			return column.TypeByte
		case deprecated.Int16:
			return column.TypeShort
		case deprecated.Int32:
			return column.TypeInt
		case deprecated.Int64, deprecated.Uint32, deprecated.Uint64:
			return column.TypeLong
		}
	}
	switch n.phys {
	case format.Boolean:
		return column.TypeBoolean
	case format.Int32:
		return column.TypeInt
	case format.Int64:
		return column.TypeLong
	case format.Int96:
		return column.TypeTimestamp
	case format.Float:
		return column.TypeFloat
	case format.Double:
		return column.TypeDouble
	}
	return column.TypeBinary
}

// FileSchema returns the logical schema a file declares.
func fileSchema(root *pnode) (*column.Schema, error) {
	t, err := inferType(&pnode{children: root.children, leaf: -1})
	if err != nil {
		return nil, err
	}
	return &column.Schema{Fields: t.Fields}, nil
}
