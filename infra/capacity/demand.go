package capacity

// Pool is one connection pool an application process opens.
type Pool struct {
	Name               string
	PoolSize           int // connections kept open
	MaxOverflow        int // connections beyond PoolSize under load
	StartupConnections int // connections opened before the instance is ready
}

// processes is the number of worker processes per instance (at least 1).
func (w Workload) processes() int { return max(w.Processes, 1) }

// pools lists the main pool and the extra pools of one process.
func (w Workload) pools() []Pool {
	main := Pool{Name: "main", PoolSize: w.PoolSize, MaxOverflow: w.MaxOverflow, StartupConnections: w.StartupConnections}
	return append([]Pool{main}, w.ExtraPools...)
}

// ConnectionsPerInstance is what one instance may hold at once: every
// process's pools at their size plus overflow. Negative sizes count as 0.
func (w Workload) ConnectionsPerInstance() int {
	n := 0
	for _, p := range w.pools() {
		n += max(p.PoolSize, 0) + max(p.MaxOverflow, 0)
	}
	return w.processes() * n
}

// StartupConnectionsPerInstance is what one instance opens before it is
// ready: every process opens the startup connections of each of its pools.
func (w Workload) StartupConnectionsPerInstance() int {
	n := 0
	for _, p := range w.pools() {
		n += max(p.StartupConnections, 0)
	}
	return w.processes() * n
}

// ConsumerConnections is the total held by the database's non-Cloud-Run
// consumers. Negative counts count as 0.
func (d Database) ConsumerConnections() int {
	n := 0
	for _, c := range d.Consumers {
		n += max(c.Connections, 0)
	}
	return n
}
