package pipeline

import (
	"github.com/ecomm-lakehouse/lakehouse/internal/column"
)

// Schema is the database the pipeline's tables live in.
const Schema = "ecomm_lakehouse"

// Table names (without the schema).
const (
	Bronze         = "bronze_events_raw"
	Silver         = "silver_events_clean"
	Quarantine     = "silver_events_quarantine"
	FactPurchases  = "gold_fact_purchases"
	FunnelDaily    = "gold_mart_funnel_daily"
	RevenueDaily   = "gold_mart_revenue_daily"
	SourceGenerate = "synthetic_ecomm" // bronze.source of generated rows
)

// Application-transaction ids: a stage commits txn{AppID, input version}
// with its output, so a rerun knows what it has already done.
const (
	AppSilver = "lakehouse.bronze_to_silver"
	AppGold   = "lakehouse.silver_to_gold"
)

func f(name string, t *column.Type) column.Field {
	return column.Field{Name: name, Type: t, Nullable: true}
}

var decimal18_2 = column.DecimalType(18, 2)

// BronzeSchema: every input line kept byte for byte, plus ingest metadata.
var BronzeSchema = &column.Schema{Fields: []column.Field{
	f("raw_json", column.TypeString),
	f("ingest_ts", column.TypeTimestamp),
	f("source", column.TypeString),
	f("ingest_batch_id", column.TypeString),
}}

// SilverSchema: typed, validated, one row per event_id; partitioned by event_date.
var SilverSchema = &column.Schema{Fields: []column.Field{
	f("event_id", column.TypeString),
	f("event_ts", column.TypeTimestamp),
	f("event_date", column.TypeDate),
	f("event_name", column.TypeString),
	f("user_id", column.TypeString),
	f("session_id", column.TypeString),
	f("device_type", column.TypeString),
	f("platform", column.TypeString),
	f("country", column.TypeString),
	f("region", column.TypeString),
	f("city", column.TypeString),
	f("utm_source", column.TypeString),
	f("utm_medium", column.TypeString),
	f("utm_campaign", column.TypeString),
	f("product_id", column.TypeString),
	f("category", column.TypeString),
	f("price", decimal18_2),
	f("quantity", column.TypeInt),
	f("currency", column.TypeString),
	f("order_id", column.TypeString),
	f("ingest_ts", column.TypeTimestamp),
	f("ingest_batch_id", column.TypeString),
}}

// Silver column positions, for hot loops.
const (
	SEventID = iota
	SEventTS
	SEventDate
	SEventName
	SUserID
	SSessionID
	SDeviceType
	SPlatform
	SCountry
	SRegion
	SCity
	SUTMSource
	SUTMMedium
	SUTMCampaign
	SProductID
	SCategory
	SPrice
	SQuantity
	SCurrency
	SOrderID
	SIngestTS
	SIngestBatchID
)

// QuarantineSchema: rejected lines with the reasons.
var QuarantineSchema = &column.Schema{Fields: []column.Field{
	f("raw_json", column.TypeString),
	f("reason", column.TypeString),
	f("ingest_ts", column.TypeTimestamp),
	f("ingest_batch_id", column.TypeString),
}}

// FactPurchasesSchema: the silver columns of purchases, order_id first, plus revenue.
var FactPurchasesSchema = func() *column.Schema {
	s := &column.Schema{Fields: []column.Field{f("order_id", column.TypeString)}}
	for _, fd := range SilverSchema.Fields {
		if fd.Name != "order_id" {
			s.Fields = append(s.Fields, fd)
		}
	}
	s.Fields = append(s.Fields, f("revenue", decimal18_2))
	return s
}()

// FunnelSteps are the funnel's event names in order.
var FunnelSteps = []string{"page_view", "product_view", "add_to_cart", "checkout_started", "purchase"}

// FunnelDailySchema: distinct sessions reaching each step per day, and step conversion rates.
var FunnelDailySchema = &column.Schema{Fields: []column.Field{
	f("event_date", column.TypeDate),
	f("sessions_with_page_view", column.TypeLong),
	f("sessions_with_product_view", column.TypeLong),
	f("sessions_with_add_to_cart", column.TypeLong),
	f("sessions_with_checkout", column.TypeLong),
	f("sessions_with_purchase", column.TypeLong),
	f("cr_page_view_to_product_view", column.TypeDouble),
	f("cr_product_view_to_add_to_cart", column.TypeDouble),
	f("cr_add_to_cart_to_checkout", column.TypeDouble),
	f("cr_checkout_to_purchase", column.TypeDouble),
	f("cr_page_view_to_purchase", column.TypeDouble),
}}

// RevenueDailySchema: orders, units and revenue per day and currency.
var RevenueDailySchema = &column.Schema{Fields: []column.Field{
	f("event_date", column.TypeDate),
	f("currency", column.TypeString),
	f("orders", column.TypeLong),
	f("units", column.TypeLong),
	f("revenue", decimal18_2),
}}

// TableDef describes one of the pipeline's tables.
type TableDef struct {
	Name        string
	Schema      *column.Schema
	PartitionBy []string
	Description string
	// Config are Delta table properties set at creation.
	Config map[string]string
}

// Tables lists the pipeline's tables in flow order.
var Tables = []TableDef{
	{Name: Bronze, Schema: BronzeSchema, Description: "Raw clickstream lines, append-only, kept byte for byte",
		Config: map[string]string{"delta.appendOnly": "true", "delta.dataSkippingNumIndexedCols": "-1", "delta.dataSkippingStatsColumns": "ingest_ts,source,ingest_batch_id"}},
	{Name: Silver, Schema: SilverSchema, PartitionBy: []string{"event_date"}, Description: "Validated events, one row per event_id",
		Config: map[string]string{"delta.dataSkippingStatsColumns": "event_ts,event_name,country,category,price,quantity,currency,ingest_ts"}},
	{Name: Quarantine, Schema: QuarantineSchema, Description: "Lines that broke the event contract, with the reasons",
		Config: map[string]string{"delta.dataSkippingStatsColumns": "reason,ingest_ts,ingest_batch_id"}},
	{Name: FactPurchases, Schema: FactPurchasesSchema, PartitionBy: []string{"event_date"}, Description: "Purchase events with revenue = price × quantity"},
	{Name: FunnelDaily, Schema: FunnelDailySchema, Description: "Daily distinct sessions per funnel step and step conversion rates"},
	{Name: RevenueDaily, Schema: RevenueDailySchema, Description: "Daily orders, units and revenue per currency"},
}

// Def returns the definition of a pipeline table.
func Def(name string) (TableDef, bool) {
	for _, d := range Tables {
		if d.Name == name {
			return d, true
		}
	}
	return TableDef{}, false
}
