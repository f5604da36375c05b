package gen_test

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/ecomm-lakehouse/lakehouse/internal/gen"
)

// Generate chunks independently (here in order, in one goroutine) and
// merge their manifests.
func Example() {
	end := time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)
	g, err := gen.New(gen.Defaults(42, 200_000, end))
	if err != nil {
		fmt.Println(err)
		return
	}
	total := gen.NewManifest()
	var buf []byte
	for i := range g.NumChunks() {
		c := g.Chunk(i)
		for !c.Done() {
			buf, _ = c.Fill(buf[:0], 4096) // lines ending in '\n', ready to write
		}
		total.Merge(c.Manifest())
	}
	fmt.Println("chunks:", g.NumChunks())
	fmt.Println("rows:", total.Rows, "= valid", total.ValidEvents, "+ duplicates", total.Duplicates, "+ quarantined", total.Quarantined)
	fmt.Println("dates:", total.MinEventDate, "to", total.MaxEventDate)

	// The same run through the parallel writer gives the same manifest.
	m, err := gen.WriteNDJSONParallel(context.Background(), io.Discard, g, 2)
	fmt.Println("parallel:", m.Rows == total.Rows && m.ValidEvents == total.ValidEvents, err)
	// Output:
	// chunks: 4
	// rows: 200000 = valid 198466 + duplicates 1012 + quarantined 522
	// dates: 2026-11-13 to 2026-11-19
	// parallel: true <nil>
}
