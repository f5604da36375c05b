package delta

import (
	"context"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"strings"

	"github.com/RoaringBitmap/roaring/v2/roaring64"
	"github.com/google/uuid"
)

// Deletion vectors (reader feature deletionVectors): a file's deleted rows
// are a bitmap of row indexes, stored inline in the log (storage type "i"),
// in a file next to the data named by a Z85-encoded UUID ("u"), or at an
// absolute path ("p"). The bitmap is Delta's RoaringBitmapArray: the magic
// number 1681511377 (little endian) then the portable 64-bit Roaring
// format, which roaring64 reads.

const dvMagic = 1681511377

// readDeletionVector returns the deleted row indexes of a file.
func (t *Table) readDeletionVector(ctx context.Context, dv *DeletionVector) (*roaring64.Bitmap, error) {
	var data []byte
	switch dv.StorageType {
	case "i":
		b, err := z85Decode(dv.PathOrInlineDv)
		if err != nil {
			return nil, fmt.Errorf("%w: inline deletion vector: %v", ErrCorrupt, err)
		}
		data = b
	case "u":
		name, err := dvFileName(dv.PathOrInlineDv)
		if err != nil {
			return nil, err
		}
		obj, err := t.store.Open(ctx, name)
		if err != nil {
			if notExist(err) {
				return nil, fmt.Errorf("%w: deletion vector file %s is missing", ErrCorrupt, name)
			}
			return nil, fmt.Errorf("open deletion vector %s: %w", name, err)
		}
		defer obj.Close()
		off := int64(1) // after the format version byte
		if dv.Offset != nil {
			off = int64(*dv.Offset)
		}
		var hdr [4]byte
		if _, err := obj.ReadAt(hdr[:], off); err != nil {
			return nil, fmt.Errorf("%w: deletion vector %s: %v", ErrCorrupt, name, err)
		}
		size := int64(binary.BigEndian.Uint32(hdr[:]))
		if size != int64(dv.SizeInBytes) || off+4+size+4 > obj.Size() {
			return nil, fmt.Errorf("%w: deletion vector %s: size %d does not match the log (%d)", ErrCorrupt, name, size, dv.SizeInBytes)
		}
		buf := make([]byte, size+4)
		if _, err := obj.ReadAt(buf, off+4); err != nil {
			return nil, fmt.Errorf("%w: deletion vector %s: %v", ErrCorrupt, name, err)
		}
		data = buf[:size]
		if crc32.ChecksumIEEE(data) != binary.BigEndian.Uint32(buf[size:]) {
			return nil, fmt.Errorf("%w: deletion vector %s: checksum mismatch", ErrCorrupt, name)
		}
	default:
		return nil, &UnsupportedError{What: "deletion vector storage type", Name: dv.StorageType}
	}
	if len(data) < 4 || binary.LittleEndian.Uint32(data) != dvMagic {
		return nil, fmt.Errorf("%w: deletion vector has a bad magic number", ErrCorrupt)
	}
	bm := roaring64.New()
	if err := bm.UnmarshalBinary(data[4:]); err != nil {
		return nil, fmt.Errorf("%w: deletion vector: %v", ErrCorrupt, err)
	}
	if int64(bm.GetCardinality()) != dv.Cardinality {
		return nil, fmt.Errorf("%w: deletion vector holds %d rows, the log says %d", ErrCorrupt, bm.GetCardinality(), dv.Cardinality)
	}
	return bm, nil
}

// dvFileName resolves a "u" deletion vector: an optional random prefix
// (a directory) followed by the 20-character Z85 encoding of a UUID.
func dvFileName(p string) (string, error) {
	if len(p) < 20 {
		return "", fmt.Errorf("%w: deletion vector path %q is too short", ErrCorrupt, p)
	}
	prefix, enc := p[:len(p)-20], p[len(p)-20:]
	b, err := z85Decode(enc)
	if err != nil || len(b) != 16 {
		return "", fmt.Errorf("%w: deletion vector id %q: not Z85", ErrCorrupt, enc)
	}
	id, _ := uuid.FromBytes(b)
	name := "deletion_vector_" + id.String() + ".bin"
	if prefix != "" {
		name = strings.TrimSuffix(prefix, "/") + "/" + name
	}
	return name, nil
}

const z85Alphabet = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#"

var z85Index = func() [256]int8 {
	var t [256]int8
	for i := range t {
		t[i] = -1
	}
	for i := 0; i < len(z85Alphabet); i++ {
		t[z85Alphabet[i]] = int8(i)
	}
	return t
}()

// z85Decode decodes ZeroMQ's Z85 (base 85, 5 characters per 4 bytes).
func z85Decode(s string) ([]byte, error) {
	if len(s)%5 != 0 {
		return nil, fmt.Errorf("length %d is not a multiple of 5", len(s))
	}
	out := make([]byte, 0, len(s)/5*4)
	for i := 0; i < len(s); i += 5 {
		var v uint64
		for j := 0; j < 5; j++ {
			d := z85Index[s[i+j]]
			if d < 0 {
				return nil, fmt.Errorf("invalid character %q", s[i+j])
			}
			v = v*85 + uint64(d)
		}
		if v > 0xFFFFFFFF {
			return nil, fmt.Errorf("group %q overflows", s[i:i+5])
		}
		out = binary.BigEndian.AppendUint32(out, uint32(v))
	}
	return out, nil
}
