package delta

import (
	"encoding/json"
	"github.com/ecomm-lakehouse/lakehouse/internal/column"
	"strconv"
)

// appendJSONString appends s as a JSON string literal (see column.AppendJSONString).
func appendJSONString(dst []byte, s string) []byte { return column.AppendJSONString(dst, s) }

// jsonObject builds one compact JSON object with keys in insertion order.
type jsonObject struct {
	buf   []byte
	empty bool
}

func newJSONObject(dst []byte) *jsonObject {
	return &jsonObject{buf: append(dst, '{'), empty: true}
}

func (o *jsonObject) key(k string) {
	if !o.empty {
		o.buf = append(o.buf, ',')
	}
	o.empty = false
	o.buf = appendJSONString(o.buf, k)
	o.buf = append(o.buf, ':')
}

func (o *jsonObject) str(k, v string) { o.key(k); o.buf = appendJSONString(o.buf, v) }

func (o *jsonObject) int(k string, v int64) { o.key(k); o.buf = strconv.AppendInt(o.buf, v, 10) }

func (o *jsonObject) bool(k string, v bool) { o.key(k); o.buf = strconv.AppendBool(o.buf, v) }

func (o *jsonObject) raw(k string, v []byte) { o.key(k); o.buf = append(o.buf, v...) }

// strMap writes a string map with sorted keys.
func (o *jsonObject) strMap(k string, m map[string]string) {
	o.key(k)
	o.buf = appendSortedMap(o.buf, m, appendJSONString)
}

func (o *jsonObject) bytes() []byte { return append(o.buf, '}') }

// mustJSON encodes values that cannot fail to encode (strings, maps of strings).
func mustJSON(v any) []byte {
	b, _ := json.Marshal(v)
	return b
}
