package pack

import (
	"net/netip"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/policyx"
)

// PolicySQLPrivateIPOnly refuses a Cloud SQL instance reachable from the internet.
const PolicySQLPrivateIPOnly = "sql-private-ip-only"

var sqlPrivateIPOnlyPolicy = policy{
	info: PolicyInfo{
		Name: PolicySQLPrivateIPOnly, Kind: KindResource, Level: LevelMandatory, Types: []string{TypeSQLInstance},
		Description: "A Cloud SQL instance has no public IPv4 address, a private network, and no 0.0.0.0/0 " +
			"authorized network.",
	},
	meta: Metadata{
		Severity: SeverityCritical, Tags: []string{"security"},
		Remediation: "Disable the public IPv4 address (ipv4Enabled false), attach the private network and remove " +
			"0.0.0.0/0 from the authorized networks; Headroom's database component does this.",
	},
	resource: checkSQLPrivateIP,
}

func checkSQLPrivateIP(r *policyx.AnalyzerResource, _ Config, f *findings) {
	p := r.Properties
	name := resourceName(r)
	switch v, st := get(p, "settings.ipConfiguration.ipv4Enabled").boolean(); st {
	case stOK:
		if v {
			f.fail("instance %s: set settings.ipConfiguration.ipv4Enabled to false (no public IPv4)", name)
		}
	case stMissing:
		f.fail("instance %s: set settings.ipConfiguration.ipv4Enabled to false (GCP enables public IPv4 by default)", name)
	case stUnknown:
		f.unknown(r, "settings.ipConfiguration.ipv4Enabled")
	case stInvalid:
		f.fail("instance %s: settings.ipConfiguration.ipv4Enabled is not a boolean", name)
	}
	switch s, st := get(p, "settings.ipConfiguration.privateNetwork").str(); st {
	case stOK:
		if s == "" {
			f.fail("instance %s: set settings.ipConfiguration.privateNetwork to the VPC network", name)
		}
	case stMissing:
		f.fail("instance %s: set settings.ipConfiguration.privateNetwork to the VPC network (private IP)", name)
	case stUnknown:
		f.unknown(r, "settings.ipConfiguration.privateNetwork")
	case stInvalid:
		f.fail("instance %s: settings.ipConfiguration.privateNetwork is not a string", name)
	}
	nets, st := get(p, "settings.ipConfiguration.authorizedNetworks").array()
	if st == stUnknown {
		f.unknown(r, "settings.ipConfiguration.authorizedNetworks")
	}
	for _, n := range nets {
		if n.IsComputed() {
			f.unknown(r, "settings.ipConfiguration.authorizedNetworks[]")
			continue
		}
		if !n.IsMap() {
			continue
		}
		switch v, st := get(n.AsMap(), "value").str(); st {
		case stOK:
			if pfx, err := netip.ParsePrefix(v); (err == nil && pfx.Bits() == 0) || v == "0.0.0.0" {
				f.fail("instance %s: remove authorized network %s (open to the world)", name, v)
			}
		case stUnknown:
			f.unknown(r, "settings.ipConfiguration.authorizedNetworks[].value")
		}
	}
}
