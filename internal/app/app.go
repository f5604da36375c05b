package app

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/ecomm-lakehouse/lakehouse/internal/delta"
	"github.com/ecomm-lakehouse/lakehouse/internal/job"
	"github.com/ecomm-lakehouse/lakehouse/internal/pipeline"
	"github.com/ecomm-lakehouse/lakehouse/internal/storage"
	"github.com/ecomm-lakehouse/lakehouse/internal/storage/local"
)

// DefaultWarehouse is the warehouse used when neither --warehouse nor
// LAKEHOUSE_WAREHOUSE is set.
const DefaultWarehouse = "./warehouse"

// Options configure an App.
type Options struct {
	Warehouse string // a local folder; s3://, azblob://, gs:// come later
	Stdout    io.Writer
	Stderr    io.Writer
	// Progress enables progress lines on Stderr (when it is a terminal).
	Progress bool
	// Now is the clock (default time.Now); it must be safe for concurrent use.
	Now func() time.Time
	// Workers bounds the goroutines of each stage (default GOMAXPROCS).
	Workers int
}

// App is an opened warehouse and everything the commands need.
type App struct {
	opts Options
	path string
	root storage.Store
	wh   *pipeline.Warehouse
}

// Open opens (creating if needed) the warehouse.
func Open(opts Options) (*App, error) {
	if opts.Warehouse == "" {
		opts.Warehouse = DefaultWarehouse
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Stdout == nil {
		opts.Stdout = io.Discard
	}
	if opts.Stderr == nil {
		opts.Stderr = io.Discard
	}
	if i := strings.Index(opts.Warehouse, "://"); i > 0 {
		return nil, fmt.Errorf("warehouse %s: %s:// storage is not supported yet (local folders only)", opts.Warehouse, opts.Warehouse[:i])
	}
	abs, err := filepath.Abs(opts.Warehouse)
	if err != nil {
		return nil, fmt.Errorf("warehouse %s: %w", opts.Warehouse, err)
	}
	if st, err := os.Stat(abs); err == nil && !st.IsDir() {
		return nil, fmt.Errorf("warehouse %s is a file, not a folder", opts.Warehouse)
	}
	root, err := local.New(abs, local.Options{})
	if err != nil {
		return nil, err
	}
	return &App{opts: opts, path: abs, root: root, wh: pipeline.NewWarehouse(root, delta.Options{Now: opts.Now})}, nil
}

// Warehouse returns the pipeline warehouse.
func (a *App) Warehouse() *pipeline.Warehouse { return a.wh }

// Path returns the warehouse folder.
func (a *App) Path() string { return a.path }

// OpenTable resolves a table reference: a path to a folder holding a
// _delta_log, or schema.name in the warehouse. It returns the table and a
// display name.
func (a *App) OpenTable(ctx context.Context, ref string) (*delta.Table, string, error) {
	if st, err := os.Stat(ref); err == nil && st.IsDir() {
		if _, err := os.Stat(filepath.Join(ref, delta.LogDir)); err != nil {
			return nil, "", fmt.Errorf("%s is a folder but not a Delta table (no %s inside)", ref, delta.LogDir)
		}
		st, err := local.New(ref, local.Options{})
		if err != nil {
			return nil, "", err
		}
		return delta.Open(st, delta.Options{Now: a.opts.Now}), ref, nil
	}
	if strings.ContainsAny(ref, `/\`) {
		return nil, "", fmt.Errorf("no table at %s: not a folder", ref)
	}
	schema, name, ok := strings.Cut(ref, ".")
	if !ok {
		schema, name = pipeline.Schema, ref
	}
	t, err := a.wh.Table(schema + "." + name)
	if err != nil {
		return nil, "", err
	}
	exists, err := t.Exists(ctx)
	if err != nil {
		return nil, "", err
	}
	if !exists {
		return nil, "", fmt.Errorf("no table %s.%s in the warehouse %s (see `lakehouse table list`)", schema, name, a.path)
	}
	return t, schema + "." + name, nil
}

// JobService opens the run history (<warehouse>/_lakehouse/jobs.db) and
// returns a job service over the built-in tasks; close releases it.
func (a *App) JobService(ctx context.Context) (svc *job.Service, closeFn func() error, err error) {
	store, err := job.OpenSQLite(ctx, filepath.Join(a.path, "_lakehouse", "jobs.db"))
	if err != nil {
		return nil, nil, fmt.Errorf("run history: %w", err)
	}
	return job.NewService(store, a.Registry(), job.Config{}), store.Close, nil
}
