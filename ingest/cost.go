package ingest

import (
	"strconv"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/property"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/policyx"

	"github.com/headroom-dev/headroom/contract"
	"github.com/headroom-dev/headroom/infra/config"
)

// Type tokens the price estimate reads (pulumi-gcp v7 through v10 keep
// them).
const (
	typeSQLInstance = contract.TypeSQLInstance
	typeConnector   = contract.TypeConnector
	typeRunService  = contract.TypeRunService
)

// PricedStack is the part of a stack the price table prices (infra/cost
// takes a config.Stack), read from the resources instead of a stack file:
// the first primary Cloud SQL instance is the database and every other
// instance a replica (priced at its own tier, region and availability, with
// the first instance's edition), each connector its region's egress, each
// Cloud Run service with minimum instances a workload in its region. What a
// resource does not say (unknown until apply, or unset) takes the price
// table's defaults, as it does for a stack file.
func PricedStack(resources []policyx.AnalyzerResource) config.Stack {
	st := config.Stack{Network: config.Network{Regions: map[string]config.Region{}}}
	first := true
	for i := range resources {
		r := &resources[i]
		p := r.Properties
		switch r.Type {
		case typeSQLInstance:
			name := nameOf(r)
			tier := str(p, "settings", "tier")
			region := str(p, "region")
			avail := str(p, "settings", "availabilityType")
			if first && str(p, "masterInstanceName") == "" {
				first = false
				st.Database.Name, st.Database.Tier, st.Database.Region = name, tier, region
				st.Database.Availability = avail
				st.Database.Edition = str(p, "settings", "edition")
				st.Database.Version = str(p, "databaseVersion")
				st.Database.DiskSizeGb = int(num(p, "settings", "diskSize"))
				continue
			}
			st.Database.Replicas = append(st.Database.Replicas, config.Replica{
				Name: name, Region: region, Tier: tier, Availability: avail,
			})
		case typeConnector:
			region := str(p, "region")
			st.Network.Regions[region] = config.Region{Egress: "connector", Connector: &config.Connector{
				Name: nameOf(r), MachineType: str(p, "machineType"),
				MinInstances: int(num(p, "minInstances")), MaxInstances: int(num(p, "maxInstances")),
			}}
		case typeRunService:
			minI := num(p, "template", "scaling", "minInstanceCount")
			if minI == 0 {
				minI = num(p, "scaling", "minInstanceCount") // pulumi-gcp v9+: service-level scaling
			}
			if minI <= 0 {
				continue
			}
			w := config.Workload{Name: nameOf(r), Regions: []string{str(p, "location")}, MinInstances: int(minI)}
			if cs := At(p, "template", "containers"); cs.IsArray() && cs.AsArray().Len() > 0 {
				c := cs.AsArray().Get(0)
				if c.IsMap() {
					w.CPU = str(c.AsMap(), "resources", "limits", "cpu")
					w.Memory = str(c.AsMap(), "resources", "limits", "memory")
				}
			}
			st.Workloads = append(st.Workloads, w)
		}
	}
	return st
}

func nameOf(r *policyx.AnalyzerResource) string {
	if s := str(r.Properties, "name"); s != "" {
		return s
	}
	return r.Name
}

// At walks map keys; a missing key, or a step into something that is not a
// map, is the null value (a computed or redacted value is not a map).
// suggest reads the resources it edits with it too.
func At(m property.Map, path ...string) property.Value {
	cur := property.New(m)
	for _, k := range path {
		if !cur.IsMap() {
			return property.New(property.Null)
		}
		v, ok := cur.AsMap().GetOk(k)
		if !ok {
			return property.New(property.Null)
		}
		cur = v
	}
	return cur
}

func str(m property.Map, path ...string) string {
	v := At(m, path...)
	if v.IsString() && v.AsString() != RedactedSecret {
		return v.AsString()
	}
	return ""
}

func num(m property.Map, path ...string) float64 {
	v := At(m, path...)
	switch {
	case v.IsNumber():
		return v.AsNumber()
	case v.IsString():
		// Some providers' state keeps numbers as strings.
		if f, err := strconv.ParseFloat(strings.TrimSpace(v.AsString()), 64); err == nil {
			return f
		}
	}
	return 0
}
