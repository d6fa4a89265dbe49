package capacity

import (
	"container/heap"
	"fmt"
	"math"
	"sort"
)

// The cold-start storm simulator. It is a deterministic discrete-event
// simulation: one goroutine, simulated time only, events ordered by time
// and then by the order they were scheduled, and jitter drawn from a hash
// of (seed, workload, instance, connection, retry) rather than from a shared
// stream, so a change to one workload does not reshuffle the others' draws.
//
// The model (docs/capacity-model.md has the long form):
//   - every workload starts all of its instances (max instances) within
//     RampSeconds (0 = all at once);
//   - each instance first spends its Admin API connect calls when it uses
//     the built-in connection or a connector (2 per database, 1,000 per
//     minute per region, docs/gcp-limits.md#admin-api-quota);
//   - then it needs VPC egress: behind a Serverless VPC Access connector it
//     waits (FIFO) until the connector carries its egress Mbps; while
//     instances wait the connector adds one instance every
//     ConnectorScaleOutSeconds up to its maximum and never scales in
//     (docs/gcp-limits.md#vpc-connector). Direct VPC egress adds DirectEgressStartupSeconds;
//   - then it opens StartupConnections in parallel; they reach the server
//     interleaved with those of every instance connecting at the same
//     moment (all first connections, then all second ones). Each database
//     serves attempts FIFO at AcceptRatePerSecond; an attempt finds a free
//     usable slot (max_connections − reserved) and is established
//     HandshakeSeconds later, or is refused ("too many clients") and
//     retried after exponential backoff with jitter. On an instance with
//     Managed Connection Pooling a slot is a server connection the poolers
//     open: each service holds min(its clients, poolers × max_pool_size),
//     clients beyond poolers × max_client_connections are refused, and a
//     client waiting at the pooler for a server connection is modelled as
//     refused and retried (docs/capacity-model.md "Managed Connection
//     Pooling");
//   - an instance is ready when all its startup connections are
//     established, and keeps them; it fails when min(connect timeout,
//     startup probe window) passes first, or as soon as a refused
//     connection's next retry would start after that deadline (the app
//     gives up), and then releases its slots and its connector share
//     (Cloud Run shuts it down). Pools left half-connected when the slots
//     run out therefore wait for each other's give-ups: the partial-pool
//     deadlock a real server shows (docs/model-validation.md), in which
//     success is not monotone in slots, instances or timeout
//     (docs/capacity-model.md "Known limits").

type evKind uint8

const (
	evStart evKind = iota
	evAttempt
	evServe
	evEstablished
	evRefused
	evDeadline
	evScaleOut
)

type event struct {
	t    float64
	seq  uint64
	kind evKind
	inst int32 // instance index, or egress index for evScaleOut
	conn int32 // startup connection index; −1 = instance without connections
	k    int32 // retry number of the attempt
}

// eventQueue is a min-heap of events by (time, scheduling order).
type eventQueue []event

// Len, Less, Swap, Push and Pop implement heap.Interface.
func (q eventQueue) Len() int { return len(q) }
func (q eventQueue) Less(i, j int) bool {
	if q[i].t != q[j].t {
		return q[i].t < q[j].t
	}
	return q[i].seq < q[j].seq
}
func (q eventQueue) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *eventQueue) Push(x any)   { *q = append(*q, x.(event)) }
func (q *eventQueue) Pop() any {
	old := *q
	e := old[len(old)-1]
	*q = old[:len(old)-1]
	return e
}

type instState uint8

const (
	stPending instState = iota
	stAdmin
	stEgress
	stConnecting
	stReady
	stFailed
)

type simInst struct {
	wl         int32
	db         int32 // database index in the scenario (noDatabase, unknownDatabase)
	idx        int32 // index within its workload
	need       int32
	est        int32
	held       int32
	state      instState
	refused    bool
	egressHeld bool
	start      float64
	deadline   float64
	egressAt   float64 // when it joined the connector queue
	readyAt    float64
	connectAt  float64 // when its startup connections are first sent
}

type simConnector struct {
	egress     int
	instances  int
	startInst  int
	maxI       int
	per        float64
	carriedMb  float64
	scaling    bool
	queue      []int32
	head       int
	scaleOuts  int
	delayed    int
	maxWaitSec float64
}

type simDB struct {
	usable, slots, peak, attempts, refused int
	nextFree                               float64
	svc                                    float64 // seconds per accepted attempt = 1 ÷ accept rate
	// pool is the instance's Managed Connection Pooling; when pooled,
	// slots counts server connections and clients the poolers' clients.
	pool    poolInfo
	clients int
}

type adminWindow struct{ window, calls int }

type sim struct {
	m        *model
	sc       *scenario
	q        eventQueue
	seq      uint64
	now      float64
	insts    []simInst
	dbs      []simDB
	conns    []*simConnector // by egress index; nil when not a connector
	admin    map[string]*adminWindow
	slots    int
	peak     int
	ready    int
	failed   int
	attempts int
	refused  int
	ttr      []float64
	lat      []float64
	fails    FailureCauses
	// pairClients[i] is the client connections workload i (one
	// database/user pair) holds on a pooled instance.
	pairClients []int
}

// push and pop go through container/heap's Fix rather than Push/Pop so
// that events are never boxed in an interface (no allocation per event).
func (s *sim) push(e event) {
	e.seq = s.seq
	s.seq++
	s.q = append(s.q, e)
	heap.Fix(&s.q, len(s.q)-1)
}

func (s *sim) pop() event {
	e := s.q[0]
	n := len(s.q) - 1
	s.q[0] = s.q[n]
	s.q = s.q[:n]
	if n > 0 {
		heap.Fix(&s.q, 0)
	}
	return e
}

// arrivalSpacing separates an instance's concurrent connection attempts at
// the server: small enough not to show in any latency, large enough to order
// them after every other instance's earlier connections.
const arrivalSpacing = 1e-6

// MaxSimulatedInstances bounds one simulation's memory (about 200 bytes per
// instance plus its events); Cloud Run's regional quotas are far lower
// (docs/gcp-limits.md#cloud-run).
const MaxSimulatedInstances = 1_000_000

// MaxSimulatedConnections bounds the startup connections of one simulation
// (Σ instances × startup connections) for the same reason.
const MaxSimulatedConnections = 10_000_000

// DefaultSeriesStepSeconds is the default resolution of SimResult.Series.
const DefaultSeriesStepSeconds = 1

// maxSeriesPoints bounds Series; a finer step is coarsened to fit.
const maxSeriesPoints = 10000

func simulate(t Topology, opts SimOptions) SimResult {
	m := newModel(t)
	return simulateScenario(m, m.coldStart(), opts)
}

// simulateScenario runs the storm of scenario sc: its storm instances
// start (or reconnect) at once while its held instances and consumers
// already occupy their slots.
func simulateScenario(m *model, sc *scenario, opts SimOptions) SimResult {
	a := m.assume
	s := &sim{m: m, sc: sc, admin: map[string]*adminWindow{}}
	s.dbs = make([]simDB, len(m.dbs))
	for i, d := range m.dbs {
		s.dbs[i].usable = d.usable
		s.dbs[i].svc = 1 / d.acceptRate
		s.dbs[i].pool = d.pool
		if sc.dbRoute[i] == i {
			held := m.heldConnections(sc, i)
			s.dbs[i].slots, s.dbs[i].peak = held, held
			s.slots += held
		}
	}
	s.pairClients = make([]int, len(m.workloads))
	for i, w := range m.workloads {
		if d := sc.target[i]; d >= 0 && m.dbs[d].pool.pooled {
			s.pairClients[i] = sc.held[i] * w.perInst
			s.dbs[d].clients += s.pairClients[i]
		}
	}
	s.peak = s.slots
	s.conns = make([]*simConnector, len(m.egress))
	for i, e := range m.egress {
		if e.Kind == EgressConnector && e.machineOK && sc.fresh {
			start := sc.connStart[i]
			s.conns[i] = &simConnector{egress: i, instances: start, startInst: start, maxI: e.maxI, per: e.machine.PerInstanceMbps}
		}
	}

	// Instances, interleaved round-robin across workloads so that with
	// RampSeconds = 0 no workload is systematically served first.
	total, most, conns := 0, 0, 0
	for i := range m.workloads {
		n := min(sc.storm[i], MaxSimulatedInstances+1) // saturate: no overflow
		total += n
		most = max(most, n)
		conns += n * min(m.workloads[i].startup, MaxSimulatedConnections+1)
		conns = min(conns, MaxSimulatedConnections+1)
	}
	if total == 0 {
		return SimResult{Seed: a.Seed}
	}
	if total > MaxSimulatedInstances || conns > MaxSimulatedConnections {
		return SimResult{Seed: a.Seed, Instances: total,
			Skipped: fmt.Sprintf("%d instances with %d startup connections exceed the simulator's limits of %d and %d; set maxInstances and startupConnections explicitly",
				total, conns, MaxSimulatedInstances, MaxSimulatedConnections)}
	}
	s.insts = make([]simInst, 0, total)
	s.q = make(eventQueue, 0, 2*total+16)
	maxDeadline := 0.0
	for idx := 0; idx < most; idx++ {
		for wi := range m.workloads {
			if idx >= sc.storm[wi] {
				continue
			}
			w := &m.workloads[wi]
			start := 0.0
			if a.RampSeconds > 0 {
				start = unit(a.Seed, uint64(wi), uint64(idx), math.MaxUint32, 0) * a.RampSeconds
			}
			need := 0
			db := sc.target[wi]
			if db != noDatabase {
				need = w.startup
			}
			in := simInst{wl: int32(wi), db: int32(db), idx: int32(idx), need: int32(need), start: start, deadline: start + w.budget}
			maxDeadline = math.Max(maxDeadline, in.deadline)
			id := int32(len(s.insts))
			s.insts = append(s.insts, in)
			s.push(event{t: start, kind: evStart, inst: id})
			s.push(event{t: in.deadline, kind: evDeadline, inst: id})
		}
	}

	horizon := opts.HorizonSeconds
	if !(horizon > 0) || math.IsInf(horizon, 0) {
		horizon = math.Ceil(maxDeadline + a.HandshakeSeconds + 1)
	}
	step := opts.TimeStepSeconds
	if !(step > 0) || math.IsInf(step, 0) {
		step = DefaultSeriesStepSeconds
	}
	if horizon/step > maxSeriesPoints {
		step = horizon / maxSeriesPoints
	}
	var series []SeriesPoint
	nextSample := 0
	sample := func(upTo float64, inclusive bool) {
		for {
			ts := float64(nextSample) * step
			if ts > horizon || ts > upTo || (!inclusive && ts == upTo) {
				return
			}
			series = append(series, SeriesPoint{Seconds: ts, Ready: s.ready, Failed: s.failed, SlotsInUse: s.slots})
			nextSample++
		}
	}

	for s.q.Len() > 0 {
		e := s.pop()
		if e.t > horizon {
			break
		}
		sample(e.t, false)
		s.now = e.t
		s.handle(e)
	}
	sample(horizon, true)

	// Instances still unresolved at the horizon count as failed.
	for i := range s.insts {
		if st := s.insts[i].state; st != stReady && st != stFailed {
			s.insts[i].state = stFailed
			s.failed++
			s.fails.Horizon++
		}
	}
	return s.result(horizon, series)
}

func (s *sim) handle(e event) {
	switch e.kind {
	case evStart:
		s.start(e.inst)
	case evAttempt:
		s.attempt(e)
	case evServe:
		s.serve(e)
	case evEstablished:
		s.established(e)
	case evRefused:
		s.retry(e)
	case evDeadline:
		s.deadline(e.inst)
	case evScaleOut:
		s.scaleOut(int(e.inst))
	}
}

// start spends the Admin API connect calls, then asks for egress.
func (s *sim) start(id int32) {
	in := &s.insts[id]
	if in.state == stFailed {
		return
	}
	w := &s.m.workloads[in.wl]
	if (w.Method == MethodBuiltin || w.Method == MethodConnector) && in.db != noDatabase {
		// Quota refills per 60-second interval (docs/gcp-limits.md#admin-api-quota).
		win := int(s.now / AdminAPIQuotaIntervalSeconds)
		aw := s.admin[w.Region]
		if aw == nil {
			aw = &adminWindow{window: win}
			s.admin[w.Region] = aw
		}
		if aw.window != win {
			aw.window, aw.calls = win, 0
		}
		if aw.calls+AdminAPICallsPerInstancePerDatabase > AdminAPIConnectQuotaPerMinute {
			in.state = stAdmin
			s.push(event{t: float64(win+1) * AdminAPIQuotaIntervalSeconds, kind: evStart, inst: id})
			return
		}
		aw.calls += AdminAPICallsPerInstancePerDatabase
	}
	if w.egress >= 0 && s.sc.fresh {
		if c := s.conns[w.egress]; c != nil && w.EgressMbpsPerInstance > 0 {
			in.state, in.egressAt = stEgress, s.now
			c.queue = append(c.queue, id)
			s.admit(c)
			if in.state == stEgress && !c.scaling && c.instances < c.maxI {
				c.scaling = true
				s.push(event{t: s.now + s.m.assume.ConnectorScaleOutSeconds, kind: evScaleOut, inst: int32(c.egress)})
			}
			return
		}
		if s.m.egress[w.egress].Kind == EgressDirect {
			s.connect(id, s.now+s.m.assume.DirectEgressStartupSeconds)
			return
		}
	}
	s.connect(id, s.now)
}

// admit lets waiting instances through the connector, first come first
// served, while their egress fits its current capacity.
func (s *sim) admit(c *simConnector) {
	capacity := float64(c.instances) * c.per
	for c.head < len(c.queue) {
		id := c.queue[c.head]
		in := &s.insts[id]
		if in.state != stEgress { // failed while waiting
			c.head++
			continue
		}
		mbps := s.m.workloads[in.wl].EgressMbpsPerInstance
		if c.carriedMb+mbps > capacity+eps {
			return
		}
		c.head++
		c.carriedMb += mbps
		in.egressHeld = true
		if wait := s.now - in.egressAt; wait > 0 {
			c.delayed++
			c.maxWaitSec = math.Max(c.maxWaitSec, wait)
		}
		s.connect(id, s.now)
	}
}

// scaleOut completes one connector scale-out and schedules the next one
// while instances still wait (connectors never scale in, docs/gcp-limits.md#vpc-connector).
func (s *sim) scaleOut(ei int) {
	c := s.conns[ei]
	c.scaling = false
	c.instances++
	c.scaleOuts++
	s.admit(c)
	if c.head < len(c.queue) && c.instances < c.maxI {
		c.scaling = true
		s.push(event{t: s.now + s.m.assume.ConnectorScaleOutSeconds, kind: evScaleOut, inst: int32(ei)})
	}
}

// connect schedules the instance's startup connections at time t.
func (s *sim) connect(id int32, t float64) {
	in := &s.insts[id]
	in.state, in.connectAt = stConnecting, t
	w := &s.m.workloads[in.wl]
	if in.db == unknownDatabase || (w.Method == MethodBuiltin && w.startup > BuiltinConnectionsPerInstance) {
		return // can never be ready; fails at its deadline
	}
	if in.need == 0 {
		s.push(event{t: t, kind: evEstablished, inst: id, conn: -1})
		return
	}
	for c := int32(0); c < in.need; c++ {
		// A pool opens its startup connections concurrently, so at the
		// server they arrive interleaved with every other starting
		// instance's: all first connections, then all second ones. Offsetting
		// connection c by c × arrivalSpacing gives that order (validated
		// against a real PostgreSQL, docs/model-validation.md); without it
		// one instance's connections would be served back to back.
		e := event{t: t + float64(c)*arrivalSpacing, kind: evAttempt, inst: id, conn: c}
		if e.t <= s.now {
			s.attempt(e) // due now: skip a round trip through the queue
		} else {
			s.push(e)
		}
	}
}

// attempt queues one connection attempt at the database's accept loop.
func (s *sim) attempt(e event) {
	in := &s.insts[e.inst]
	if in.state != stConnecting {
		return
	}
	d := &s.dbs[in.db]
	d.attempts++
	s.attempts++
	at := math.Max(s.now, d.nextFree)
	d.nextFree = at + d.svc
	e.t, e.kind = at, evServe
	s.push(e)
}

// serve is the database deciding an attempt: a free usable slot or
// "sorry, too many clients already". On a pooled instance the poolers
// decide: a client beyond poolers × max_client_connections is refused; a
// client whose service already holds poolers × max_pool_size server
// connections shares them; otherwise the poolers need a free server slot,
// and without one the client waits at the pooler, modelled as a refusal
// retried with the app's backoff (never sooner than the real wait, so
// never optimistic).
func (s *sim) serve(e event) {
	in := &s.insts[e.inst]
	if in.state != stConnecting {
		return
	}
	d := &s.dbs[in.db]
	e.t = s.now + s.m.assume.HandshakeSeconds
	ok, server := d.slots < d.usable, 1
	if d.pool.pooled {
		pair := s.pairClients[in.wl]
		server = d.pool.server(pair+1) - d.pool.server(pair)
		ok = (d.pool.clientCap == 0 || d.clients < d.pool.clientCap) && (server == 0 || d.slots < d.usable)
	}
	if ok {
		if d.pool.pooled {
			s.pairClients[in.wl]++
			d.clients++
		}
		d.slots += server
		d.peak = max(d.peak, d.slots)
		s.slots += server
		s.peak = max(s.peak, s.slots)
		in.held++
		e.kind = evEstablished
	} else {
		d.refused++
		s.refused++
		in.refused = true
		e.kind = evRefused
	}
	s.push(e)
}

func (s *sim) established(e event) {
	in := &s.insts[e.inst]
	if in.state != stConnecting {
		return
	}
	if e.conn >= 0 {
		in.est++
		s.lat = append(s.lat, s.now-in.start)
	}
	if in.est >= in.need {
		in.state = stReady
		in.readyAt = s.now
		s.ready++
		s.ttr = append(s.ttr, s.now-in.start)
	}
}

// retry backs off after a refusal: initial × multiplier^k capped at max,
// with "equal jitter" (half fixed, half random) so retries spread out.
func (s *sim) retry(e event) {
	in := &s.insts[e.inst]
	if in.state != stConnecting {
		return
	}
	a := &s.m.assume
	base := RetryDelay(a.RetryInitialSeconds, a.RetryMultiplier, a.RetryMaxSeconds, int(e.k))
	u := unit(a.Seed, uint64(in.wl), uint64(in.idx), uint64(e.conn), uint64(e.k)+1)
	next := s.now + EqualJitter(base, u)
	if next >= in.deadline {
		// The app will not get another try inside its timeout, so it gives
		// up now and exits, and the slots it holds free up now rather than
		// at the deadline (what the probe measures on a real server).
		s.deadline(e.inst)
		return
	}
	e.t, e.kind, e.k = next, evAttempt, e.k+1
	s.push(e)
}

// deadline fails an instance that is not ready: Cloud Run (probe) or the
// app (connect timeout) gives up, and its slots and egress share free up.
func (s *sim) deadline(id int32) {
	in := &s.insts[id]
	if in.state == stReady || in.state == stFailed {
		return
	}
	w := &s.m.workloads[in.wl]
	switch {
	case in.db == unknownDatabase:
		s.fails.NoDatabase++
	case w.Method == MethodBuiltin && w.startup > BuiltinConnectionsPerInstance:
		s.fails.BuiltinCap++
	case in.state == stAdmin:
		s.fails.AdminQuota++
	case in.state == stEgress || in.state == stPending || in.connectAt > s.now:
		// Behind the connector, or Direct VPC egress not yet connected.
		s.fails.EgressWait++
	case in.refused:
		s.fails.SlotExhaustion++
	default:
		s.fails.AcceptQueue++
	}
	in.state = stFailed
	s.failed++
	if in.held > 0 {
		d := &s.dbs[in.db]
		server := int(in.held)
		if d.pool.pooled {
			// The poolers close the server connections the service no
			// longer needs: min(clients, cap) before and after.
			pair := s.pairClients[in.wl]
			server = d.pool.server(pair) - d.pool.server(pair-int(in.held))
			s.pairClients[in.wl] -= int(in.held)
			d.clients -= int(in.held)
		}
		d.slots -= server
		s.slots -= server
		in.held = 0
	}
	if in.egressHeld {
		c := s.conns[w.egress]
		c.carriedMb -= w.EgressMbpsPerInstance
		in.egressHeld = false
		s.admit(c)
	}
}

func (s *sim) result(horizon float64, series []SeriesPoint) SimResult {
	m := s.m
	r := SimResult{
		Instances: len(s.insts), Attempts: s.attempts, PeakSlotsUsed: s.peak, Refused: s.refused,
		Failures: s.fails, Seed: m.assume.Seed, HorizonSeconds: horizon, Series: series,
	}
	if r.Instances > 0 {
		r.SuccessRate = float64(s.ready) / float64(r.Instances)
	}
	sort.Float64s(s.ttr)
	sort.Float64s(s.lat)
	r.TimeToReadyP50Seconds, r.TimeToReadyP95Seconds, r.TimeToReadyP99Seconds = Percentile(s.ttr, 0.50), Percentile(s.ttr, 0.95), Percentile(s.ttr, 0.99)
	r.ConnectP50Seconds, r.ConnectP95Seconds, r.ConnectP99Seconds = Percentile(s.lat, 0.50), Percentile(s.lat, 0.95), Percentile(s.lat, 0.99)

	// Only the workloads that start in the scenario (all of them in a cold
	// start) are listed, in workload order.
	pos := make([]int32, len(m.workloads))
	var per []WorkloadSim
	for i, w := range m.workloads {
		pos[i] = -1
		if s.sc.storm[i] > 0 || s.sc.kind == KindColdStart {
			pos[i] = int32(len(per))
			per = append(per, WorkloadSim{Workload: w.Name, Region: w.Region})
		}
	}
	ttrs := make([][]float64, len(per))
	for _, in := range s.insts {
		k := pos[in.wl]
		p := &per[k]
		p.Instances++
		switch in.state {
		case stReady:
			p.Ready++
			ttrs[k] = append(ttrs[k], in.readyAt-in.start)
		case stFailed:
			p.Failed++
		}
	}
	for i := range per {
		if per[i].Instances > 0 {
			per[i].SuccessRate = float64(per[i].Ready) / float64(per[i].Instances)
		}
		sort.Float64s(ttrs[i])
		per[i].TimeToReadyP95Seconds = Percentile(ttrs[i], 0.95)
	}
	r.PerWorkload = per
	for i, d := range s.dbs {
		r.PerDatabase = append(r.PerDatabase, DatabaseSim{Database: m.dbs[i].Name, Usable: d.usable, PeakSlots: d.peak, Attempts: d.attempts, Refused: d.refused})
	}
	for _, c := range s.conns {
		if c == nil {
			continue
		}
		e := m.egress[c.egress]
		r.PerRegion = append(r.PerRegion, RegionSim{Region: e.Region, Egress: e.Name, ConnectorInstancesStart: c.startInst,
			ConnectorInstancesEnd: c.instances, ScaleOuts: c.scaleOuts, MaxEgressWaitSeconds: c.maxWaitSec, DelayedInstances: c.delayed})
	}
	return r
}

// unit is a uniform draw in [0, 1) from a hash (SplitMix64 finalizer) of the
// seed and four coordinates: reproducible and independent of event order.
func unit(seed int64, a, b, c, d uint64) float64 {
	h := mix64(uint64(seed) + 0x9e3779b97f4a7c15)
	h = mix64(h ^ a)
	h = mix64(h ^ (b + 0x632be59bd9b4e019))
	h = mix64(h ^ (c + 0x85157af5b3c2d3a1))
	h = mix64(h ^ (d + 0x2545f4914f6cdd1d))
	return float64(h>>11) / (1 << 53)
}

func mix64(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}
