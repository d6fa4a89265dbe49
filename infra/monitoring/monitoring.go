// Package monitoring declares a stack's Cloud Monitoring alert policies and
// dashboard on the numbers the capacity model reasoned about before the
// deploy: each Cloud SQL instance's backends against its connection budget,
// each connector at its maximum size and near its throughput capacity,
// each Direct VPC egress subnet's instances against its IPs, and each Cloud
// Run service's instances near maxInstances. Every threshold arrives in
// Args.Thresholds (capacity.AlertThresholds); this package holds no number
// of its own besides alignment periods. Metric types and their
// documentation: docs/monitoring.md.
package monitoring

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"

	gcpmonitoring "github.com/pulumi/pulumi-gcp/sdk/v7/go/gcp/monitoring"
	"github.com/pulumi/pulumi-gcp/sdk/v7/go/gcp/projects"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/headroom-dev/headroom/contract"
	"github.com/headroom-dev/headroom/infra/capacity"
)

// Type is the component's type token.
const Type = "headroom:monitoring:Monitoring"

// API is the Cloud Monitoring API the alert policies and dashboard need.
const API = "monitoring.googleapis.com"

// Metric types (docs/monitoring.md lists each with its documentation).
const (
	MetricBackends          = "cloudsql.googleapis.com/database/postgresql/num_backends"
	MetricConnectorInstance = "vpcaccess.googleapis.com/connector/instances"
	MetricConnectorSent     = "vpcaccess.googleapis.com/connector/sent_bytes_count"
	MetricConnectorReceived = "vpcaccess.googleapis.com/connector/received_bytes_count"
	MetricRunInstances      = "run.googleapis.com/container/instance_count"
)

// Alert kinds: the first segment of each policy's logical name and its
// headroom-alert label.
const (
	KindDatabaseConnections = "db-connections"
	KindConnectorInstances  = "connector-instances"
	KindConnectorThroughput = "connector-throughput"
	KindSubnetIPs           = "direct-subnet-ips"
	KindServiceInstances    = "service-instances"
)

const (
	// alignment is the alignment period and condition duration: one
	// sample period of these metrics (they are sampled every 60 s).
	alignment  = "60s"
	comparison = "COMPARISON_GT"
	// LabelAlert names the alert kind on each policy.
	LabelAlert = "headroom-alert"
)

// Args configure the component.
type Args struct {
	// Project is the GCP project id.
	Project string
	// Stack names the stack in display names and labels.
	Stack string
	// Thresholds are the capacity model's numbers for this stack.
	Thresholds capacity.Alerts
	// NotificationChannels every policy notifies
	// (projects/<p>/notificationChannels/<id>).
	NotificationChannels []string
	// Watched maps an alert's subject (a service, instance, connector or
	// subnet name) to its resource: the alert on that subject waits for it,
	// so a policy never watches something not yet declared. Each alert
	// depends on its own subject only; a dependency on every service from
	// every alert grew as services² (800 services → 650,000 edges).
	Watched map[string]pulumi.Resource
}

// Monitoring is the component.
type Monitoring struct {
	pulumi.ResourceState

	API *projects.Service
	// Policies by logical name ("<kind>-<subject>").
	Policies  map[string]*gcpmonitoring.AlertPolicy
	Dashboard *gcpmonitoring.Dashboard
}

// Alert is one alert policy as declared: what it watches and its threshold.
type Alert struct {
	Name     string // logical name "<kind>-<subject>"
	Kind     string
	Subject  string // instance, connector, subnet or service name
	Title    string
	Severity string // WARNING or ERROR
	// Conditions, each "value > Threshold" on Query (OR-combined).
	Conditions []Condition
	Doc        string
}

// Condition is one threshold condition.
type Condition struct {
	Title     string
	Query     Query
	Threshold float64
}

// Query is a Monitoring time-series filter with its aggregation.
type Query struct {
	Filter      string
	Aligner     string
	Reducer     string
	GroupBy     []string
	Unit        string // y-axis label on the dashboard
	LineLabel   string // label of the drawn threshold
	LimitLabel  string // label of the drawn limit (when Limit > 0)
	Limit       float64
	DisplayName string
}

// dependsOn is what one alert policy waits for: the Monitoring API and the
// resource its subject names, if the program declared one.
func (a *Args) dependsOn(api pulumi.Resource, al Alert) []pulumi.Resource {
	if r, ok := a.Watched[al.Subject]; ok && r != nil {
		return []pulumi.Resource{api, r}
	}
	return []pulumi.Resource{api}
}

// Alerts lists the policies Args declare, in a stable order. It is the
// whole mapping from thresholds to queries; New only creates resources.
func (a *Args) Alerts() []Alert {
	th := a.Thresholds
	pct := strconv.FormatFloat(th.Utilization*100, 'f', -1, 64) + " %"
	var out []Alert
	for _, d := range th.Databases {
		q := Query{
			Filter: fmt.Sprintf(`resource.type="cloudsql_database" AND resource.labels.database_id="%s:%s" AND metric.type="%s"`,
				a.Project, d.Database, MetricBackends),
			Aligner: "ALIGN_MAX", Reducer: "REDUCE_SUM", GroupBy: []string{"resource.label.database_id"},
			Unit: "backends", LineLabel: "connection budget (" + pct + " of usable)",
			Limit: float64(d.MaxConnections), LimitLabel: "max_connections", DisplayName: d.Database + " backends",
		}
		out = append(out, Alert{
			Name: KindDatabaseConnections + "-" + d.Database, Kind: KindDatabaseConnections, Subject: d.Database,
			Title:    fmt.Sprintf("%s: Cloud SQL %s backends above the connection budget (%d)", a.Stack, d.Database, d.Backends),
			Severity: "ERROR",
			Conditions: []Condition{{
				Title: fmt.Sprintf("num_backends > %d (max_connections %d)", d.Backends, d.MaxConnections), Query: q, Threshold: float64(d.Backends),
			}},
			Doc: fmt.Sprintf("Server connections on %s exceed the connection budget the deploy gate checked: "+
				"(max_connections %d − reserved) × %s = %d. The next cold start, rollout or failover may be refused slots. "+
				"Runbook: docs/runbook.md#connections.", d.Database, d.MaxConnections, pct, d.Backends),
		})
	}
	for _, c := range th.Connectors {
		base := fmt.Sprintf(`resource.type="vpc_access_connector" AND resource.labels.connector_name="%s" AND resource.labels.location="%s"`, c.Connector, c.Region)
		inst := Query{
			Filter:  base + fmt.Sprintf(` AND metric.type="%s"`, MetricConnectorInstance),
			Aligner: "ALIGN_MAX", Reducer: "REDUCE_SUM", GroupBy: []string{"resource.label.connector_name"},
			Unit: "instances", LineLabel: "at maximum (alert above)", Limit: float64(c.MaxInstances), LimitLabel: "maxInstances",
			DisplayName: c.Connector + " instances",
		}
		out = append(out, Alert{
			Name: KindConnectorInstances + "-" + c.Connector, Kind: KindConnectorInstances, Subject: c.Connector,
			Title:    fmt.Sprintf("%s: connector %s at its maximum of %d instances", a.Stack, c.Connector, c.MaxInstances),
			Severity: "ERROR",
			Conditions: []Condition{{
				Title: fmt.Sprintf("instances > %d (maxInstances %d)", c.InstancesThreshold(), c.MaxInstances), Query: inst, Threshold: float64(c.InstancesThreshold()),
			}},
			Doc: fmt.Sprintf("Connector %s (%s) runs at its maxInstances %d: it cannot scale out further and never scales in. "+
				"Runbook: docs/runbook.md#egress.", c.Connector, c.Region, c.MaxInstances),
		})
		var conds []Condition
		for _, m := range []struct{ metric, dir string }{{MetricConnectorSent, "sent"}, {MetricConnectorReceived, "received"}} {
			q := Query{
				Filter:  base + fmt.Sprintf(` AND metric.type="%s"`, m.metric),
				Aligner: "ALIGN_RATE", Reducer: "REDUCE_SUM", GroupBy: []string{"resource.label.connector_name"},
				Unit: "bytes/s", LineLabel: pct + " of capacity at maxInstances",
				Limit: c.CapacityMaxMbps * capacity.BytesPerMegabit, LimitLabel: "capacity at maxInstances",
				DisplayName: c.Connector + " " + m.dir,
			}
			conds = append(conds, Condition{
				Title: fmt.Sprintf("%s bytes/s > %g (%s of %g Mbps)", m.dir, c.ThroughputBytesPerSecond, pct, c.CapacityMaxMbps),
				Query: q, Threshold: c.ThroughputBytesPerSecond,
			})
		}
		out = append(out, Alert{
			Name: KindConnectorThroughput + "-" + c.Connector, Kind: KindConnectorThroughput, Subject: c.Connector,
			Title:      fmt.Sprintf("%s: connector %s near its throughput capacity", a.Stack, c.Connector),
			Severity:   "WARNING",
			Conditions: conds,
			Doc: fmt.Sprintf("Connector %s (%s) carries more than %s of the %g Mbps its machine type gives at maxInstances %d "+
				"(per-instance throughput is an inference, docs/gcp-limits.md#vpc-connector). Runbook: docs/runbook.md#egress.",
				c.Connector, c.Region, pct, c.CapacityMaxMbps, c.MaxInstances),
		})
	}
	for _, s := range th.Subnets {
		q := Query{
			Filter: fmt.Sprintf(`resource.type="cloud_run_revision" AND resource.labels.location="%s" AND resource.labels.service_name=one_of(%s) AND metric.type="%s"`,
				s.Region, quoteList(s.Services), MetricRunInstances),
			Aligner: "ALIGN_MAX", Reducer: "REDUCE_SUM", GroupBy: []string{"resource.label.location"},
			Unit: "instances", LineLabel: pct + " of the instances the subnet's IPs carry",
			Limit: float64(s.InstanceCapacity), LimitLabel: "instances the subnet's IPs carry",
			DisplayName: s.Subnet + " instances",
		}
		out = append(out, Alert{
			Name: KindSubnetIPs + "-" + s.Subnet, Kind: KindSubnetIPs, Subject: s.Subnet,
			Title:    fmt.Sprintf("%s: Direct VPC egress subnet %s running out of IPs", a.Stack, s.Subnet),
			Severity: "WARNING",
			Conditions: []Condition{{
				Title: fmt.Sprintf("Σ instances > %d (%s of %d the subnet's %d usable IPs carry)", s.Instances, pct, s.InstanceCapacity, s.UsableIPs),
				Query: q, Threshold: float64(s.Instances),
			}},
			Doc: fmt.Sprintf("Cloud Monitoring has no free-IP metric for a subnet; this watches the instances of %s, each holding about %d IPs of %s (%s, %d usable). "+
				"Runbook: docs/runbook.md#egress.", strings.Join(s.Services, ", "), capacity.DirectEgressIPsPerInstance, s.Subnet, s.CIDR, s.UsableIPs),
		})
	}
	for _, s := range th.Services {
		q := Query{
			Filter: fmt.Sprintf(`resource.type="cloud_run_revision" AND resource.labels.service_name="%s" AND resource.labels.location="%s" AND metric.type="%s"`,
				s.Service, s.Region, MetricRunInstances),
			Aligner: "ALIGN_MAX", Reducer: "REDUCE_SUM", GroupBy: []string{"resource.label.service_name"},
			Unit: "instances", LineLabel: pct + " of maxInstances", Limit: float64(s.MaxInstances), LimitLabel: "maxInstances",
			DisplayName: s.Service + " instances",
		}
		out = append(out, Alert{
			Name: KindServiceInstances + "-" + s.Service, Kind: KindServiceInstances, Subject: s.Service,
			Title:    fmt.Sprintf("%s: Cloud Run %s near maxInstances (%d)", a.Stack, s.Service, s.MaxInstances),
			Severity: "WARNING",
			Conditions: []Condition{{
				Title: fmt.Sprintf("instances > %d (%s of maxInstances %d)", s.Instances, pct, s.MaxInstances), Query: q, Threshold: float64(s.Instances),
			}},
			Doc: fmt.Sprintf("%s runs more than %s of its maxInstances %d; the connection budget counts every one of them at full pool. "+
				"Runbook: docs/runbook.md#instances.", s.Service, pct, s.MaxInstances),
		})
	}
	return out
}

func quoteList(ss []string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = strconv.Quote(s)
	}
	return strings.Join(q, ", ")
}

// New declares the monitoring API, one alert policy per Alert and one
// dashboard.
func New(ctx *pulumi.Context, name string, args *Args, opts ...pulumi.ResourceOption) (*Monitoring, error) {
	if args == nil || args.Project == "" {
		return nil, fmt.Errorf("monitoring %q: project is required", name)
	}
	m := &Monitoring{Policies: map[string]*gcpmonitoring.AlertPolicy{}}
	if err := ctx.RegisterComponentResource(Type, name, m, opts...); err != nil {
		return nil, fmt.Errorf("monitoring %q: %w", name, err)
	}
	parent := pulumi.Parent(m)
	project := pulumi.String(args.Project)
	api, err := projects.NewService(ctx, API, &projects.ServiceArgs{
		Project: project, Service: pulumi.String(API),
		DisableOnDestroy: pulumi.Bool(false), DisableDependentServices: pulumi.Bool(false),
	}, parent)
	if err != nil {
		return nil, fmt.Errorf("monitoring %q: api: %w", name, err)
	}
	m.API = api
	channels := pulumi.ToStringArray(args.NotificationChannels)
	alerts := args.Alerts()
	for _, al := range alerts {
		var conds gcpmonitoring.AlertPolicyConditionArray
		for _, c := range al.Conditions {
			conds = append(conds, gcpmonitoring.AlertPolicyConditionArgs{
				DisplayName: pulumi.String(c.Title),
				ConditionThreshold: gcpmonitoring.AlertPolicyConditionConditionThresholdArgs{
					Filter:         pulumi.String(c.Query.Filter),
					Comparison:     pulumi.String(comparison),
					ThresholdValue: pulumi.Float64(c.Threshold),
					Duration:       pulumi.String(alignment),
					Aggregations: gcpmonitoring.AlertPolicyConditionConditionThresholdAggregationArray{
						gcpmonitoring.AlertPolicyConditionConditionThresholdAggregationArgs{
							AlignmentPeriod:    pulumi.String(alignment),
							PerSeriesAligner:   pulumi.String(c.Query.Aligner),
							CrossSeriesReducer: pulumi.String(c.Query.Reducer),
							GroupByFields:      pulumi.ToStringArray(c.Query.GroupBy),
						},
					},
					Trigger: gcpmonitoring.AlertPolicyConditionConditionThresholdTriggerArgs{Count: pulumi.Int(1)},
				},
			})
		}
		p, err := gcpmonitoring.NewAlertPolicy(ctx, al.Name, &gcpmonitoring.AlertPolicyArgs{
			Project:              project,
			DisplayName:          pulumi.String(al.Title),
			Combiner:             pulumi.String("OR"),
			Conditions:           conds,
			Severity:             pulumi.String(al.Severity),
			NotificationChannels: channels,
			Documentation: gcpmonitoring.AlertPolicyDocumentationArgs{
				Content:  pulumi.String(al.Doc),
				MimeType: pulumi.String("text/markdown"),
			},
			UserLabels: pulumi.StringMap{
				contract.LabelManagedBy: pulumi.String(contract.ManagedBy),
				LabelAlert:              pulumi.String(al.Kind),
				"headroom-stack":        pulumi.String(labelValue(args.Stack)),
			},
		}, parent, pulumi.DependsOn(args.dependsOn(api, al)))
		if err != nil {
			return nil, fmt.Errorf("monitoring %q: alert policy %s: %w", name, al.Name, err)
		}
		m.Policies[al.Name] = p
	}
	dj, err := DashboardJSON(args.Stack, alerts)
	if err != nil {
		return nil, fmt.Errorf("monitoring %q: dashboard: %w", name, err)
	}
	m.Dashboard, err = gcpmonitoring.NewDashboard(ctx, "capacity", &gcpmonitoring.DashboardArgs{
		Project:       project,
		DashboardJson: pulumi.String(dj),
	}, parent, pulumi.DependsOn([]pulumi.Resource{api}))
	if err != nil {
		return nil, fmt.Errorf("monitoring %q: dashboard: %w", name, err)
	}
	names := make([]string, 0, len(m.Policies))
	for n := range m.Policies {
		names = append(names, n)
	}
	sort.Strings(names)
	if err := ctx.RegisterResourceOutputs(m, pulumi.Map{"alertPolicies": pulumi.ToStringArray(names)}); err != nil {
		return nil, fmt.Errorf("monitoring %q: outputs: %w", name, err)
	}
	return m, nil
}

// labelValue makes s a valid label value (lowercase letters, digits, _ and -).
func labelValue(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') || r == '-' || r == '_' {
			b.WriteRune(r)
		} else {
			b.WriteRune('_')
		}
	}
	return b.String()
}

// Dashboard JSON (the Cloud Monitoring v1 Dashboard resource).
type (
	dashboard struct {
		DisplayName  string       `json:"displayName"`
		MosaicLayout mosaicLayout `json:"mosaicLayout"`
	}
	mosaicLayout struct {
		Columns int    `json:"columns"`
		Tiles   []tile `json:"tiles"`
	}
	tile struct {
		XPos   int    `json:"xPos"`
		YPos   int    `json:"yPos"`
		Width  int    `json:"width"`
		Height int    `json:"height"`
		Widget widget `json:"widget"`
	}
	widget struct {
		Title   string  `json:"title"`
		XYChart xyChart `json:"xyChart"`
	}
	xyChart struct {
		DataSets   []dataSet   `json:"dataSets"`
		Thresholds []threshold `json:"thresholds"`
		YAxis      axis        `json:"yAxis"`
	}
	dataSet struct {
		TimeSeriesQuery timeSeriesQuery `json:"timeSeriesQuery"`
		PlotType        string          `json:"plotType"`
		LegendTemplate  string          `json:"legendTemplate"`
	}
	timeSeriesQuery struct {
		TimeSeriesFilter timeSeriesFilter `json:"timeSeriesFilter"`
	}
	timeSeriesFilter struct {
		Filter      string      `json:"filter"`
		Aggregation aggregation `json:"aggregation"`
	}
	aggregation struct {
		AlignmentPeriod    string   `json:"alignmentPeriod"`
		PerSeriesAligner   string   `json:"perSeriesAligner"`
		CrossSeriesReducer string   `json:"crossSeriesReducer"`
		GroupByFields      []string `json:"groupByFields"`
	}
	threshold struct {
		Label      string  `json:"label"`
		Value      float64 `json:"value"`
		Color      string  `json:"color"`
		Direction  string  `json:"direction"`
		TargetAxis string  `json:"targetAxis"`
	}
	axis struct {
		Label string `json:"label"`
		Scale string `json:"scale"`
	}
)

// DashboardJSON is the dashboard: one chart per alert, its metrics as
// lines and its alert threshold (and the hard limit behind it) drawn as
// threshold lines.
func DashboardJSON(stack string, alerts []Alert) (string, error) {
	d := dashboard{DisplayName: "Headroom capacity: " + stack, MosaicLayout: mosaicLayout{Columns: 12}}
	for i, al := range alerts {
		w := widget{Title: al.Title}
		var lim threshold
		for _, c := range al.Conditions {
			w.XYChart.DataSets = append(w.XYChart.DataSets, dataSet{
				TimeSeriesQuery: timeSeriesQuery{TimeSeriesFilter: timeSeriesFilter{
					Filter: c.Query.Filter,
					Aggregation: aggregation{
						AlignmentPeriod: alignment, PerSeriesAligner: c.Query.Aligner,
						CrossSeriesReducer: c.Query.Reducer, GroupByFields: c.Query.GroupBy,
					},
				}},
				PlotType: "LINE", LegendTemplate: c.Query.DisplayName,
			})
			w.XYChart.YAxis = axis{Label: c.Query.Unit, Scale: "LINEAR"}
			if len(w.XYChart.Thresholds) == 0 {
				w.XYChart.Thresholds = append(w.XYChart.Thresholds, threshold{
					Label: "alert: " + c.Query.LineLabel, Value: c.Threshold, Color: "YELLOW", Direction: "ABOVE", TargetAxis: "Y1",
				})
				if c.Query.Limit > 0 {
					lim = threshold{Label: "limit: " + c.Query.LimitLabel, Value: c.Query.Limit, Color: "RED", Direction: "ABOVE", TargetAxis: "Y1"}
				}
			}
		}
		if lim.Label != "" {
			w.XYChart.Thresholds = append(w.XYChart.Thresholds, lim)
		}
		d.MosaicLayout.Tiles = append(d.MosaicLayout.Tiles, tile{XPos: (i % 2) * 6, YPos: (i / 2) * 4, Width: 6, Height: 4, Widget: w})
	}
	b, err := json.Marshal(d)
	return string(b), err
}
