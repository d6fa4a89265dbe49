// Package cost estimates the monthly list-price cost of a stack: its Cloud
// SQL instances (edition, tier, HA, replicas, SSD storage), its Serverless
// VPC Access connectors (instances by machine type) and the minimum
// instances of its Cloud Run services (idle CPU and memory).
//
// Prices come from one table kept in the repository (prices.json, embedded),
// each with its official source URL and how it was read; a price that could
// not be found is null in the table and the lines that need it are reported
// unpriced, never guessed. Tier → vCPU and memory comes from
// capacity.ParseTier, the one parser of Cloud SQL tiers. See docs/cost.md.
package cost

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"regexp"
	"sync"
)

//go:embed prices.json
var pricesJSON []byte

// Table is the price table: one region's list prices.
type Table struct {
	Region        string  `json:"region"`
	Currency      string  `json:"currency"`
	HoursPerMonth float64 `json:"hoursPerMonth"`
	// Read is the date (YYYY-MM-DD) the prices were read.
	Read  string `json:"read"`
	Label string `json:"label"`
	Items []Item `json:"items"`
}

// Item is one price (or factor) with its source.
type Item struct {
	Key string `json:"key"`
	// Value is nil when the price could not be found.
	Value  *float64 `json:"value"`
	Unit   string   `json:"unit"`
	Source string   `json:"source"`
	Via    string   `json:"via"`
}

// Keys of the table (the Cloud SQL ones are suffixed by edition or tier).
const (
	keySSD         = "cloudsql.ssdGBMonth"
	keyHA          = "cloudsql.haMultiplier"
	keyDefaultDisk = "cloudsql.defaultDiskGB"
	keyRunIdleVCPU = "run.idle.vcpuSecond"
	keyRunIdleGiB  = "run.idle.gibSecond"
	// Instance-based billing (CPU always allocated): the whole lifetime.
	keyRunInstanceVCPU = "run.instance.vcpuSecond"
	keyRunInstanceGiB  = "run.instance.gibSecond"
	keyRunVCPU         = "run.defaultVCPU"
	keyRunMemoryGiB    = "run.defaultMemoryGiB"
)

func keyVCPU(edition, series string) string {
	return "cloudsql." + edition + "." + series + ".vcpuHour"
}
func keyMemory(edition, series string) string {
	return "cloudsql." + edition + "." + series + ".memoryGBHour"
}
func keySharedCore(tier string) string {
	return "cloudsql." + tier + ".hour"
}
func keyConnector(machine string) string { return "connector." + machine + ".hour" }

// requiredKeys must be present (their value may still be null = not found).
var requiredKeys = []string{
	keyVCPU("ENTERPRISE", "custom"), keyMemory("ENTERPRISE", "custom"), keyVCPU("ENTERPRISE", "N4"), keyMemory("ENTERPRISE", "N4"),
	keyVCPU("ENTERPRISE_PLUS", "N2"), keyMemory("ENTERPRISE_PLUS", "N2"), keyVCPU("ENTERPRISE_PLUS", "C4A"), keyMemory("ENTERPRISE_PLUS", "C4A"),
	keySharedCore("db-f1-micro"), keySharedCore("db-g1-small"), keySSD, keyHA, keyDefaultDisk,
	keyConnector("e2-micro"), keyConnector("e2-standard-4"), keyConnector("f1-micro"),
	keyRunIdleVCPU, keyRunIdleGiB, keyRunVCPU, keyRunMemoryGiB,
	keyRunInstanceVCPU, keyRunInstanceGiB,
}

var (
	datePattern = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)
	urlPattern  = regexp.MustCompile(`^https://[a-z0-9.-]+\.google\.com/`)
)

// ParseTable decodes and checks a price table: known fields only, a date,
// a region, hours per month > 0, every required key once, each item with an
// official https source and a non-negative value or null.
func ParseTable(data []byte) (Table, error) {
	var t Table
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&t); err != nil {
		return Table{}, fmt.Errorf("price table: %w", err)
	}
	if dec.More() {
		return Table{}, fmt.Errorf("price table: trailing data after the object")
	}
	switch {
	case t.Region == "":
		return Table{}, fmt.Errorf("price table: region: want a region such as us-central1")
	case t.Currency == "":
		return Table{}, fmt.Errorf("price table: currency: want USD")
	case !(t.HoursPerMonth > 0 && t.HoursPerMonth <= 744):
		return Table{}, fmt.Errorf("price table: hoursPerMonth %v: want 0 < h ≤ 744", t.HoursPerMonth)
	case !datePattern.MatchString(t.Read):
		return Table{}, fmt.Errorf("price table: read %q: want YYYY-MM-DD", t.Read)
	case t.Label == "":
		return Table{}, fmt.Errorf("price table: label: want what the estimate is (list prices, region, no discounts)")
	}
	seen := map[string]bool{}
	for i, it := range t.Items {
		if it.Key == "" {
			return Table{}, fmt.Errorf("price table: items[%d].key: want a key", i)
		}
		if seen[it.Key] {
			return Table{}, fmt.Errorf("price table: items[%d].key %q: duplicate", i, it.Key)
		}
		seen[it.Key] = true
		if !urlPattern.MatchString(it.Source) {
			return Table{}, fmt.Errorf("price table: %s.source %q: want an official https://….google.com/ URL", it.Key, it.Source)
		}
		if it.Via == "" {
			return Table{}, fmt.Errorf("price table: %s.via: say how the price was read (or that it was not found)", it.Key)
		}
		if it.Value != nil && !(*it.Value >= 0) {
			return Table{}, fmt.Errorf("price table: %s.value %v: want ≥ 0 or null (not found)", it.Key, *it.Value)
		}
	}
	for _, k := range requiredKeys {
		if !seen[k] {
			return Table{}, fmt.Errorf("price table: missing item %q", k)
		}
	}
	return t, nil
}

// Lookup returns a price and whether it is known (present and not null).
func (t Table) Lookup(key string) (float64, bool) {
	for _, it := range t.Items {
		if it.Key == key {
			if it.Value == nil {
				return 0, false
			}
			return *it.Value, true
		}
	}
	return 0, false
}

var (
	defaultOnce  sync.Once
	defaultTable Table
	defaultErr   error
)

// Prices is the embedded price table (prices.json). It is checked by tests,
// so an error here is a build defect.
func Prices() (Table, error) {
	defaultOnce.Do(func() { defaultTable, defaultErr = ParseTable(pricesJSON) })
	return defaultTable, defaultErr
}
