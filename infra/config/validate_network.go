package config

import (
	"net/netip"

	"github.com/headroom-dev/headroom/infra/capacity"
)

type namedPrefix struct {
	p  path
	pf netip.Prefix
}

func (d *decoder) network(s *Stack) error {
	np := root("network")
	if err := d.required(np); err != nil {
		return err
	}
	n := &s.Network
	if p := np.field("name"); !d.has(p) {
		return d.required(p)
	} else if len(n.Name) > 63 || !rfc1035.MatchString(n.Name) {
		return bad(p, n.Name)
	}
	var prefixes []namedPrefix
	psa := np.field("privateServiceAccessRange")
	if err := d.required(psa); err != nil {
		return err
	}
	pf, err := parsePrefix(psa, n.PrivateServiceAccessRange)
	if err != nil {
		return err
	}
	if err := capacity.ValidatePSARange(pf.Bits()); err != nil {
		return ruleErr(np, err)
	}
	prefixes = append(prefixes, namedPrefix{psa, pf})

	rp := np.field("regions")
	if err := d.required(rp); err != nil {
		return err
	}
	if len(n.Regions) == 0 {
		return errf(rp, "must list at least one region")
	}
	for _, name := range s.SortedRegions() {
		p := rp.key(name)
		if !KnownRegion(name) {
			return errf(p, "unknown region %q; expected a Google Cloud region such as us-central1 (list in docs/config-reference.md)", clip(name))
		}
		r := n.Regions[name]
		sp := p.field("subnet")
		if err := d.required(sp); err != nil {
			return err
		}
		spf, err := parsePrefix(sp, r.Subnet)
		if err != nil {
			return err
		}
		prefixes = append(prefixes, namedPrefix{sp, spf})

		ep := p.field("egress")
		if err := d.required(ep); err != nil {
			return err
		}
		switch capacity.EgressKind(r.Egress) {
		case capacity.EgressConnector:
			if r.Direct != nil {
				return errf(p.field("direct"), "must be absent when egress is connector (use connector:)")
			}
			if r.Connector == nil {
				return errf(p.field("connector"), "required when egress is connector; expected %s", hints[p.field("connector").pattern])
			}
			cpf, err := d.connector(p.field("connector"), r.Connector)
			if err != nil {
				return err
			}
			prefixes = append(prefixes, namedPrefix{p.field("connector").field("ipCidrRange"), cpf})
		case capacity.EgressDirect:
			if r.Connector != nil {
				return errf(p.field("connector"), "must be absent when egress is direct (use direct:)")
			}
			if r.Direct == nil {
				return errf(p.field("direct"), "required when egress is direct; expected %s", hints[p.field("direct").pattern])
			}
			dp := p.field("direct").field("subnet")
			if err := d.required(dp); err != nil {
				return err
			}
			dpf, err := parsePrefix(dp, r.Direct.Subnet)
			if err != nil {
				return err
			}
			prefixes = append(prefixes, namedPrefix{dp, dpf})
		default:
			return bad(ep, r.Egress)
		}
		n.Regions[name] = r
	}
	// No two ranges may overlap: the connector range must be unused
	// (docs/gcp-limits.md#vpc-connector), subnets of one VPC cannot
	// overlap, and the PSA range is reserved for the service producer
	// (docs/gcp-limits.md#private-ip).
	for i := range prefixes {
		for j := 0; j < i; j++ {
			if prefixes[i].pf.Overlaps(prefixes[j].pf) {
				return errf(prefixes[i].p, "%s overlaps %s (%s)", prefixes[i].pf, prefixes[j].p.display, prefixes[j].pf)
			}
		}
	}
	return nil
}

func (d *decoder) connector(p path, c *Connector) (netip.Prefix, error) {
	np := p.field("name")
	if err := d.required(np); err != nil {
		return netip.Prefix{}, err
	}
	if err := capacity.ValidateConnectorName(c.Name); err != nil {
		return netip.Prefix{}, ruleErr(p, err)
	}
	ip := p.field("ipCidrRange")
	if err := d.required(ip); err != nil {
		return netip.Prefix{}, err
	}
	pf, err := parsePrefix(ip, c.IPCIDRRange)
	if err != nil {
		return netip.Prefix{}, err
	}
	if err := capacity.ValidateConnectorCIDR(c.IPCIDRRange); err != nil {
		return netip.Prefix{}, ruleErr(p, err)
	}
	if !d.has(p.field("machineType")) {
		c.MachineType = capacity.ConnectorDefaultMachineType
	}
	if !d.has(p.field("minInstances")) {
		c.MinInstances = capacity.ConnectorDefaultMinInstances
	}
	if !d.has(p.field("maxInstances")) {
		c.MaxInstances = capacity.ConnectorDefaultMaxInstances
	}
	if err := capacity.ValidateConnectorSizing(c.MachineType, c.MinInstances, c.MaxInstances); err != nil {
		return netip.Prefix{}, ruleErr(p, err)
	}
	return pf, nil
}
