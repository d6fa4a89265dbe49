package capacity

// DatabaseDemand is what a topology's Cloud Run services hold on one
// database at full scale: every service at its max instances (Cloud Run's
// default of 100 when unset), each instance holding its pools.
type DatabaseDemand struct {
	Database string
	// Connections is Σ max instances × ConnectionsPerInstance.
	Connections int
	// StartupConnections is Σ max instances × StartupConnectionsPerInstance.
	StartupConnections int
	// Services are the workloads counted, sorted by name.
	Services []string
}

// FullScaleDemand is the demand of t's workloads per database they name,
// sorted by database: what another stack's preview counts as held by this
// stack (its own rollout is its own preview's business). It is the same
// per-instance arithmetic the connection budget uses.
func FullScaleDemand(t Topology) []DatabaseDemand {
	m := newModel(t)
	by := map[string]*DatabaseDemand{}
	for _, i := range m.byName {
		w := &m.workloads[i]
		if w.Database == "" {
			continue
		}
		d := by[w.Database]
		if d == nil {
			d = &DatabaseDemand{Database: w.Database}
			by[w.Database] = d
		}
		d.Connections += w.maxInst * w.perInst
		d.StartupConnections += w.maxInst * w.startup
		d.Services = append(d.Services, w.Name)
	}
	out := make([]DatabaseDemand, 0, len(by))
	for _, k := range sortedKeys(by) {
		out = append(out, *by[k])
	}
	return out
}
