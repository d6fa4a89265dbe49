package probe

import (
	"bytes"
	"fmt"
	"math"
	"strconv"

	"gopkg.in/yaml.v3"
)

// ProbeCalibration is what a merged probe job run says about the model's
// assumptions: the handshake latency under the storm and, behind Direct VPC
// egress, the egress warm-up (a task's start to its first connection,
// less one handshake).
type ProbeCalibration struct {
	Run    string `json:"run"`
	Egress string `json:"egress,omitempty"`
	// HandshakeSeconds is the median latency of the run's successful
	// attempts (under the storm's own contention: an upper bound of the
	// uncontended handshake).
	HandshakeSeconds float64 `json:"handshakeSeconds"`
	// DirectEgressStartupSeconds is p95(first connection) − HandshakeSeconds
	// (≥ 0) for Direct VPC egress; −1 when not measured.
	DirectEgressStartupSeconds float64     `json:"directEgressStartupSeconds"`
	FirstConnect               Percentiles `json:"firstConnect"`
	Attempts                   Percentiles `json:"attemptLatency"`
	Tasks                      int         `json:"tasks"`
}

// CalibrateFromMerged derives assumptions from a merged run. egress is the
// tasks' --egress ("connector", "direct" or empty).
func CalibrateFromMerged(r *Result, sum TaskSummary, egress string) (*ProbeCalibration, error) {
	if r == nil || r.AttemptLatency.Count == 0 {
		return nil, fmt.Errorf("the run established no connection: nothing to calibrate")
	}
	c := &ProbeCalibration{
		Run: sum.Run, Egress: egress, HandshakeSeconds: r.AttemptLatency.P50,
		DirectEgressStartupSeconds: -1, FirstConnect: sum.FirstConnect, Attempts: r.AttemptLatency, Tasks: sum.Received,
	}
	if egress == "direct" && sum.FirstConnect.Count > 0 {
		c.DirectEgressStartupSeconds = round6(math.Max(0, sum.FirstConnect.P95-c.HandshakeSeconds))
	}
	return c, nil
}

// AssumptionsYAML renders the calibration as a headroom:assumptions
// document (the keys of config.Assumptions), measured keys only.
func (c *ProbeCalibration) AssumptionsYAML() ([]byte, error) {
	doc := &yaml.Node{Kind: yaml.DocumentNode}
	m := &yaml.Node{Kind: yaml.MappingNode}
	doc.Content = []*yaml.Node{m}
	doc.HeadComment = fmt.Sprintf("headroom:assumptions from probe job run %s (%d tasks, egress %q) by `headroom calibrate --from-probe`\n"+
		"attempt latency p50 %.6fs p95 %.6fs (n=%d); task start → first connection p50 %.6fs p95 %.6fs (n=%d)",
		c.Run, c.Tasks, c.Egress, c.Attempts.P50, c.Attempts.P95, c.Attempts.Count, c.FirstConnect.P50, c.FirstConnect.P95, c.FirstConnect.Count)
	add := func(key string, v float64, comment string) {
		m.Content = append(m.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: key},
			&yaml.Node{Kind: yaml.ScalarNode, Value: strconv.FormatFloat(v, 'f', -1, 64), LineComment: comment})
	}
	if c.DirectEgressStartupSeconds >= 0 {
		add("directEgressStartupSeconds", c.DirectEgressStartupSeconds, "p95 of task start → first connection, less one handshake")
	}
	add("handshakeSeconds", c.HandshakeSeconds, "median attempt latency during the storm (upper bound)")
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(doc); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
