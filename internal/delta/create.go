package delta

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/google/uuid"

	"github.com/ecomm-lakehouse/lakehouse/internal/column"
	"github.com/ecomm-lakehouse/lakehouse/internal/storage"
)

// CreateOptions describe a new table.
type CreateOptions struct {
	Name             string
	Description      string
	Schema           *column.Schema
	PartitionColumns []string
	Configuration    map[string]string
}

// Create writes version 0 of a new table: protocol (1,2), or (3,7) with
// timestampNtz when a column needs it, and the metadata. It fails with
// ErrTableExists if the table already has a log.
func (t *Table) Create(ctx context.Context, opts CreateOptions) (*Snapshot, error) {
	if opts.Schema == nil || len(opts.Schema.Fields) == 0 {
		return nil, fmt.Errorf("create table: a schema with at least one column is required")
	}
	if _, err := ParseSchema(SchemaString(opts.Schema)); err != nil {
		return nil, fmt.Errorf("create table: %w", err)
	}
	for _, c := range opts.PartitionColumns {
		f, ok := opts.Schema.Field(c)
		if !ok {
			return nil, fmt.Errorf("create table: partition column %q is not in the schema", c)
		}
		if !f.Type.IsPrimitive() {
			return nil, fmt.Errorf("create table: cannot partition by %q of type %s", c, f.Type)
		}
	}
	if len(opts.PartitionColumns) == len(opts.Schema.Fields) {
		return nil, fmt.Errorf("create table: at least one column must not be a partition column")
	}
	exists, err := t.Exists(ctx)
	if err != nil {
		return nil, err
	}
	if exists {
		return nil, ErrTableExists
	}
	proto := Protocol{MinReaderVersion: 1, MinWriterVersion: 2}
	if usesNTZ(opts.Schema.StructType()) {
		proto = Protocol{MinReaderVersion: 3, MinWriterVersion: 7, ReaderFeatures: []string{"timestampNtz"}, WriterFeatures: []string{"timestampNtz"}}
	}
	conf := opts.Configuration
	if conf == nil {
		conf = map[string]string{}
	}
	now := t.opts.Now().UnixMilli()
	md := Metadata{
		ID: uuid.NewString(), Format: Format{Provider: "parquet", Options: map[string]string{}},
		SchemaString: SchemaString(opts.Schema), PartitionColumns: slices.Clone(opts.PartitionColumns),
		Configuration: conf, CreatedTime: &now,
	}
	if md.PartitionColumns == nil {
		md.PartitionColumns = []string{}
	}
	if opts.Name != "" {
		md.Name = &opts.Name
	}
	if opts.Description != "" {
		md.Description = &opts.Description
	}
	empty := &Snapshot{sorted: new(sortedFiles), table: t, version: -1, protocol: proto, metadata: md, schema: opts.Schema,
		files: map[string]*Add{}, tombstones: map[string]*Remove{}, txns: map[string]Txn{}, domains: map[string]DomainMetadata{}}
	tx := empty.NewTransaction("CREATE TABLE")
	tx.protocol, tx.metadata = &proto, &md
	tx.SetParameter("isManaged", "false")
	tx.SetParameter("description", opts.Description)
	tx.SetParameterJSON("partitionBy", mustJSON(md.PartitionColumns))
	tx.SetParameterJSON("properties", mustJSON(conf))
	body, err := tx.serialize(tx.actions())
	if err != nil {
		return nil, err
	}
	if err := t.putCommit(ctx, 0, body); err != nil {
		if errors.Is(err, storage.ErrExist) {
			return nil, ErrTableExists
		}
		return nil, fmt.Errorf("create table: %w", err)
	}
	s := empty.clone()
	s.version = 0
	s.timestamp = t.opts.Now()
	return s, nil
}

// CreateIfNotExists creates the table, or returns its latest snapshot when it
// exists already (also when another process creates it concurrently).
func (t *Table) CreateIfNotExists(ctx context.Context, opts CreateOptions) (*Snapshot, error) {
	s, err := t.Create(ctx, opts)
	if errors.Is(err, ErrTableExists) {
		return t.Snapshot(ctx)
	}
	return s, err
}

func usesNTZ(t *column.Type) bool {
	switch t.Kind {
	case column.TimestampNTZ:
		return true
	case column.Struct:
		for _, f := range t.Fields {
			if usesNTZ(f.Type) {
				return true
			}
		}
	case column.Array:
		return usesNTZ(t.Elem)
	case column.Map:
		return usesNTZ(t.Key) || usesNTZ(t.Value)
	}
	return false
}
