package cli

import (
	"github.com/spf13/cobra"

	"github.com/ecomm-lakehouse/lakehouse/internal/app"
)

func tableCmd(e *env) *cobra.Command {
	c := &cobra.Command{
		Use:   "table",
		Short: "List, describe, show the history of, and scan Delta tables (schema.name or a path)",
	}
	c.AddCommand(tableListCmd(e), tableDescribeCmd(e), tableHistoryCmd(e), tableScanCmd(e))
	return c
}

func tableListCmd(e *env) *cobra.Command {
	var format string
	c := &cobra.Command{
		Use:   "list",
		Short: "List the tables of the warehouse",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkFormat(format, "table", "text", "json"); err != nil {
				return err
			}
			a, err := e.open()
			if err != nil {
				return err
			}
			ts, err := a.ListTables(e.ctx)
			if err != nil {
				return err
			}
			return app.WriteTableList(e.stdout, ts, format)
		},
	}
	c.Flags().StringVar(&format, "format", "table", "output format: table or json")
	return c
}

func tableDescribeCmd(e *env) *cobra.Command {
	var format, ts string
	var version int64
	c := &cobra.Command{
		Use:   "describe TABLE",
		Short: "Show a table's schema, partitioning, protocol, properties and size",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkFormat(format, "text", "json"); err != nil {
				return err
			}
			a, err := e.open()
			if err != nil {
				return err
			}
			info, err := a.Describe(e.ctx, args[0], version, ts)
			if err != nil {
				return err
			}
			return app.WriteDescribe(e.stdout, info, format)
		},
	}
	c.Flags().StringVar(&format, "format", "text", "output format: text or json")
	c.Flags().Int64Var(&version, "version", -1, "describe the table as of this version")
	c.Flags().StringVar(&ts, "timestamp", "", "describe the table as of this time (RFC 3339)")
	return c
}

func tableHistoryCmd(e *env) *cobra.Command {
	var format string
	var limit int
	c := &cobra.Command{
		Use:   "history TABLE",
		Short: "Show a table's commits, newest first",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkFormat(format, "table", "text", "json"); err != nil {
				return err
			}
			a, err := e.open()
			if err != nil {
				return err
			}
			h, err := a.History(e.ctx, args[0], limit)
			if err != nil {
				return err
			}
			return app.WriteHistory(e.stdout, h, format)
		},
	}
	c.Flags().StringVar(&format, "format", "table", "output format: table or json")
	c.Flags().IntVar(&limit, "limit", 0, "most commits to show (0 = all)")
	return c
}

func tableScanCmd(e *env) *cobra.Command {
	var opts app.ScanOptions
	var columns []string
	c := &cobra.Command{
		Use:   "scan TABLE",
		Short: "Print a table's rows (ndjson, csv, table or json)",
		Long: `Print the rows of a Delta table, named schema.name in the warehouse or by the
path of its folder. --format ndjson prints one JSON object per row, keys in
schema order: decimals as strings with the column's scale, dates YYYY-MM-DD,
timestamps RFC 3339 UTC with 6 fractional digits, null as null.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkFormat(opts.Format, "ndjson", "csv", "table", "json"); err != nil {
				return err
			}
			if opts.Limit < 0 {
				return usagef("--limit must not be negative")
			}
			opts.Columns = columns
			a, err := e.open()
			if err != nil {
				return err
			}
			return a.Scan(e.ctx, args[0], opts, e.stdout)
		},
	}
	c.Flags().StringVar(&opts.Format, "format", "ndjson", "output format: ndjson, csv, table or json")
	c.Flags().Int64Var(&opts.Version, "version", -1, "read the table as of this version")
	c.Flags().StringVar(&opts.Timestamp, "timestamp", "", "read the table as of this time (RFC 3339 or a date)")
	c.Flags().Int64Var(&opts.Limit, "limit", 0, "print at most N rows (0 = all)")
	c.Flags().StringSliceVar(&columns, "columns", nil, "columns to print, comma-separated (default: all)")
	return c
}
