package silver

import (
	"encoding/binary"
	"slices"

	"github.com/ecomm-lakehouse/lakehouse/internal/column"
	"github.com/ecomm-lakehouse/lakehouse/internal/event"
	"github.com/ecomm-lakehouse/lakehouse/internal/pipeline"
	"github.com/ecomm-lakehouse/lakehouse/internal/pipeline/idindex"
)

// key identifies an event_id: its 128-bit hash (idindex.Hash).
type key = idindex.Key

func hashID(id []byte) key { return idindex.Hash(id) }

// A record is a valid event in a compact row encoding:
//
//	[0:4]   total length (uint32, little endian)
//	[4:20]  key
//	[20:28] ingest_ts
//	[28:36] ordinal (bronze version << 36 | position in that version)
//	[36:44] event_ts
//	[44:48] event_date
//	[48:56] price (cents)
//	[56:60] quantity
//	[60:63] presence bits: strings 0..15, price (16), quantity (17); bit
//	        23 marks a purchase
//	then each present string as uvarint length + bytes, in silverStrings
//	order, then ingest_batch_id.
const recHeader = 63

// silverStrings are the event's string fields in silver column order.
var silverStrings = [...]int{
	pipeline.SEventID, pipeline.SEventName, pipeline.SUserID, pipeline.SSessionID, pipeline.SDeviceType,
	pipeline.SPlatform, pipeline.SCountry, pipeline.SRegion, pipeline.SCity, pipeline.SUTMSource,
	pipeline.SUTMMedium, pipeline.SUTMCampaign, pipeline.SProductID, pipeline.SCategory, pipeline.SCurrency,
	pipeline.SOrderID,
}

// dicts are one batcher's dictionaries: the silver string columns that
// the writers dictionary-encode (SilverWriteOptions) go to the writers as
// dictionary vectors (column.Vector.AppendCoded), so that a value is not
// copied into the batch and the writer looks each distinct value up once
// per row group rather than once per row. A nil entry is a plain column.
type dicts struct {
	str     [len(silverStrings)]*column.Dict // in silverStrings order
	batchID *column.Dict
}

func newDicts() *dicts {
	d := &dicts{}
	coded := SilverWriteOptions().Parquet.Dictionary
	for i, col := range silverStrings {
		if slices.Contains(coded, pipeline.SilverSchema.Fields[col].Name) {
			d.str[i] = column.NewDict()
		}
	}
	if slices.Contains(coded, pipeline.SilverSchema.Fields[pipeline.SIngestBatchID].Name) {
		d.batchID = column.NewDict()
	}
	return d
}

// appendStr appends string i of silverStrings (nil: null) to its column.
func (d *dicts) appendStr(b *column.Batch, i int, s []byte) {
	v := b.Cols[silverStrings[i]]
	if d.str[i] != nil {
		v.AppendCoded(s, d.str[i])
	} else {
		v.AppendOptBytes(s)
	}
}

// appendBatchID appends an ingest_batch_id, never null (an empty string
// for a bronze row without one).
func (d *dicts) appendBatchID(b *column.Batch, s []byte) {
	v := b.Cols[pipeline.SIngestBatchID]
	if d.batchID != nil {
		if s == nil {
			s = []byte{}
		}
		v.AppendCoded(s, d.batchID)
	} else {
		v.AppendBytes(s)
	}
}

func eventStrings(ev *event.Event) [16][]byte {
	return [16][]byte{ev.EventID, ev.EventName, ev.UserID, ev.SessionID, ev.DeviceType, ev.Platform,
		ev.Country, ev.Region, ev.City, ev.UTMSource, ev.UTMMedium, ev.UTMCampaign, ev.ProductID,
		ev.Category, ev.Currency, ev.OrderID}
}

// appendRecord encodes a valid event whose key is k = hashID(ev.EventID).
func appendRecord(dst []byte, k key, ev *event.Event, ingestTS, ordinal int64, batchID []byte) []byte {
	start := len(dst)
	var hdr [recHeader]byte
	copy(hdr[4:20], k[:])
	binary.LittleEndian.PutUint64(hdr[20:], uint64(ingestTS))
	binary.LittleEndian.PutUint64(hdr[28:], uint64(ordinal))
	binary.LittleEndian.PutUint64(hdr[36:], uint64(ev.EventTS))
	binary.LittleEndian.PutUint32(hdr[44:], uint32(ev.EventDate))
	binary.LittleEndian.PutUint64(hdr[48:], uint64(ev.Price))
	binary.LittleEndian.PutUint32(hdr[56:], uint32(ev.Quantity))
	var bits uint32
	strs := eventStrings(ev)
	for i, s := range strs {
		if s != nil {
			bits |= 1 << i
		}
	}
	if ev.HasPrice {
		bits |= 1 << 16
	}
	if ev.HasQuantity {
		bits |= 1 << 17
	}
	if ev.Name == event.Purchase {
		bits |= 1 << 23
	}
	hdr[60], hdr[61], hdr[62] = byte(bits), byte(bits>>8), byte(bits>>16)
	dst = append(dst, hdr[:]...)
	for _, s := range strs {
		if s != nil {
			dst = binary.AppendUvarint(dst, uint64(len(s)))
			dst = append(dst, s...)
		}
	}
	dst = binary.AppendUvarint(dst, uint64(len(batchID)))
	dst = append(dst, batchID...)
	binary.LittleEndian.PutUint32(dst[start:], uint32(len(dst)-start))
	return dst
}

// rec is a view of one encoded record.
type rec []byte

func (r rec) key() (k key)     { copy(k[:], r[4:20]); return }
func (r rec) ingestTS() int64  { return int64(binary.LittleEndian.Uint64(r[20:])) }
func (r rec) ordinal() int64   { return int64(binary.LittleEndian.Uint64(r[28:])) }
func (r rec) eventDate() int32 { return int32(binary.LittleEndian.Uint32(r[44:])) }
func (r rec) bits() uint32     { return uint32(r[60]) | uint32(r[61])<<8 | uint32(r[62])<<16 }
func recLen(b []byte) int      { return int(binary.LittleEndian.Uint32(b)) }

// isPurchase reports whether the record is a purchase event.
func (r rec) isPurchase() bool { return r.bits()&(1<<23) != 0 }
func (r rec) beats(o rec) bool {
	if a, b := r.ingestTS(), o.ingestTS(); a != b {
		return a > b
	}
	return r.ordinal() > o.ordinal()
}

// eventID returns the record's event_id (the first string, always present).
func (r rec) eventID() []byte {
	n, w := binary.Uvarint(r[recHeader:])
	return r[recHeader+w : recHeader+w+int(n)]
}

// appendTo decodes the record as one silver row.
func (r rec) appendTo(b *column.Batch, d *dicts) {
	bits := r.bits()
	p := recHeader
	for i := range silverStrings {
		if bits&(1<<i) == 0 {
			d.appendStr(b, i, nil)
			continue
		}
		n, w := binary.Uvarint(r[p:])
		p += w
		d.appendStr(b, i, r[p:p+int(n):p+int(n)])
		p += int(n)
	}
	n, w := binary.Uvarint(r[p:])
	p += w
	d.appendBatchID(b, r[p:p+int(n):p+int(n)])
	b.Cols[pipeline.SEventTS].AppendInt(int64(binary.LittleEndian.Uint64(r[36:])))
	b.Cols[pipeline.SEventDate].AppendInt(int64(r.eventDate()))
	if bits&(1<<16) != 0 {
		b.Cols[pipeline.SPrice].AppendInt(int64(binary.LittleEndian.Uint64(r[48:])))
	} else {
		b.Cols[pipeline.SPrice].AppendNull()
	}
	if bits&(1<<17) != 0 {
		b.Cols[pipeline.SQuantity].AppendInt(int64(int32(binary.LittleEndian.Uint32(r[56:]))))
	} else {
		b.Cols[pipeline.SQuantity].AppendNull()
	}
	b.Cols[pipeline.SIngestTS].AppendInt(r.ingestTS())
}

// appendEvent appends a valid event as one silver row: the row appendTo
// gives for appendRecord's encoding of the same event.
// The strings are appended field by field, in silverStrings order, without
// building eventStrings' array: this runs once per silver row.
func appendEvent(b *column.Batch, ev *event.Event, ingestTS int64, batchID []byte, d *dicts) {
	d.appendStr(b, 0, ev.EventID)
	d.appendStr(b, 1, ev.EventName)
	d.appendStr(b, 2, ev.UserID)
	d.appendStr(b, 3, ev.SessionID)
	d.appendStr(b, 4, ev.DeviceType)
	d.appendStr(b, 5, ev.Platform)
	d.appendStr(b, 6, ev.Country)
	d.appendStr(b, 7, ev.Region)
	d.appendStr(b, 8, ev.City)
	d.appendStr(b, 9, ev.UTMSource)
	d.appendStr(b, 10, ev.UTMMedium)
	d.appendStr(b, 11, ev.UTMCampaign)
	d.appendStr(b, 12, ev.ProductID)
	d.appendStr(b, 13, ev.Category)
	d.appendStr(b, 14, ev.Currency)
	d.appendStr(b, 15, ev.OrderID)
	d.appendBatchID(b, batchID)
	b.Cols[pipeline.SEventTS].AppendInt(ev.EventTS)
	b.Cols[pipeline.SEventDate].AppendInt(int64(ev.EventDate))
	if ev.HasPrice {
		b.Cols[pipeline.SPrice].AppendInt(ev.Price)
	} else {
		b.Cols[pipeline.SPrice].AppendNull()
	}
	if ev.HasQuantity {
		b.Cols[pipeline.SQuantity].AppendInt(int64(ev.Quantity))
	} else {
		b.Cols[pipeline.SQuantity].AppendNull()
	}
	b.Cols[pipeline.SIngestTS].AppendInt(ingestTS)
}
