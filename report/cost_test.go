package report

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/headroom-dev/headroom/infra/cost"
)

func TestUSD(t *testing.T) {
	for in, want := range map[float64]string{0: "$0.00", 9.855: "$9.86", 1234.5: "$1,234.50", 1234567.891: "$1,234,567.89", -51.01: "-$51.01", 999.999: "$1,000.00"} {
		assert.Equal(t, want, USD(in), "%v", in)
	}
}

// TestCostSection: the estimate is rendered in all three formats, labelled,
// with unpriced lines named and left out of the total.
func TestCostSection(t *testing.T) {
	c := cost.Cost{Label: "estimate: list prices", Region: "us-central1", Currency: "USD", PricesRead: "2026-11-29",
		MonthlyUSD: 51.01, MaxMonthlyUSD: 51.01,
		Lines: []cost.Line{
			{Kind: cost.KindCloudSQL, Name: "db", Region: "us-central1", Detail: "db-custom-1-3840", MonthlyUSD: 51.01, MaxMonthlyUSD: 51.01, Priced: true},
			{Kind: cost.KindConnector, Name: "conn", Region: "us-central1", Detail: "f1-micro × 2 (up to 10)"},
		},
		Unpriced: []string{"connector conn (f1-micro × 2 (up to 10))"}}
	r := Report{Kind: KindPlan, Stack: "s", Environment: "staging", Cost: CostOf(c)}
	r.Finalize()
	var txt, md, js bytes.Buffer
	require.NoError(t, Text(&txt, r, TextOptions{}))
	require.NoError(t, Markdown(&md, r, MarkdownOptions{}))
	require.NoError(t, JSON(&js, r))
	assert.Contains(t, txt.String(), "Monthly cost estimate · $51.01/month")
	assert.Contains(t, txt.String(), "unpriced (no price in the table): connector conn")
	assert.Contains(t, md.String(), "### Monthly cost estimate: $51.01/month")
	assert.Contains(t, md.String(), "| connector | `conn` | us-central1 | f1-micro × 2 (up to 10) | unpriced |")
	assert.Contains(t, js.String(), `"monthlyUsd": 51.01`)
}
