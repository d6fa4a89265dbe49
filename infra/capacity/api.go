package capacity

// This file holds the entry points of the model (the contract signatures);
// the scenarios live in scenario.go, the checks in check_*.go (orchestrated
// by analyze.go) and the simulator in simulate.go.

// Analyze runs every analysis, including the simulation with default
// options, and returns the report.
func Analyze(t Topology) Report { return analyze(t) }

// Simulate runs the deterministic cold-start storm simulation.
func Simulate(t Topology, opts SimOptions) SimResult { return simulate(t, opts) }

// SimulateScenario runs the storm simulation of one scenario (an ID of
// Report.Scenarios); ok is false when the topology has no such scenario.
func SimulateScenario(t Topology, id string, opts SimOptions) (SimResult, bool) {
	m := newModel(t)
	sc, ok := m.scenarioByID(id)
	if !ok {
		return SimResult{}, false
	}
	return simulateScenario(m, sc, opts), true
}
