package probe

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"
)

// MaxTaskLine bounds one task line (a task of MaxSessions connections with
// their samples stays well below it).
const MaxTaskLine = 8 << 20

// TaskSummary describes the tasks behind a merged result.
type TaskSummary struct {
	Run      string `json:"run"`
	Expected int    `json:"expected"` // TaskCount of the lines
	Received int    `json:"received"`
	// Missing lists task indexes without a line; their instances count as
	// failed (an instance that never reported did not start).
	Missing []int `json:"missing,omitempty"`
	// FirstConnect summarises, over the tasks that connected, the time from
	// a task's start to its first successful connection: the measured VPC
	// egress warm-up or connector scale-out (plus process start and the
	// handshake).
	FirstConnect Percentiles `json:"firstConnect"`
	// NeverConnected counts tasks that received no connection at all.
	NeverConnected int `json:"neverConnected"`
}

// ReadTaskLines parses task lines from r: one JSON object per line; blank
// lines and lines that are not JSON objects (log output interleaved by a
// log collector) are skipped, a JSON object that is not a task line is an
// error naming its line number.
func ReadTaskLines(r io.Reader, name string) ([]TaskLine, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), MaxTaskLine)
	var out []TaskLine
	n := 0
	for sc.Scan() {
		n++
		b := bytes.TrimSpace(sc.Bytes())
		if len(b) == 0 || b[0] != '{' {
			continue
		}
		var l TaskLine
		dec := json.NewDecoder(bytes.NewReader(b))
		if err := dec.Decode(&l); err != nil {
			return nil, fmt.Errorf("%s:%d: not a task line: %v", name, n, err)
		}
		if l.Schema != TaskSchema {
			return nil, fmt.Errorf("%s:%d: schema %q, want %q", name, n, l.Schema, TaskSchema)
		}
		if l.Result == nil || l.TaskCount < 1 || l.Task < 0 || l.Task >= l.TaskCount {
			return nil, fmt.Errorf("%s:%d: task %d of %d without a result or out of range", name, n, l.Task, l.TaskCount)
		}
		if err := checkTaskResult(l.Result); err != nil {
			return nil, fmt.Errorf("%s:%d: task %d: %v", name, n, l.Task, err)
		}
		out = append(out, l)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return out, nil
}

// checkTaskResult refuses a result whose counts do not add up.
func checkTaskResult(r *Result) error {
	ready := 0
	for _, ir := range r.InstanceResults {
		if ir.Ready {
			ready++
		}
	}
	switch {
	case r.Instances < 1:
		return fmt.Errorf("played %d instances, want ≥ 1", r.Instances)
	case len(r.InstanceResults) != r.Instances:
		return fmt.Errorf("reports %d instances but %d instance results", r.Instances, len(r.InstanceResults))
	case r.Ready < 0 || r.Failed < 0 || r.Ready+r.Failed != r.Instances || ready != r.Ready:
		return fmt.Errorf("ready %d + failed %d do not add up to its %d instances (%d ready results)", r.Ready, r.Failed, r.Instances, ready)
	}
	for o, c := range r.Outcomes {
		if c < 0 {
			return fmt.Errorf("negative count for outcome %s", o)
		}
	}
	return nil
}

// Merge combines the lines of one run into one Result: counts and outcomes
// add up, percentiles are recomputed from the raw samples, instances are
// placed on the run's common clock (the earliest task start is 0), and the
// instances of missing tasks count as failed. The lines must share the run,
// the task count, the settings and the targets.
func Merge(lines []TaskLine) (*Result, TaskSummary, error) {
	if len(lines) == 0 {
		return nil, TaskSummary{}, fmt.Errorf("no task lines")
	}
	sort.Slice(lines, func(i, j int) bool { return lines[i].Task < lines[j].Task })
	first := lines[0]
	sum := TaskSummary{Run: first.Run, Expected: first.TaskCount}
	seen := map[int]bool{}
	per := first.Result.Instances
	for _, l := range lines {
		switch {
		case l.Run != first.Run:
			return nil, sum, fmt.Errorf("task %d belongs to run %q, task %d to %q: merge one run at a time", l.Task, l.Run, first.Task, first.Run)
		case l.TaskCount != first.TaskCount:
			return nil, sum, fmt.Errorf("task %d says %d tasks, task %d says %d", l.Task, l.TaskCount, first.Task, first.TaskCount)
		case seen[l.Task]:
			return nil, sum, fmt.Errorf("task %d appears twice", l.Task)
		case !bytes.Equal(compact(l.Settings), compact(first.Settings)):
			return nil, sum, fmt.Errorf("task %d ran with other settings than task %d", l.Task, first.Task)
		case l.Targets != first.Targets:
			return nil, sum, fmt.Errorf("task %d has other targets than task %d", l.Task, first.Task)
		case l.Result.Instances != per:
			return nil, sum, fmt.Errorf("task %d played %d instances, task %d %d", l.Task, l.Result.Instances, first.Task, per)
		}
		seen[l.Task] = true
	}
	sum.Received = len(lines)
	for i := range first.TaskCount {
		if !seen[i] {
			sum.Missing = append(sum.Missing, i)
		}
	}

	start := lines[0].Result.StartedAt
	for _, l := range lines {
		if l.Result.StartedAt.Before(start) {
			start = l.Result.StartedAt
		}
	}
	m := &Result{
		Target: first.Result.Target, ApplicationName: first.Run, StartedAt: start,
		Outcomes: map[Outcome]int{}, PeakSource: "client",
	}
	var attempts, connects, ttr, firsts []time.Duration
	end := start
	for _, l := range lines {
		r := l.Result
		if r.Target != m.Target {
			return nil, sum, fmt.Errorf("task %d probed %s, task %d %s", l.Task, r.Target, first.Task, m.Target)
		}
		shift := r.StartedAt.Sub(start).Seconds()
		if e := r.StartedAt.Add(time.Duration(r.DurationSeconds * float64(time.Second))); e.After(end) {
			end = e
		}
		m.DeadlineReached = m.DeadlineReached || r.DeadlineReached
		m.Interrupted = m.Interrupted || r.Interrupted
		m.Unfinished += r.Unfinished
		m.Instances += r.Instances
		m.Ready += r.Ready
		m.Failed += r.Failed
		m.Attempts += r.Attempts
		m.Aborted += r.Aborted
		for o, n := range r.Outcomes {
			m.Outcomes[o] += n
		}
		for o, s := range r.ErrorSamples {
			if m.ErrorSamples == nil {
				m.ErrorSamples = map[Outcome]string{}
			}
			if _, ok := m.ErrorSamples[o]; !ok {
				m.ErrorSamples[o] = s
			}
		}
		// Each task counts its own sessions; their sum bounds the run's
		// peak from above (tasks need not peak at the same moment).
		m.PeakSessions += r.PeakSessions
		m.PeakClientSessions += r.PeakClientSessions
		m.OldSessions += r.OldSessions
		m.LeftoverSessions += r.LeftoverSessions
		for _, ir := range r.InstanceResults {
			ir.Index = l.Task*per + ir.Index
			ir.StartSeconds = round6(ir.StartSeconds + shift)
			if ir.Ready {
				ttr = append(ttr, dur(ir.TimeToReadySeconds))
			}
			m.InstanceResults = append(m.InstanceResults, ir)
		}
		attempts = append(attempts, durs(l.AttemptSeconds)...)
		connects = append(connects, durs(l.ConnectSeconds)...)
		if l.FirstConnectSeconds >= 0 {
			firsts = append(firsts, dur(l.FirstConnectSeconds))
		} else {
			sum.NeverConnected++
		}
	}
	if len(attempts) != m.Outcomes[OutcomeOK] {
		return nil, sum, fmt.Errorf("the lines' samples (%d) do not match their successful attempts (%d)", len(attempts), m.Outcomes[OutcomeOK])
	}
	for _, t := range sum.Missing {
		for j := range per {
			m.InstanceResults = append(m.InstanceResults, InstanceResult{Index: t*per + j, Failure: OutcomeOther})
			m.Instances++
			m.Failed++
		}
	}
	m.DurationSeconds = round6(end.Sub(start).Seconds())
	m.AttemptLatency = Summarize(attempts)
	m.ConnectLatency = Summarize(connects)
	m.TimeToReady = Summarize(ttr)
	m.SuccessRate = round6(float64(m.Ready) / float64(m.Instances))
	sum.FirstConnect = Summarize(firsts)
	sort.Slice(m.InstanceResults, func(i, j int) bool { return m.InstanceResults[i].Index < m.InstanceResults[j].Index })
	return m, sum, nil
}

func compact(b json.RawMessage) []byte {
	if len(b) == 0 {
		return nil
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, b); err != nil {
		return []byte(strings.TrimSpace(string(b)))
	}
	return buf.Bytes()
}

func dur(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }

func durs(xs []float64) []time.Duration {
	out := make([]time.Duration, len(xs))
	for i, x := range xs {
		out[i] = dur(x)
	}
	return out
}
