package report

import (
	"fmt"
	"strings"

	"github.com/headroom-dev/headroom/infra/cost"
)

// Cost is the monthly cost estimate of a stack (infra/cost): list prices of
// one region, no discounts. --base diffs compare MonthlyUSD.
type Cost struct {
	Label         string     `json:"label"`
	Region        string     `json:"region"`
	Currency      string     `json:"currency"`
	PricesRead    string     `json:"pricesRead"`
	MonthlyUSD    float64    `json:"monthlyUsd"`
	MaxMonthlyUSD float64    `json:"maxMonthlyUsd"`
	Lines         []CostLine `json:"lines"`
	Unpriced      []string   `json:"unpriced"`
}

// CostLine is one priced resource.
type CostLine struct {
	Kind          string  `json:"kind"`
	Name          string  `json:"name"`
	Region        string  `json:"region"`
	Detail        string  `json:"detail"`
	MonthlyUSD    float64 `json:"monthlyUsd"`
	MaxMonthlyUSD float64 `json:"maxMonthlyUsd"`
	Priced        bool    `json:"priced"`
}

// CostOf converts an estimate to the report's model.
func CostOf(c cost.Cost) *Cost {
	out := &Cost{Label: c.Label, Region: c.Region, Currency: c.Currency, PricesRead: c.PricesRead,
		MonthlyUSD: c.MonthlyUSD, MaxMonthlyUSD: c.MaxMonthlyUSD, Lines: []CostLine{}, Unpriced: append([]string{}, c.Unpriced...)}
	for _, l := range c.Lines {
		out.Lines = append(out.Lines, CostLine{Kind: l.Kind, Name: l.Name, Region: l.Region, Detail: l.Detail,
			MonthlyUSD: l.MonthlyUSD, MaxMonthlyUSD: l.MaxMonthlyUSD, Priced: l.Priced})
	}
	return out
}

// USD formats a monthly amount: $1,234.56.
func USD(v float64) string {
	neg := v < 0
	if neg {
		v = -v
	}
	s := fmt.Sprintf("%.2f", v)
	whole, frac, _ := strings.Cut(s, ".")
	var b strings.Builder
	for i, r := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	out := "$" + b.String() + "." + frac
	if neg {
		return "-" + out
	}
	return out
}

func costRows(c *Cost) []tableRow {
	rows := make([]tableRow, 0, len(c.Lines))
	for _, l := range c.Lines {
		amount := "unpriced"
		if l.Priced {
			amount = USD(l.MonthlyUSD)
			if l.MaxMonthlyUSD != l.MonthlyUSD {
				amount += " (up to " + USD(l.MaxMonthlyUSD) + ")"
			}
		}
		rows = append(rows, tableRow{Cells: []tableCell{plain(l.Kind), ident(l.Name), plain(l.Region), plain(l.Detail), plain(amount)}})
	}
	return rows
}

func costTotal(c *Cost) string {
	s := USD(c.MonthlyUSD) + "/month"
	if c.MaxMonthlyUSD != c.MonthlyUSD {
		s += " (up to " + USD(c.MaxMonthlyUSD) + " with connectors at max instances)"
	}
	return s
}

func (t *textWriter) cost(c *Cost) {
	t.section("Monthly cost estimate · " + costTotal(c))
	t.printf("  %s; prices read %s\n", c.Label, c.PricesRead)
	t.table([]string{"KIND", "NAME", "REGION", "PRICED AS", "MONTHLY"}, costRows(c))
	for _, u := range c.Unpriced {
		t.printf("  unpriced (no price in the table): %s\n", u)
	}
}

func (m *mdWriter) cost(c *Cost) {
	m.heading(1, "Monthly cost estimate: "+costTotal(c))
	m.printf("_%s; prices read %s (docs/cost.md in the repository)._\n\n", c.Label, c.PricesRead)
	m.table([]string{"Kind", "Name", "Region", "Priced as", "Monthly"}, mdRows(costRows(c)))
	for _, u := range c.Unpriced {
		m.printf("- unpriced (no price in the table): %s\n", cell(u))
	}
}
