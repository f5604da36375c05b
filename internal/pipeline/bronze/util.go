package bronze

import "github.com/ecomm-lakehouse/lakehouse/internal/column"

func appendQuoted(dst []byte, s string) []byte { return column.AppendJSONString(dst, s) }
