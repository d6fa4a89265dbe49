package capacity

// This file holds the entry points of the model (the contract signatures);
// the analyses live in analyze.go and the simulator in simulate.go.

// Analyze runs every analysis, including the simulation with default
// options, and returns the report.
func Analyze(t Topology) Report { return analyze(t) }

// Simulate runs the deterministic cold-start storm simulation.
func Simulate(t Topology, opts SimOptions) SimResult { return simulate(t, opts) }
