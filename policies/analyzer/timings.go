package analyzer

import (
	"encoding/json"
	"fmt"
	"os"
	"sync"
	"syscall"
	"time"
)

// TimingsEnv names a file the pack appends one JSON line to after each
// AnalyzeStack: how many resources it judged, the time spent in Analyze
// and AnalyzeStack, and the process's CPU time so far. It answers "what
// does the gate cost in this preview" from the pack's side, which the
// engine's wall clock cannot separate from its own work
// (docs/cli.md#scale).
const TimingsEnv = "HEADROOM_PACK_TIMINGS"

// Timing is one line of the timings file.
type Timing struct {
	Resources           int     `json:"resources"`
	AnalyzeCalls        int     `json:"analyzeCalls"`
	AnalyzeSeconds      float64 `json:"analyzeSeconds"`
	AnalyzeStackSeconds float64 `json:"analyzeStackSeconds"`
	// ProcessCPUSeconds is the pack process's user + system CPU time since
	// it started (gRPC decoding and start-up included).
	ProcessCPUSeconds float64 `json:"processCpuSeconds"`
}

// timings accumulates the Analyze calls between two AnalyzeStack calls.
type timings struct {
	mu      sync.Mutex
	path    string
	calls   int
	analyze time.Duration
}

func (t *timings) addAnalyze(d time.Duration) {
	if t == nil || t.path == "" {
		return
	}
	t.mu.Lock()
	t.calls++
	t.analyze += d
	t.mu.Unlock()
}

func (t *timings) stack(resources int, d time.Duration) error {
	if t == nil || t.path == "" {
		return nil
	}
	t.mu.Lock()
	line := Timing{Resources: resources, AnalyzeCalls: t.calls, AnalyzeSeconds: t.analyze.Seconds(),
		AnalyzeStackSeconds: d.Seconds(), ProcessCPUSeconds: processCPU().Seconds()}
	t.calls, t.analyze = 0, 0
	t.mu.Unlock()
	b, err := json.Marshal(line)
	if err != nil {
		return err
	}
	f, err := os.OpenFile(t.path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return fmt.Errorf("%s: %w", TimingsEnv, err)
	}
	_, err = f.Write(append(b, '\n'))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
