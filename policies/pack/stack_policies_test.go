package pack_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/headroom-dev/headroom/policies/pack"
	pt "github.com/headroom-dev/headroom/policies/policytest"
)

// TestCIDROverlapRanges pins which ranges cidr-overlap compares: secondary
// ranges of a subnet, a connector's own /28 (not one that uses a subnet),
// the private services range only when its address and prefix length are
// both known, and ranges of one network (a range whose network is unknown
// is compared with every other).
func TestCIDROverlapRanges(t *testing.T) {
	const (
		subnet    = "staging-vpc-us-central1" // 10.10.0.0/20
		connector = "staging-connector"       // 10.8.0.0/28
		psa       = "staging-vpc-psa"         // 10.100.0.0/16
	)
	cases := []struct {
		name string
		edit func(s *pt.Stack)
		// want: the exact mandatory messages; advisory: a substring of the
		// single advisory message ("" = none).
		want     []string
		advisory string
	}{
		{name: "fixture is disjoint", edit: func(*pt.Stack) {}},
		{name: "secondary range overlaps the connector",
			edit: func(s *pt.Stack) {
				s.Props[subnet]["secondaryIpRanges"] = []any{
					map[string]any{"rangeName": "pods", "ipCidrRange": "10.8.0.0/24"},
					map[string]any{"rangeName": "services", "ipCidrRange": "10.9.0.0/24"},
				}
			},
			want: []string{"secondary range " + subnet + "/pods (10.8.0.0/24) overlaps connector " + connector +
				" (10.8.0.0/28); move one of them to an unused range"}},
		{name: "connector on a subnet has no range of its own",
			edit: func(s *pt.Stack) {
				s.Props[connector]["ipCidrRange"] = ""
				pt.Set(s.Props[connector], "subnet.name", "conn-subnet")
			}},
		{name: "connector range not a CIDR",
			edit: func(s *pt.Stack) { s.Props[connector]["ipCidrRange"] = "10.8.0.0" },
			want: []string{`connector ` + connector + `: "10.8.0.0" is not a CIDR range`}},
		{name: "private services range without a prefix length is skipped",
			edit: func(s *pt.Stack) { delete(s.Props[psa], "prefixLength") }},
		{name: "private services range with an unknown prefix length",
			edit:     func(s *pt.Stack) { s.Props[psa]["prefixLength"] = pt.Computed },
			advisory: "address/prefixLength"},
		{name: "private services range overlapping the subnet",
			edit: func(s *pt.Stack) { s.Props[psa]["address"] = "10.10.0.0"; s.Props[psa]["prefixLength"] = 24 },
			want: []string{"subnet " + subnet + " (10.10.0.0/20) overlaps private services range " + psa +
				" (10.10.0.0/24); move one of them to an unused range"}},
		{name: "overlap in another network is allowed",
			edit: func(s *pt.Stack) {
				s.Props[connector]["ipCidrRange"] = "10.10.0.16/28"
				s.Props[connector]["network"] = "other-vpc"
			}},
		{name: "subnet of an unknown network is compared",
			edit: func(s *pt.Stack) {
				s.Props[connector]["ipCidrRange"] = "10.10.0.16/28"
				delete(s.Props[subnet], "network")
			},
			want: []string{"subnet " + subnet + " (10.10.0.0/20) overlaps connector " + connector +
				" (10.10.0.16/28); move one of them to an unused range"}},
		{name: "connector of an unknown network is compared",
			edit: func(s *pt.Stack) {
				s.Props[connector]["ipCidrRange"] = "10.10.0.16/28"
				delete(s.Props[connector], "network")
			},
			want: []string{"subnet " + subnet + " (10.10.0.0/20) overlaps connector " + connector +
				" (10.10.0.16/28); move one of them to an unused range"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := pt.Staging()
			c.edit(s)
			m := runStack(t, stagingCfg(), pack.PolicyCIDROverlap, s)
			assert.Equal(t, c.want, levels(m, pack.LevelMandatory))
			advisory := levels(m, pack.LevelAdvisory)
			if c.advisory == "" {
				assert.Empty(t, advisory)
				return
			}
			if assert.Len(t, advisory, 1) {
				assert.Contains(t, advisory[0], c.advisory)
			}
		})
	}
}
