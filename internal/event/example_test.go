package event_test

import (
	"fmt"
	"io"
	"strings"

	"github.com/ecomm-lakehouse/lakehouse/internal/event"
)

func Example() {
	input := strings.Join([]string{
		`{"event_id":"e1","event_ts":"2026-11-20T13:45:12.345Z","event_name":"purchase","user_id":"u_1","product_id":"p_9","price":-1,"quantity":0,"currency":"CAD"}`,
		"   ",
		`{"event_id":"","event_ts":"yesterday","event_name":"click","user_id":"u_1"}`,
		`{"event_id":"e2"`,
		`{"event_id":"e3","event_ts":"2026-11-20T23:30:00-02:00","event_name":"add_to_cart","user_id":"u_1","product_id":"p_9","price":2.675,"quantity":1,"currency":"CAD"}`,
	}, "\r\n")

	lines := event.NewLineReader(strings.NewReader(input), event.LineOptions{})
	parser := event.NewParser(event.ParserOptions{})
	var ev event.Event
	for {
		line, lineNo, err := lines.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			fmt.Println(err)
			return
		}
		if r := parser.Parse(line, &ev); !r.Valid() {
			fmt.Printf("line %d: quarantine: %s\n", lineNo, r)
			continue
		}
		fmt.Printf("line %d: %s %s price=%d cents, event_date=%d\n", lineNo, ev.Name, ev.EventID, ev.Price, ev.EventDate)
	}
	// Output:
	// line 1: quarantine: negative_price,invalid_quantity,missing_order_id
	// line 3: quarantine: missing_event_id,invalid_event_ts,invalid_event_name
	// line 4: quarantine: malformed_json
	// line 5: add_to_cart e3 price=268 cents, event_date=20778
}
