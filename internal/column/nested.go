package column

// StructValue is a boxed struct: one value per field of its Type, in order.
type StructValue []any

// MapEntry is one key/value pair of a boxed map.
type MapEntry struct {
	Key, Value any
}

// MapValue is a boxed map, in the order the entries were stored.
type MapValue []MapEntry
