package storage

import (
	"context"
	"fmt"
	"strings"
)

// Sub returns a view of s under prefix + "/": every name passed to the view
// is relative to that prefix, and the names it returns (ObjectInfo.Name) are
// relative too. Tables are opened through it, so table code never sees the
// warehouse layout. One trailing slash on prefix is ignored; an empty prefix
// returns s itself. An invalid prefix yields a view whose every operation
// fails with an error wrapping ErrInvalidName. Sub of a Sub is flattened.
func Sub(s Store, prefix string) Store {
	prefix = strings.TrimSuffix(prefix, "/")
	if prefix == "" {
		return s
	}
	if inner, ok := s.(*subStore); ok && inner.err == nil {
		return Sub(inner.s, inner.dir+prefix)
	}
	v := &subStore{s: s, dir: prefix + "/"}
	if err := CheckName(prefix); err != nil {
		v.err = fmt.Errorf("sub %s: %w", prefix, err)
	}
	return v
}

var _ Store = (*subStore)(nil)

// subStore prefixes names on the way in and strips the prefix on the way
// out; it adds no behaviour of its own, so it inherits every guarantee of s.
type subStore struct {
	s   Store
	dir string // the prefix including its trailing slash
	err error  // non-nil when the prefix is invalid
}

func (v *subStore) Get(ctx context.Context, name string) ([]byte, error) {
	if v.err != nil {
		return nil, v.err
	}
	return v.s.Get(ctx, v.dir+name)
}

func (v *subStore) Open(ctx context.Context, name string) (Object, error) {
	if v.err != nil {
		return nil, v.err
	}
	return v.s.Open(ctx, v.dir+name)
}

func (v *subStore) Stat(ctx context.Context, name string) (ObjectInfo, error) {
	if v.err != nil {
		return ObjectInfo{}, v.err
	}
	info, err := v.s.Stat(ctx, v.dir+name)
	if err != nil {
		return ObjectInfo{}, err
	}
	info.Name = strings.TrimPrefix(info.Name, v.dir)
	return info, nil
}

func (v *subStore) Put(ctx context.Context, name string, data []byte) error {
	if v.err != nil {
		return v.err
	}
	return v.s.Put(ctx, v.dir+name, data)
}

func (v *subStore) Create(ctx context.Context, name string) (Writer, error) {
	if v.err != nil {
		return nil, v.err
	}
	return v.s.Create(ctx, v.dir+name)
}

func (v *subStore) PutIfAbsent(ctx context.Context, name string, data []byte) error {
	if v.err != nil {
		return v.err
	}
	return v.s.PutIfAbsent(ctx, v.dir+name, data)
}

func (v *subStore) List(ctx context.Context, prefix, startAfter string) ([]ObjectInfo, error) {
	if v.err != nil {
		return nil, v.err
	}
	if startAfter != "" {
		startAfter = v.dir + startAfter
	}
	infos, err := v.s.List(ctx, v.dir+prefix, startAfter)
	if err != nil {
		return nil, err
	}
	for i := range infos {
		infos[i].Name = strings.TrimPrefix(infos[i].Name, v.dir)
	}
	return infos, nil
}

func (v *subStore) Delete(ctx context.Context, name string) error {
	if v.err != nil {
		return v.err
	}
	return v.s.Delete(ctx, v.dir+name)
}
