package capacity

// TEMPORARY STUBS: the capacity issue (#3) replaces these bodies with the
// real model. Signatures are the contract; keep them.

// DefaultAssumptions returns the documented default assumptions.
func DefaultAssumptions() Assumptions { return Assumptions{} }

// DefaultTargets returns the documented default targets (0.90 / 30 s / 0.80,
// the post-mortem's success criteria).
func DefaultTargets() Targets { return Targets{} }

// WithDefaults fills zero fields from DefaultAssumptions.
func (a Assumptions) WithDefaults() Assumptions { return a }

// WithDefaults fills zero fields from DefaultTargets.
func (t Targets) WithDefaults() Targets { return t }

// Analyze runs every analysis, including the simulation with default
// options, and returns the report.
func Analyze(t Topology) Report { return Report{} }

// Simulate runs the deterministic cold-start storm simulation.
func Simulate(t Topology, opts SimOptions) SimResult { return SimResult{} }

// Tier is a parsed Cloud SQL machine tier.
type Tier struct {
	Name       string
	VCPUs      int     // 0 for shared-core tiers
	MemoryGB   float64 // as the max_connections table reads it
	SharedCore bool
	// Edition the tier belongs to: "ENTERPRISE" or "ENTERPRISE_PLUS".
	Edition string
}

// ParseTier parses and validates a tier name (db-f1-micro, db-g1-small,
// db-custom-<vCPU>-<MB>, db-perf-optimized-N-<vCPU>); the error says what
// rule the name breaks.
func ParseTier(name string) (Tier, error) { return Tier{Name: name}, nil }

// CheckTierEdition reports whether tier may be used with edition ("" means
// ENTERPRISE); the error says why not.
func CheckTierEdition(tier, edition string) error { return nil }

// DefaultMaxConnections is Cloud SQL's memory-derived default
// max_connections for the tier.
func DefaultMaxConnections(t Tier) int { return 0 }

// ConnectorMachine is a Serverless VPC Access connector machine type.
type ConnectorMachine struct {
	Name string
	// Throughput range of a whole connector (docs), and the derived
	// per-instance figure (inference: range ÷ 2…10 instances).
	MinMbps, MaxMbps float64
	PerInstanceMbps  float64
}

// LookupConnectorMachine returns the machine type's figures, false if unknown.
func LookupConnectorMachine(name string) (ConnectorMachine, bool) { return ConnectorMachine{}, false }
