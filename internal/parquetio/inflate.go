package parquetio

import (
	"bytes"
	"fmt"
	"hash/crc32"
	"io"
	"strings"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/compress"
	"github.com/parquet-go/parquet-go/encoding/thrift"
	"github.com/parquet-go/parquet-go/format"
	"github.com/pierrec/lz4/v4"
)

// Two kinds of column chunk that parquet-go's page reader gets wrong are
// decompressed before it sees them:
//
//   - LZ4_RAW chunks: parquet-go keeps its pooled page buffer when the LZ4
//     codec returns a reallocated one of the same length, which it does for
//     any page that LZ4 shrank less than three times, and so decodes a page
//     it never filled (parquet-go issue #608: wrong values or a decoding
//     error);
//   - the chunks of a column whose codec changes between row groups:
//     parquet-go decodes every chunk of a column with the first chunk's codec.
//
// inflate rewrites such a file in memory with those chunks stored
// uncompressed (the same pages, decompressed, with headers, offsets and sizes
// to match), and parquet-go reads the copy. Files written by us, Spark,
// delta-rs or DuckDB with their default codecs are never rewritten.

// columnsToInflate returns, by column index, which columns' chunks must be
// inflated; nil when none.
func columnsToInflate(md *format.FileMetaData) []bool {
	if len(md.RowGroups) == 0 {
		return nil
	}
	var cols []bool
	first := md.RowGroups[0].Columns
	for _, rg := range md.RowGroups {
		for ci, cc := range rg.Columns {
			if cc.MetaData.Codec == format.Lz4Raw || ci >= len(first) || cc.MetaData.Codec != first[ci].MetaData.Codec {
				if cols == nil {
					cols = make([]bool, len(first))
				}
				if ci < len(cols) {
					cols[ci] = true
				}
			}
		}
	}
	return cols
}

// inflate returns a copy of the Parquet file in r (of the given size and
// footer md) whose marked columns are stored uncompressed.
func inflate(r io.ReaderAt, size int64, md *format.FileMetaData, cols []bool) ([]byte, error) {
	out := append(make([]byte, 0, size), magic...)
	meta := *md
	meta.RowGroups = make([]format.RowGroup, len(md.RowGroups))
	for gi, rg := range md.RowGroups {
		nrg := rg
		nrg.Columns = make([]format.ColumnChunk, len(rg.Columns))
		nrg.FileOffset = int64(len(out))
		nrg.TotalCompressedSize = 0
		for ci, cc := range rg.Columns {
			start := int64(len(out))
			var err error
			out, err = copyChunk(out, r, size, &cc, ci < len(cols) && cols[ci])
			if err != nil {
				return nil, fmt.Errorf("column %s, row group %d: %w", strings.Join(cc.MetaData.PathInSchema, "."), gi, err)
			}
			nrg.Columns[ci] = cc
			nrg.TotalCompressedSize += int64(len(out)) - start
		}
		meta.RowGroups[gi] = nrg
	}
	return appendFooter(out, &meta)
}

// copyChunk appends the column chunk cc, read from r, to out, decompressing
// its pages if decompress, and points cc's offsets and sizes at the copy.
// The chunk's page index and Bloom filter are not copied.
func copyChunk(out []byte, r io.ReaderAt, size int64, cc *format.ColumnChunk, decompress bool) ([]byte, error) {
	m := &cc.MetaData
	start := m.DataPageOffset
	if m.DictionaryPageOffset > 0 && m.DictionaryPageOffset < start {
		start = m.DictionaryPageOffset
	}
	if start < int64(len(magic)) || m.TotalCompressedSize < 0 || start+m.TotalCompressedSize > size {
		return nil, fmt.Errorf("chunk [%d, +%d) is outside the file of %d bytes", start, m.TotalCompressedSize, size)
	}
	chunk := make([]byte, m.TotalCompressedSize)
	if _, err := r.ReadAt(chunk, start); err != nil {
		return nil, fmt.Errorf("read chunk: %w", err)
	}
	newStart := int64(len(out))
	cc.FileOffset = newStart
	cc.ColumnIndexOffset, cc.ColumnIndexLength = 0, 0
	cc.OffsetIndexOffset, cc.OffsetIndexLength = 0, 0
	m.BloomFilterOffset, m.BloomFilterLength = 0, 0
	if !decompress {
		m.DataPageOffset += newStart - start
		if m.DictionaryPageOffset > 0 {
			m.DictionaryPageOffset += newStart - start
		}
		return append(out, chunk...), nil
	}
	codec := parquet.LookupCompressionCodec(m.Codec)
	m.DictionaryPageOffset = 0
	dataSeen := false
	for pos := 0; pos < len(chunk); {
		pageStart := int64(len(out))
		var h format.PageHeader
		br := bytes.NewReader(chunk[pos:])
		if err := thrift.NewDecoder(new(thrift.CompactProtocol).NewReader(br)).Decode(&h); err != nil {
			return nil, fmt.Errorf("page header at chunk byte %d: %w", pos, err)
		}
		bodyAt := len(chunk) - br.Len()
		if h.CompressedPageSize < 0 || int(h.CompressedPageSize) > br.Len() || h.UncompressedPageSize < 0 {
			return nil, fmt.Errorf("page of %d bytes at chunk byte %d overruns the chunk", h.CompressedPageSize, pos)
		}
		body := chunk[bodyAt : bodyAt+int(h.CompressedPageSize)]
		if h.CRC != 0 && uint32(h.CRC) != crc32.ChecksumIEEE(body) {
			return nil, fmt.Errorf("page at chunk byte %d: crc32 mismatch", pos)
		}
		pos = bodyAt + len(body)
		plain, err := decompressPage(codec, &h, body)
		if err != nil {
			return nil, err
		}
		h.CompressedPageSize = int32(len(plain))
		h.CRC = int32(crc32.ChecksumIEEE(plain))
		hdr, err := thrift.Marshal(new(thrift.CompactProtocol), &h)
		if err != nil {
			return nil, err
		}
		switch {
		case h.Type == format.DictionaryPage && !dataSeen:
			m.DictionaryPageOffset = pageStart
		case h.Type == format.DataPage || h.Type == format.DataPageV2:
			if !dataSeen {
				m.DataPageOffset = pageStart
				dataSeen = true
			}
		}
		out = append(append(out, hdr...), plain...)
	}
	m.Codec = format.Uncompressed
	m.TotalCompressedSize = int64(len(out)) - newStart
	m.TotalUncompressedSize = m.TotalCompressedSize
	return out, nil
}

// decompressPage returns the page body stored uncompressed, updating a
// version 2 data page's header to say so.
func decompressPage(codec compress.Codec, h *format.PageHeader, body []byte) ([]byte, error) {
	switch h.Type {
	case format.DataPage, format.DictionaryPage:
		return decompressBody(codec, body, int(h.UncompressedPageSize))
	case format.DataPageV2:
		v2 := &h.DataPageHeaderV2.V
		levels := int(v2.RepetitionLevelsByteLength) + int(v2.DefinitionLevelsByteLength)
		if levels < 0 || levels > len(body) || levels > int(h.UncompressedPageSize) {
			return nil, fmt.Errorf("data page v2 levels of %d bytes in a page of %d", levels, len(body))
		}
		if v2.IsCompressed.Valid && !v2.IsCompressed.V {
			return body, nil
		}
		values, err := decompressBody(codec, body[levels:], int(h.UncompressedPageSize)-levels)
		if err != nil {
			return nil, err
		}
		v2.IsCompressed.Set(false)
		return append(body[:levels:levels], values...), nil
	}
	return body, nil // an index page, copied as it is
}

// decompressBody decompresses b, which must give n bytes.
func decompressBody(codec compress.Codec, b []byte, n int) ([]byte, error) {
	switch codec.CompressionCodec() {
	case format.Uncompressed:
		return b, nil
	case format.Lz4Raw:
		// Not parquet-go's LZ4 Decode: it retries any error with a buffer
		// twice as large, without end on a damaged block.
		if n > maxLZ4Ratio*len(b)+64 {
			return nil, fmt.Errorf("LZ4_RAW page of %d bytes cannot decompress to the %d its header says", len(b), n)
		}
		out := make([]byte, n)
		m, err := lz4.UncompressBlock(b, out)
		if err != nil {
			return nil, fmt.Errorf("LZ4_RAW page: %w", err)
		}
		if m != n {
			return nil, fmt.Errorf("LZ4_RAW page decompresses to %d bytes, its header says %d", m, n)
		}
		return out, nil
	}
	out, err := codec.Decode(make([]byte, 0, min(n, 16*len(b)+1024)), b)
	if err != nil {
		return nil, fmt.Errorf("%s page: %w", codec, err)
	}
	if len(out) != n {
		return nil, fmt.Errorf("%s page decompresses to %d bytes, its header says %d", codec, len(out), n)
	}
	return out, nil
}

// maxLZ4Ratio bounds what an LZ4 block can expand to: a match of at most
// 255 bytes per byte of its length field, beyond its token.
const maxLZ4Ratio = 255
