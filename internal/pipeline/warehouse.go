package pipeline

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/ecomm-lakehouse/lakehouse/internal/delta"
	"github.com/ecomm-lakehouse/lakehouse/internal/storage"
)

// Warehouse is a root location holding tables at <schema>/<name>/.
type Warehouse struct {
	root storage.Store
	opts delta.Options
}

// NewWarehouse returns a warehouse on root; opts apply to every table.
func NewWarehouse(root storage.Store, opts delta.Options) *Warehouse {
	return &Warehouse{root: root, opts: opts}
}

// Root returns the warehouse's store.
func (w *Warehouse) Root() storage.Store { return w.root }

// Options returns the Delta options of its tables.
func (w *Warehouse) Options() delta.Options { return w.opts }

// Table returns the table called name: "schema.name", or a bare pipeline
// table name (which lives in Schema).
func (w *Warehouse) Table(name string) (*delta.Table, error) {
	schema, table, ok := strings.Cut(name, ".")
	if !ok {
		schema, table = Schema, name
	}
	if err := storage.CheckName(schema + "/" + table); err != nil || strings.Contains(table, "/") || schema == "" || table == "" {
		return nil, fmt.Errorf("invalid table name %q: want schema.name", name)
	}
	return delta.Open(storage.Sub(w.root, schema+"/"+table), w.opts), nil
}

// Ensure returns the latest snapshot of the pipeline table called name (one
// of Tables), creating the table if it does not exist. An existing table
// whose schema differs from the contract is an error naming the first
// differing column.
func (w *Warehouse) Ensure(ctx context.Context, name string) (*delta.Snapshot, error) {
	def, ok := Def(name)
	if !ok {
		return nil, fmt.Errorf("%q is not a pipeline table", name)
	}
	t, err := w.Table(def.Name)
	if err != nil {
		return nil, err
	}
	s, err := t.CreateIfNotExists(ctx, delta.CreateOptions{
		Name: def.Name, Description: def.Description, Schema: def.Schema,
		PartitionColumns: def.PartitionBy, Configuration: def.Config,
	})
	if err != nil {
		return nil, fmt.Errorf("table %s.%s: %w", Schema, def.Name, err)
	}
	if err := delta.CheckSchema(s.Schema(), def.Schema); err != nil {
		return nil, fmt.Errorf("table %s.%s does not have the expected schema: %w", Schema, def.Name, err)
	}
	if !slices.Equal(s.PartitionColumns(), def.PartitionBy) && !(len(s.PartitionColumns()) == 0 && len(def.PartitionBy) == 0) {
		return nil, fmt.Errorf("table %s.%s is partitioned by %v, expected %v", Schema, def.Name, s.PartitionColumns(), def.PartitionBy)
	}
	return s, nil
}

// Snapshot returns the latest snapshot of a pipeline table, or nil (and no
// error) when the table does not exist yet.
func (w *Warehouse) Snapshot(ctx context.Context, name string) (*delta.Snapshot, error) {
	t, err := w.Table(name)
	if err != nil {
		return nil, err
	}
	s, err := t.Snapshot(ctx)
	if err == delta.ErrNotATable {
		return nil, nil
	}
	return s, err
}

// ListTables returns the "schema.name" of every Delta table in the warehouse.
func (w *Warehouse) ListTables(ctx context.Context) ([]string, error) {
	objs, err := w.root.List(ctx, "", "")
	if err != nil {
		return nil, fmt.Errorf("list warehouse: %w", err)
	}
	seen := map[string]bool{}
	var out []string
	for _, o := range objs {
		parts := strings.Split(o.Name, "/")
		if len(parts) < 4 || parts[2] != delta.LogDir || strings.HasPrefix(parts[0], "_") || strings.HasPrefix(parts[0], ".") {
			continue
		}
		if k := delta.ParseLogName(parts[3]).Kind; k != delta.KindCommit && k != delta.KindCheckpoint {
			continue
		}
		name := parts[0] + "." + parts[1]
		if !seen[name] {
			seen[name] = true
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out, nil
}
