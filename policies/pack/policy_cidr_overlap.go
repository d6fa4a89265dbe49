package pack

import (
	"fmt"
	"net/netip"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/policyx"
)

// PolicyCIDROverlap refuses overlapping ranges in one VPC network.
const PolicyCIDROverlap = "cidr-overlap"

var cidrOverlapPolicy = policy{
	info: PolicyInfo{
		Name: PolicyCIDROverlap, Kind: KindStack, Level: LevelMandatory,
		Description: "Subnet, connector and private-services-access ranges of one VPC network do not overlap.",
	},
	meta: Metadata{
		Severity: SeverityHigh, Tags: []string{"config"},
		Remediation: "Pick non-overlapping ranges for network.regions.<region>.subnet, connector.ipCidrRange, " +
			"direct.subnet and network.privateServiceAccessRange.",
	},
	stack: checkCIDROverlap,
}

type cidrEntry struct {
	label   string
	prefix  netip.Prefix
	network string
	urn     string
}

func checkCIDROverlap(ev *evaluation, _ Config, f *findings) {
	g := ev.ex.g
	var entries []cidrEntry
	add := func(kind, name, cidr, network string, r *policyx.AnalyzerResource, path string, st status) {
		switch st {
		case stUnknown:
			f.unknown(r, path)
			return
		case stOK:
		default:
			return
		}
		pfx, err := netip.ParsePrefix(cidr)
		if err != nil {
			f.out = append(f.out, finding{msg: fmt.Sprintf("%s %s: %q is not a CIDR range", kind, name, cidr), urn: r.URN})
			return
		}
		entries = append(entries, cidrEntry{label: fmt.Sprintf("%s %s (%s)", kind, name, pfx), prefix: pfx.Masked(), network: network, urn: r.URN})
	}
	for _, s := range g.subnets {
		cidr, st := get(s.res.Properties, "ipCidrRange").str()
		add("subnet", s.name, cidr, s.network, s.res, "ipCidrRange", st)
		if sec, sst := get(s.res.Properties, "secondaryIpRanges").array(); sst == stOK {
			for _, rng := range sec {
				if rng.IsMap() {
					c, cst := get(rng.AsMap(), "ipCidrRange").str()
					n, _ := get(rng.AsMap(), "rangeName").str()
					add("secondary range", s.name+"/"+n, c, s.network, s.res, "secondaryIpRanges[].ipCidrRange", cst)
				}
			}
		}
	}
	for _, c := range g.connectors {
		cidr, st := get(c.res.Properties, "ipCidrRange").str()
		if st == stMissing || (st == stOK && cidr == "") {
			continue // uses a subnet, which is checked as a subnet
		}
		add("connector", c.egress.Name, cidr, c.network, c.res, "ipCidrRange", st)
	}
	for _, p := range g.psa {
		a, st1 := get(p.res.Properties, "address").str()
		l, st2 := get(p.res.Properties, "prefixLength").integer()
		st := st1
		if st2 != stOK {
			st = st2
		}
		add("private services range", resourceName(p.res), fmt.Sprintf("%s/%d", a, l), p.network, p.res, "address/prefixLength", st)
	}
	for i := range entries {
		for j := i + 1; j < len(entries); j++ {
			a, b := entries[i], entries[j]
			if a.network != "" && b.network != "" && a.network != b.network {
				continue
			}
			if a.prefix.Overlaps(b.prefix) {
				f.out = append(f.out, finding{
					msg: fmt.Sprintf("%s overlaps %s; move one of them to an unused range", a.label, b.label),
					urn: b.urn,
				})
			}
		}
	}
}
