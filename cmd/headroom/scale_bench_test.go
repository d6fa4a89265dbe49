package main

import (
	"context"
	"fmt"
	"runtime"
	"runtime/metrics"
	"sync"
	"testing"
	"time"

	"github.com/headroom-dev/headroom/testkit/scalestack"
)

// scaleSizes are the workload counts of the whole-path benchmarks (each in
// 8 regions). The growth ratio compares the largest with the smallest.
var scaleSizes = []int{10, 25, 50, 100}

// BenchmarkPlanScale is the whole offline plan (config load, program under
// mocks, graph, policy pack, every scenario, report) of generated stacks of
// 10, 25, 50 and 100 workloads × 8 regions. Targets at 100 workloads:
// ≤ 2 s and ≤ 200 MB peak heap per plan. Each size reports ns/workload and
// peak-heap-MB; after the sizes it prints the 100/10 growth ratio of ns/op
// (10 is linear).
func BenchmarkPlanScale(b *testing.B) {
	g := newGrowth()
	for _, n := range scaleSizes {
		path := writeScaleStack(b, n, scalestack.BenchRegions)
		b.Run(fmt.Sprintf("workloads=%d", n), func(b *testing.B) {
			f := &planFlags{configFile: path, root: "../.."}
			b.ReportAllocs()
			peak := startPeakHeap()
			for i := 0; i < b.N; i++ {
				r, err := planReport(context.Background(), f, nil)
				if err != nil {
					b.Fatal(err)
				}
				if r.Failed() {
					b.Fatalf("the generated stack of %d workloads must pass", n)
				}
			}
			b.StopTimer()
			g.record(b, n, peak.stop())
		})
	}
	g.print(b, "BenchmarkPlanScale")
}

// BenchmarkSuggestScale is `headroom suggest` on the generated 100
// workloads × 8 regions stack (target ≤ 5 s): a passing stack, so one plan
// and nothing to search, plus a refused variant (max_connections at the
// tier default) whose search re-plans candidates.
func BenchmarkSuggestScale(b *testing.B) {
	path := writeScaleStack(b, 100, scalestack.BenchRegions)
	b.Run("pass", func(b *testing.B) {
		benchSuggest(b, &suggestFlags{configFile: path, root: "../..", maxPlans: 150}, false)
	})
	refused := writeRefusedScaleStack(b, 100, scalestack.BenchRegions)
	b.Run("refused", func(b *testing.B) {
		benchSuggest(b, &suggestFlags{configFile: refused, root: "../..", maxPlans: 150}, true)
	})
}

// growth collects ns/op per size of one benchmark and prints the ratio of
// the largest to the smallest, so a superlinear regression shows as a
// number (linear growth from 10 to 100 workloads is 10).
type growth struct {
	mu   sync.Mutex
	nsOp map[int]float64
}

func newGrowth() *growth { return &growth{nsOp: map[int]float64{}} }

func (g *growth) record(b *testing.B, workloads int, peakBytes uint64) {
	ns := float64(b.Elapsed().Nanoseconds()) / float64(b.N)
	b.ReportMetric(ns/float64(workloads), "ns/workload")
	b.ReportMetric(float64(peakBytes)/(1<<20), "peak-heap-MB")
	g.mu.Lock()
	g.nsOp[workloads] = ns // the last (largest b.N) run wins
	g.mu.Unlock()
}

func (g *growth) print(b *testing.B, name string) {
	lo, hi := scaleSizes[0], scaleSizes[len(scaleSizes)-1]
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.nsOp[lo] == 0 || g.nsOp[hi] == 0 {
		return // filtered by -bench
	}
	// Printed (not logged) so it shows in `make bench` output without -v.
	fmt.Printf("%s growth %d/%d workloads: %.2f× ns/op (linear: %.0f×)\n",
		name, hi, lo, g.nsOp[hi]/g.nsOp[lo], float64(hi)/float64(lo))
}

// peakHeap samples the heap's object bytes (live plus not yet swept) while
// a benchmark runs; stop returns the largest sample.
type peakHeap struct {
	done chan struct{}
	max  chan uint64
}

func startPeakHeap() *peakHeap {
	runtime.GC()
	p := &peakHeap{done: make(chan struct{}), max: make(chan uint64, 1)}
	go func() {
		s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
		var peak uint64
		t := time.NewTicker(2 * time.Millisecond)
		defer t.Stop()
		for {
			metrics.Read(s)
			peak = max(peak, s[0].Value.Uint64())
			select {
			case <-p.done:
				p.max <- peak
				return
			case <-t.C:
			}
		}
	}()
	return p
}

func (p *peakHeap) stop() uint64 {
	close(p.done)
	return <-p.max
}
