package parquetio

import (
	"fmt"
	"math"
	"math/big"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/deprecated"
	"github.com/parquet-go/parquet-go/format"

	"github.com/ecomm-lakehouse/lakehouse/internal/column"
)

// leafReader converts the non-null Parquet values of one leaf column to one
// logical type.
type leafReader struct {
	node   *pnode
	target *column.Type

	// timestamps: multiply (or divide, when negative) raw values by this to
	// get microseconds
	tsMul int64
	int96 bool

	// decimals
	fileScale int
}

var pow10 = func() [19]int64 {
	var p [19]int64
	p[0] = 1
	for i := 1; i < len(p); i++ {
		p[i] = p[i-1] * 10
	}
	return p
}()

func newLeafReader(n *pnode, t *column.Type, path string) (*leafReader, error) {
	lr := &leafReader{node: n, target: t}
	bad := func() error {
		return fmt.Errorf("column %s: a Parquet %s%s value cannot be read as %s", path, n.phys, annotation(n), t)
	}
	switch t.Kind {
	case column.Void:
		return lr, nil
	case column.Boolean:
		if n.phys != format.Boolean {
			return nil, bad()
		}
	case column.Byte, column.Short, column.Int, column.Long:
		if n.phys != format.Int32 && n.phys != format.Int64 {
			return nil, bad()
		}
	case column.Float, column.Double:
		if n.phys != format.Float && n.phys != format.Double && !(t.Kind == column.Double && (n.phys == format.Int32 || n.phys == format.Int64)) {
			return nil, bad()
		}
	case column.String, column.Binary:
		if n.phys != format.ByteArray && n.phys != format.FixedLenByteArray {
			return nil, bad()
		}
	case column.Date:
		if n.phys != format.Int32 {
			return nil, bad()
		}
	case column.Timestamp, column.TimestampNTZ:
		switch n.phys {
		case format.Int96:
			lr.int96 = true
		case format.Int64:
			lr.tsMul = 1
			if ts, ok := n.logical.(*format.TimestampType); ok {
				switch ts.Unit.Value.(type) {
				case *format.MilliSeconds:
					lr.tsMul = 1000
				case *format.NanoSeconds:
					lr.tsMul = -1000
				}
			} else if n.hasConv && n.converted == deprecated.TimestampMillis {
				lr.tsMul = 1000
			}
		case format.Int32:
			if _, ok := n.logical.(*format.DateType); ok || (n.hasConv && n.converted == deprecated.Date) {
				lr.tsMul = 86400_000_000 // type widening date → timestamp_ntz
			} else {
				return nil, bad()
			}
		default:
			return nil, bad()
		}
	case column.Decimal:
		switch n.phys {
		case format.Int32, format.Int64, format.FixedLenByteArray, format.ByteArray:
		default:
			return nil, bad()
		}
		if d, ok := n.logical.(*format.DecimalType); ok {
			lr.fileScale = int(d.Scale)
		} else {
			lr.fileScale = int(n.scale)
		}
		if lr.fileScale > t.Scale {
			return nil, fmt.Errorf("column %s: file decimal scale %d is larger than the table's %s", path, lr.fileScale, t)
		}
	default:
		return nil, bad()
	}
	return lr, nil
}

func annotation(n *pnode) string {
	if n.logical != nil {
		return " (" + fmt.Sprint(n.logical) + ")"
	}
	if n.hasConv {
		return fmt.Sprintf(" (converted type %d)", n.converted)
	}
	return ""
}

// appendTo appends the non-null value v to a flat vector.
func (lr *leafReader) appendTo(vec *column.Vector, v parquet.Value) {
	t := lr.target
	switch t.Kind {
	case column.Boolean:
		vec.AppendBool(v.Boolean())
	case column.Byte, column.Short, column.Int, column.Long:
		vec.AppendInt(lr.integer(v))
	case column.Float, column.Double:
		vec.AppendFloat(lr.float(v))
	case column.String, column.Binary:
		vec.AppendBytes(v.ByteArray())
	case column.Date:
		vec.AppendInt(int64(v.Int32()))
	case column.Timestamp, column.TimestampNTZ:
		vec.AppendInt(lr.micros(v))
	case column.Decimal:
		if t.Precision <= 18 {
			u, ok := lr.decimalInt64(v)
			if !ok {
				vec.AppendNull() // cannot happen for a well-formed file of this precision
				return
			}
			vec.AppendInt(u)
		} else {
			vec.AppendValue(lr.decimalBig(v))
		}
	case column.Void:
		vec.AppendNull()
	}
}

// integer reads an integer leaf (INT32, unsigned INT32 or INT64) as int64.
func (lr *leafReader) integer(v parquet.Value) int64 {
	if lr.node.phys != format.Int32 {
		return v.Int64()
	}
	if lr.node.hasConv && lr.node.converted == deprecated.Uint32 {
		return int64(uint32(v.Int32()))
	}
	return int64(v.Int32())
}

// float reads a floating-point leaf, or an integer one widened to double.
func (lr *leafReader) float(v parquet.Value) float64 {
	switch lr.node.phys {
	case format.Float:
		return float64(v.Float())
	case format.Int32:
		return float64(v.Int32())
	case format.Int64:
		return float64(v.Int64())
	}
	return v.Double()
}

// box returns the non-null value v boxed the way Vector.Value does.
func (lr *leafReader) box(v parquet.Value) any {
	switch lr.target.Kind {
	case column.Boolean:
		return v.Boolean()
	case column.Byte, column.Short, column.Int, column.Long:
		return lr.integer(v)
	case column.Float, column.Double:
		return lr.float(v)
	case column.String:
		return string(v.ByteArray())
	case column.Binary:
		return append([]byte(nil), v.ByteArray()...)
	case column.Date:
		return int64(v.Int32())
	case column.Timestamp, column.TimestampNTZ:
		return lr.micros(v)
	case column.Decimal:
		if lr.target.Precision <= 18 {
			if u, ok := lr.decimalInt64(v); ok {
				return u
			}
			return nil
		}
		return lr.decimalBig(v)
	}
	return nil
}

func (lr *leafReader) micros(v parquet.Value) int64 {
	if lr.int96 {
		return int96Micros(v.Int96())
	}
	var raw int64
	if lr.node.phys == format.Int32 {
		raw = int64(v.Int32())
	} else {
		raw = v.Int64()
	}
	switch {
	case lr.tsMul > 0:
		return raw * lr.tsMul
	case lr.tsMul < 0:
		d := -lr.tsMul
		q := raw / d
		if raw%d < 0 {
			q--
		}
		return q
	}
	return raw
}

// int96Micros converts Impala/Spark INT96 (nanoseconds of day, Julian day).
func int96Micros(x deprecated.Int96) int64 {
	nanos := int64(uint64(x[1])<<32 | uint64(x[0]))
	julian := int64(x[2])
	const unixEpochJulian = 2440588
	return (julian-unixEpochJulian)*86400_000_000 + nanos/1000
}

func (lr *leafReader) unscaledRaw(v parquet.Value) (int64, *big.Int) {
	switch lr.node.phys {
	case format.Int32:
		return int64(v.Int32()), nil
	case format.Int64:
		return v.Int64(), nil
	}
	b := v.ByteArray()
	if len(b) <= 8 {
		var x int64
		if len(b) > 0 && b[0]&0x80 != 0 {
			x = -1
		}
		for _, c := range b {
			x = x<<8 | int64(c)
		}
		return x, nil
	}
	n := new(big.Int).SetBytes(b)
	if b[0]&0x80 != 0 {
		n.Sub(n, new(big.Int).Lsh(big.NewInt(1), uint(8*len(b))))
	}
	return 0, n
}

func (lr *leafReader) decimalInt64(v parquet.Value) (int64, bool) {
	x, bx := lr.unscaledRaw(v)
	shift := lr.target.Scale - lr.fileScale
	if bx != nil {
		if shift > 0 {
			bx.Mul(bx, new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(shift)), nil))
		}
		if !bx.IsInt64() {
			return 0, false
		}
		return bx.Int64(), true
	}
	if shift > 0 {
		if shift > 18 {
			return 0, false
		}
		m := pow10[shift]
		if x > math.MaxInt64/m || x < math.MinInt64/m {
			return 0, false
		}
		x *= m
	}
	return x, true
}

func (lr *leafReader) decimalBig(v parquet.Value) *big.Int {
	x, bx := lr.unscaledRaw(v)
	if bx == nil {
		bx = big.NewInt(x)
	}
	if shift := lr.target.Scale - lr.fileScale; shift > 0 {
		bx.Mul(bx, new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(shift)), nil))
	}
	return bx
}
