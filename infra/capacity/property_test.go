package capacity

import (
	"fmt"
	"math/rand/v2"
	"sort"
	"testing"
	"testing/quick"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The monotonicity properties (more usable slots never lower success, more
// instances never raise it, a longer timeout never lowers it) are checked on
// storms of one workload, in the two regions where they provably hold:
//
//   - one startup connection per instance: an instance holds a slot only
//     from being served until it is ready (one handshake), and ready
//     instances keep theirs, so no slot is ever held by an instance that is
//     going to fail (short of a deadline inside a handshake) and refused
//     instances can only wait for capacity that FIFO service hands out in
//     arrival order. The served set is a prefix of that order, which only
//     grows with slots or time and, with more instances, gains only members
//     behind the failures that already were there;
//   - every startup connection fits the usable slots (instances × startup
//     connections ≤ usable): nothing is ever refused, slots never matter,
//     and success is decided by FIFO admission (Admin API windows, connector,
//     accept queue) alone.
//
// Outside them — several startup connections per instance and more of them
// than slots — the storm turns into the partial-pool deadlock a real server
// shows (docs/model-validation.md): pools hold some of their slots, nobody
// completes, and success is decided by the order in which instances give up
// and hand their slots to whoever retries next. That order does not follow
// capacity: TestPartialPoolCounterexamples keeps one counterexample to each
// property as expected behaviour, and docs/capacity-model.md "Known limits"
// explains them. What does hold everywhere is the slot bound
// (TestPropertyReadyPoolsFitTheSlots).

const propertyCases = 400

// randomTopology draws a small storm-prone topology: one database, one
// connector region, one to three workloads. Sizes make slot exhaustion,
// accept queueing and connector scale-out all frequent.
func randomTopology(r *rand.Rand) Topology {
	t := Topology{
		Stack: "random", Environment: EnvStaging,
		Databases: []Database{{Name: "db", Region: "r1", Tier: "db-custom-1-3840", MaxConnections: 14 + r.IntN(120)}},
		Egress: []Egress{{Region: "r1", Kind: EgressConnector, Name: "c", MachineType: "e2-micro",
			MinInstances: 2 + r.IntN(3), MaxInstances: 6 + r.IntN(5), IPCIDRRange: "10.8.0.0/28"}},
		Assumptions: Assumptions{
			ConnectorScaleOutSeconds: float64(5 + r.IntN(30)),
			AcceptRatePerSecond:      float64(5 + r.IntN(60)),
			RampSeconds:              float64(r.IntN(3) * 10),
			Seed:                     int64(1 + r.IntN(1000)),
		},
	}
	n := 1 + r.IntN(3)
	for i := 0; i < n; i++ {
		t.Workloads = append(t.Workloads, Workload{
			Name: string(rune('a' + i)), Region: "r1", Egress: EgressConnector, EgressName: "c",
			Method: MethodPrivateIP, Database: "db", MaxInstances: 1 + r.IntN(25),
			EgressMbpsPerInstance: float64(r.IntN(60)), PoolSize: 5, MaxOverflow: 2,
			StartupConnections: 1 + r.IntN(6), ConnectTimeoutSeconds: float64(10 + r.IntN(80)),
			StartupProbe: probe240,
		})
	}
	return t
}

// singleWorkload is randomTopology with its first workload only.
func singleWorkload(r *rand.Rand) Topology {
	t := randomTopology(r)
	t.Workloads = t.Workloads[:1]
	return t
}

func cloneTopology(t Topology) Topology {
	t.Databases = append([]Database(nil), t.Databases...)
	t.Egress = append([]Egress(nil), t.Egress...)
	t.Workloads = append([]Workload(nil), t.Workloads...)
	return t
}

// usableSlots is what the model makes of the topology's one database.
func usableSlots(t Topology) int { return newModel(t).dbs[0].usable }

// region shapes a drawn single-workload storm into one of the two regions
// where the monotonicity properties hold; instances is the size that must
// fit (the larger of the two storms compared).
type region struct {
	name  string
	shape func(r *rand.Rand, t *Topology, instances int)
}

var provableRegions = []region{
	{"one startup connection", func(_ *rand.Rand, t *Topology, _ int) {
		t.Workloads[0].StartupConnections = 1
	}},
	{"startup connections fit the slots", func(r *rand.Rand, t *Topology, instances int) {
		// usable = max_connections − 5 reserved ≥ instances × startup.
		t.Databases[0].MaxConnections = 5 + instances*t.Workloads[0].StartupConnections + r.IntN(10)
	}},
}

// inProvableRegion is the precondition of the monotonicity properties for
// a one-workload storm of the given size.
func inProvableRegion(t Topology, instances int) bool {
	w := t.Workloads[0]
	return w.StartupConnections == 1 || instances*w.StartupConnections <= usableSlots(t)
}

func TestPropertyMoreSlotsNeverLowersSuccess(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 1))
	for _, reg := range provableRegions {
		t.Run(reg.name, func(t *testing.T) {
			for i := 0; i < propertyCases; i++ {
				base := singleWorkload(r)
				reg.shape(r, &base, base.Workloads[0].MaxInstances)
				require.True(t, inProvableRegion(base, base.Workloads[0].MaxInstances))
				more := cloneTopology(base)
				more.Databases[0].MaxConnections += 1 + r.IntN(40)
				a, b := Simulate(base, SimOptions{}), Simulate(more, SimOptions{})
				require.GreaterOrEqual(t, b.SuccessRate, a.SuccessRate, "case %d: %+v", i, base)
			}
		})
	}
}

func TestPropertyMoreInstancesNeverRaisesSuccess(t *testing.T) {
	r := rand.New(rand.NewPCG(2, 2))
	for _, reg := range provableRegions {
		t.Run(reg.name, func(t *testing.T) {
			for i := 0; i < propertyCases; i++ {
				base := singleWorkload(r)
				base.Assumptions.RampSeconds = 0 // with a ramp, late extra instances may find a warm system
				more := cloneTopology(base)
				more.Workloads[0].MaxInstances += 1 + r.IntN(10)
				// The larger storm must be inside the region too.
				reg.shape(r, &base, more.Workloads[0].MaxInstances)
				more.Databases[0], more.Workloads[0].StartupConnections = base.Databases[0], base.Workloads[0].StartupConnections
				require.True(t, inProvableRegion(more, more.Workloads[0].MaxInstances))
				a, b := Simulate(base, SimOptions{}), Simulate(more, SimOptions{})
				require.LessOrEqual(t, b.SuccessRate, a.SuccessRate, "case %d: %+v", i, base)
			}
		})
	}
}

func TestPropertyLongerTimeoutNeverLowersSuccess(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 3))
	for _, reg := range provableRegions {
		t.Run(reg.name, func(t *testing.T) {
			for i := 0; i < propertyCases; i++ {
				base := singleWorkload(r)
				reg.shape(r, &base, base.Workloads[0].MaxInstances)
				require.True(t, inProvableRegion(base, base.Workloads[0].MaxInstances))
				more := cloneTopology(base)
				more.Workloads[0].ConnectTimeoutSeconds += float64(1 + r.IntN(30))
				a, b := Simulate(base, SimOptions{}), Simulate(more, SimOptions{})
				require.GreaterOrEqual(t, b.SuccessRate, a.SuccessRate, "case %d: %+v", i, base)
			}
		})
	}
}

// TestPropertyReadyPoolsFitTheSlots holds in every region, with several
// workloads too: a ready instance keeps its startup connections, so the
// ready pools together never hold more than the usable slots.
func TestPropertyReadyPoolsFitTheSlots(t *testing.T) {
	r := rand.New(rand.NewPCG(4, 4))
	for i := 0; i < propertyCases; i++ {
		topo := randomTopology(r)
		s := Simulate(topo, SimOptions{})
		held := 0
		for j, w := range s.PerWorkload {
			held += w.Ready * topo.Workloads[j].StartupConnections
			require.LessOrEqual(t, w.Ready, w.Instances)
		}
		require.LessOrEqual(t, held, usableSlots(topo), "case %d: %+v", i, topo)
		require.LessOrEqual(t, s.PeakSlotsUsed, usableSlots(topo), "case %d", i)
	}
}

// TestPartialPoolCounterexamples keeps, as expected behaviour, one storm
// outside the provable regions for each monotonicity property: several
// startup connections per instance, more of them than usable slots. The
// mechanism is the same in all three (the traces below are from this seed):
// the first pass leaves every pool partially connected; a pool gives up
// when its next retry would start after its deadline and frees its slots;
// whichever pool retries next takes them. How many pools complete depends
// on who gives up when and who happens to be retrying then, and the change
// of one knob reorders that. docs/capacity-model.md "Known limits".
func TestPartialPoolCounterexamples(t *testing.T) {
	tests := []struct {
		name        string
		base, other Topology
		wantBase    float64
		wantOther   float64
		why         string
	}{
		{
			name: "one more slot lowers success",
			// 5 × 3 on 9 usable slots, then on 10; at most 3 pools fit either.
			base: oneDB(14, 5, 3, 30), other: oneDB(15, 5, 3, 30),
			wantBase: 3.0 / 5, wantOther: 2.0 / 5,
			why: "9 slots: the first pass leaves i0–i3 with 2 slots and i4 with 1. " +
				"i3 gives up at ≈24.6 s; its 2 slots complete i1 and bring i4 to 2; i4, refused " +
				"its third at ≈28.2 s with no retry left, gives up and its 2 slots complete i0 and i2: 3 ready. " +
				"10 slots: all five start with 2. i3 gives up at ≈24.6 s; its 2 slots complete i1 and i4; " +
				"i0 and i2 are then refused at ≈28.6 s with no retry left before 30 s: they give up " +
				"and leave 4 slots idle: 2 ready",
		},
		{
			name: "one more instance raises success",
			// 9, then 10 × 2 on 10 usable slots, 10 s timeout; at most 5 fit.
			base: oneDB(15, 9, 2, 10), other: oneDB(15, 10, 2, 10),
			wantBase: 4.0 / 9, wantOther: 5.0 / 10,
			why: "9 instances: i0 takes the 10th slot in the first pass and is ready at 0.28 s; " +
				"the other 8 hold one slot each. Give-ups between 5.4 and 7.0 s complete i5, i2, i1; " +
				"the last three give up together at ≈7 s and 2 slots stay idle: 4 of 9. " +
				"10 instances: all ten hold one slot, i0 among them (same jitter draws); " +
				"i0's retry at ≈9.9 s picks up a slot freed late: 5 of 10",
		},
		{
			name: "a longer timeout lowers success",
			// 9 × 2 on 9 usable slots, 5 s then 6 s; at most 4 fit.
			base: oneDB(14, 9, 2, 5), other: oneDB(14, 9, 2, 6),
			wantBase: 4.0 / 9, wantOther: 3.0 / 9,
			why: "all nine hold one slot after the first pass. With 5 s, five pools refused " +
				"around 3.0–3.5 s have no retry left (next backoff 2–4 s) and give up together; " +
				"the four retrying next complete: 4 of 9, the most that fit. With 6 s (same draws) fewer " +
				"are out of retries then, so fewer slots free up early (two pools complete); the rest " +
				"retry once more at ≈5.4–5.6 s, where the slots come too late: i3 completes at 5.39 s, " +
				"i2 is served at 5.96 s and would be connected at 6.06 s, after its deadline: 3 of 9",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, topo := range []Topology{tt.base, tt.other} {
				w := topo.Workloads[0]
				require.False(t, inProvableRegion(topo, w.MaxInstances), "a counterexample lies outside the provable regions")
			}
			a, b := Simulate(tt.base, SimOptions{}), Simulate(tt.other, SimOptions{})
			assert.InDelta(t, tt.wantBase, a.SuccessRate, 1e-9, tt.why)
			assert.InDelta(t, tt.wantOther, b.SuccessRate, 1e-9, tt.why)
			// Same seed, same result, even here.
			assert.Equal(t, a, Simulate(tt.base, SimOptions{}))
		})
	}
}

// TestPropertySameSeedSameResult: any topology, run twice, same result.
func TestPropertySameSeedSameResult(t *testing.T) {
	f := func(seed int64, draw uint32) bool {
		topo := randomTopology(rand.New(rand.NewPCG(uint64(draw), 9)))
		topo.Assumptions.Seed = seed
		a, b := Simulate(topo, SimOptions{}), Simulate(topo, SimOptions{})
		return fmt.Sprintf("%+v", a) == fmt.Sprintf("%+v", b)
	}
	require.NoError(t, quick.Check(f, &quick.Config{MaxCount: 200, Rand: nil}))
}

// fitInstances is the most instances that can be ready at once: ready
// pools keep their startup connections, so they must fit the usable slots
// together; the smallest pools first gives the largest count.
func fitInstances(usable int, pools map[int]int) int {
	sizes := make([]int, 0, len(pools))
	for p := range pools {
		sizes = append(sizes, p)
	}
	sort.Ints(sizes)
	n := 0
	for _, p := range sizes {
		k := min(pools[p], usable/p)
		n += k
		usable -= k * p
	}
	return n
}

// TestIncidentSweeps walks the incident's own knobs (two workloads,
// netra-backend 20 × 5 startup connections at 50 Mbps, auth-service 10 × 3
// at 10 Mbps, 95 usable slots) one at a time. Both workloads open several
// connections and outgrow the slots, so the storm is in the partial-pool
// region where success is not monotone (TestPartialPoolCounterexamples):
// e.g. max_connections 60 → 65 lowers it from 13/30 to 12/30 and 85 → 90
// from 20/30 to 19/30. What the sweeps assert instead is what follows from
// the rules: the slot bound, where everything fits, and — along the
// timeout — the connector's scale-out steps.
func TestIncidentSweeps(t *testing.T) {
	// Take the connector off the critical path so slots decide:
	// e2-standard-4 × 3 = 4,800 Mbps ≫ 1,100 Mbps, no Admin API calls
	// (private IP), 130 attempts take 2.6 s at 50/s ≪ 75 s.
	slotsBound := incidentTopology()
	slotsBound.Egress[0].MachineType, slotsBound.Egress[0].MinInstances = "e2-standard-4", 3
	for mc := 20; mc <= 200; mc += 5 {
		topo := cloneTopology(slotsBound)
		topo.Databases[0].MaxConnections = mc
		usable := mc - 5
		s := Simulate(topo, SimOptions{}).SuccessRate
		// Ready pools fit the slots: auth-service (3) first, then netra (5).
		assert.LessOrEqual(t, s, float64(fitInstances(usable, map[int]int{3: 10, 5: 20}))/30+1e-9, "max_connections %d", mc)
		// Everyone is ready exactly when all 130 startup connections fit.
		assert.Equal(t, usable >= 130, s == 1, "max_connections %d: success %v", mc, s)
		// Rounds c0, c1, c2 of the interleaved first pass are 30 attempts
		// each and hold every auth-service connection: with ≥ 90 usable
		// slots all 10 auth-service instances are ready in the first pass
		// and keep their slots.
		if usable >= 90 {
			assert.GreaterOrEqual(t, s, 10.0/30, "max_connections %d", mc)
		}
	}

	for n := 1; n <= 40; n++ {
		topo := cloneTopology(slotsBound)
		topo.Workloads[0].MaxInstances = n
		total := float64(n + 10)
		s := Simulate(topo, SimOptions{}).SuccessRate
		assert.LessOrEqual(t, s, float64(fitInstances(95, map[int]int{3: 10, 5: n}))/total+1e-9, "netra-backend maxInstances %d", n)
		// 5n + 30 ≤ 95 ⇔ n ≤ 13: all fit, all ready.
		assert.Equal(t, n <= 13, s == 1, "netra-backend maxInstances %d: success %v", n, s)
		// Auth-service j's third connection is attempt 2(n+10) + 2j + 2 of
		// the first pass (n ≥ 10; order netra0, auth0, netra1, …); all ten
		// fit in 95 while 2(n+10) + 20 ≤ 95 ⇔ n ≤ 27.
		if n <= 27 {
			assert.GreaterOrEqual(t, s, 10/total-1e-9, "netra-backend maxInstances %d", n)
		}
	}

	// The incident itself (e2-micro, min 2 × 100 Mbps, one instance more
	// every 30 s up to 10), every workload's timeout swept. The connector
	// admits FIFO in the order netra0 (50), auth0 (10), netra1, auth1, …:
	//   t = 0:   200 Mbps → n0 a0 n1 a1 n2 a2 (180)            →  6 ready
	//   t = 30:  300 → + n3 a3 n4 a4 (300)                       → 10
	//   t = 60:  400 → + n5 a5 (360)                             → 12
	//   t = 90:  500 → + n6 a6 n7 a7 (480)                       → 16
	//   t = 120: 600 → + n8 a8 n9 a9 (600)                       → 20
	//   t = 150: 700 → + n10 n11 (700)                           → 22 (90 slots)
	// and each batch is ready well under 1 s after its admission (≤ 24
	// attempts at 50/s, all fitting the 95 slots). An instance admitted at
	// 30k s needs a timeout > 30k s (the deadline event at exactly 30k s
	// comes first). At 180 s netra12 and netra13 need 10 slots, 5 are left:
	// from there on the partial-pool region again (e.g. 195 s → 23/30,
	// 200 s → 22/30), bounded by the slots: ≤ 10 + 13 = 23 of 30.
	readyAfter := []int{6, 10, 12, 16, 20, 22}
	for to := 5; to <= 240; to += 5 {
		topo := cloneTopology(incidentTopology())
		for i := range topo.Workloads {
			topo.Workloads[i].ConnectTimeoutSeconds = float64(to)
		}
		s := Simulate(topo, SimOptions{}).SuccessRate
		if to <= 180 {
			k := (to - 1) / 30 // scale-outs completed before the deadline
			assert.InDelta(t, float64(readyAfter[k])/30, s, 1e-9, "timeout %d s", to)
		}
		assert.GreaterOrEqual(t, s, 6.0/30-1e-9, "timeout %d s", to)
		assert.LessOrEqual(t, s, 23.0/30+1e-9, "timeout %d s", to)
		assert.Less(t, s, 0.9, "timeout %d s: the incident fails whatever its timeout", to)
	}
}
