package deploy

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/auto/events"
	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"

	"github.com/headroom-dev/headroom/report"
)

// Recorded is what one engine operation reported through its event stream.
type Recorded struct {
	Changes    report.Changes
	Violations []report.Violation
	// Summarized is true when the engine sent its summary event: the
	// operation ran to the end (with or without errors).
	Summarized bool
}

// Convert turns engine events into the report's terms. operation is
// "preview", "update" or "refresh": a refresh reports drift in the
// resource-outputs events (the refresh step's result op), the others in
// the resource-pre events. `pulumi preview --json` drops policy events, so
// this stream is the only machine-readable source of policy results.
func Convert(operation string, evs []apitype.EngineEvent) Recorded {
	rec := Recorded{Changes: report.Changes{
		Operation:   operation,
		Summary:     map[string]int{},
		Steps:       []report.Step{},
		PolicyPacks: map[string]string{},
	}}
	steps := map[string]report.Step{}
	counted := map[string]int{}
	for _, e := range evs {
		switch {
		case e.PolicyEvent != nil:
			p := e.PolicyEvent
			level, ok := engineLevel(p.EnforcementLevel)
			if !ok {
				continue
			}
			msg := strings.TrimSpace(p.Message)
			if len(p.Exceptions) > 0 {
				// An excepted violation never fails the operation
				// (apitype.PolicyEvent.Exceptions); keep it visible.
				level = "advisory"
				msg += " (excepted)"
			}
			rec.Violations = append(rec.Violations, report.Violation{
				Policy: p.PolicyName, Level: level, Message: msg, Resource: p.ResourceURN,
			})
		case e.ResourcePreEvent != nil && operation != "refresh":
			m := e.ResourcePreEvent.Metadata
			counted[m.URN+"\x00"+string(m.Op)] = 1
			if changed(m.Op) {
				st := step(m)
				// A replacement is announced as several steps
				// (create-replacement, replace, delete-replaced); the
				// report shows one "replace".
				if prev, ok := steps[m.URN]; ok && (replacing(prev.Op) || replacing(st.Op)) {
					st.Op = string(apitype.OpReplace)
					st.Diffs = uniqSorted(append(prev.Diffs, st.Diffs...))
				}
				steps[m.URN] = st
			}
		case e.ResOutputsEvent != nil && operation == "refresh":
			// Refresh steps carry their result (same/update/delete) in the
			// outputs event (engine: RefreshStep.ResultOp).
			m := e.ResOutputsEvent.Metadata
			counted[m.URN+"\x00"+string(m.Op)] = 1
			if changed(m.Op) {
				steps[m.URN] = step(m)
			}
		case e.DiagnosticEvent != nil && e.DiagnosticEvent.Severity == "error":
			msg := strings.TrimSpace(e.DiagnosticEvent.Message)
			if msg != "" {
				rec.Changes.Errors = append(rec.Changes.Errors, firstLine(msg))
			}
		case e.SummaryEvent != nil:
			rec.Summarized = true
			for op, n := range e.SummaryEvent.ResourceChanges {
				rec.Changes.Summary[string(op)] = n
			}
			for name, v := range e.SummaryEvent.PolicyPacks {
				// The engine keys a local pack "name|local|path" in
				// preview and update summaries ("name" in policy
				// analyze); the report keys packs by name.
				name, _, _ = strings.Cut(name, "|")
				rec.Changes.PolicyPacks[name] = v
			}
		}
	}
	if !rec.Summarized {
		// No summary (the engine stopped early): count what was seen.
		for k := range counted {
			op := k[strings.IndexByte(k, 0)+1:]
			rec.Changes.Summary[op]++
		}
	}
	for _, s := range steps {
		rec.Changes.Steps = append(rec.Changes.Steps, s)
	}
	sort.Slice(rec.Changes.Steps, func(i, j int) bool { return rec.Changes.Steps[i].URN < rec.Changes.Steps[j].URN })
	if operation != "refresh" {
		rec.Changes.Stateful = StatefulChanges(evs)
	}
	return rec
}

func replacing(op string) bool {
	switch apitype.OpType(op) {
	case apitype.OpReplace, apitype.OpCreateReplacement, apitype.OpDeleteReplaced, apitype.OpImportReplacement:
		return true
	}
	return false
}

// engineLevel maps the engine's enforcement level to the report's; false
// means the event is not a violation to report.
func engineLevel(l string) (string, bool) {
	switch l {
	case "mandatory":
		return report.LevelMandatory, true
	case "warning", "advisory":
		return "advisory", true
	case "remediate":
		return "remediate", true
	}
	return "", false
}

func changed(op apitype.OpType) bool {
	switch op {
	case apitype.OpSame, apitype.OpRead, apitype.OpRefresh, apitype.OpReadDiscard, "":
		return false
	}
	return true
}

func step(m apitype.StepEventMetadata) report.Step {
	// The detailed diff names property paths (settings.tier); Diffs only
	// top-level keys (settings). Prefer the precise one.
	var diffs []string
	for k := range m.DetailedDiff {
		diffs = append(diffs, k)
	}
	if len(diffs) == 0 {
		diffs = append(diffs, m.Diffs...)
	}
	sort.Strings(diffs)
	typ := m.Type
	if typ == "" && m.New != nil {
		typ = m.New.Type
	}
	return report.Step{Op: string(m.Op), Type: typ, Name: urnName(m.URN), URN: m.URN, Diffs: diffs}
}

func urnName(urn string) string {
	if i := strings.LastIndex(urn, "::"); i >= 0 {
		return urn[i+2:]
	}
	return urn
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// ReadEventLog reads engine events as `pulumi … --event-log FILE` writes
// them: one apitype.EngineEvent JSON object per line.
func ReadEventLog(r io.Reader) ([]apitype.EngineEvent, error) {
	var out []apitype.EngineEvent
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1024*1024), 64*1024*1024)
	line := 0
	for sc.Scan() {
		line++
		b := strings.TrimSpace(sc.Text())
		if b == "" {
			continue
		}
		var e apitype.EngineEvent
		if err := json.Unmarshal([]byte(b), &e); err != nil {
			return nil, fmt.Errorf("event log line %d: %w", line, err)
		}
		out = append(out, e)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("event log: %w", err)
	}
	return out, nil
}

// collector drains an Automation API event channel in the background.
type collector struct {
	ch   chan events.EngineEvent
	done chan struct{}
	mu   sync.Mutex
	evs  []apitype.EngineEvent
}

func newCollector() *collector {
	c := &collector{ch: make(chan events.EngineEvent, 64), done: make(chan struct{})}
	go func() {
		defer close(c.done)
		for e := range c.ch {
			if e.Error != nil {
				continue // a malformed event; the operation's own error says more
			}
			c.mu.Lock()
			c.evs = append(c.evs, e.EngineEvent)
			c.mu.Unlock()
		}
	}()
	return c
}

// drainTimeout bounds how long events may still be in flight after the
// operation returned.
var drainTimeout = 5 * time.Second

// events returns what was collected once the Automation API closed the
// channel (it does when the event stream ends, possibly just after the
// operation returns). If the operation failed before streaming, the channel
// is never closed; we then stop waiting after drainTimeout. The channel is
// never closed here: its sender owns it.
func (c *collector) events() []apitype.EngineEvent {
	select {
	case <-c.done:
	case <-time.After(drainTimeout):
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]apitype.EngineEvent(nil), c.evs...)
}
