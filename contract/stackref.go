package contract

import (
	"encoding/json"
	"fmt"
	"math"
	"net/netip"
	"slices"
	"sort"
	"strings"

	"github.com/headroom-dev/headroom/infra/capacity"
)

// The budget across stacks: a platform stack (our program) owns the
// database, app stacks own services that use it. No single preview sees
// the whole budget, so the platform stack exports its databases and the
// demand every stack holds on them as one stack output, StackRefOutput;
// an app stack reads it with a StackReference and exports it again with
// its own demand, and the policy pack, judging the app stack's preview,
// reads that output (or a StackReference's, where read resources are in the
// graph) and counts the other stacks' demand against the exported databases
// (docs/cli.md#budget-across-stacks).

const (
	// TypeStackReference is the type token of a Pulumi StackReference
	// resource; its properties are name, outputs and secretOutputNames.
	TypeStackReference = "pulumi:pulumi:StackReference"
	// TypeRootStack is the type token of a stack's root resource, whose
	// outputs are the stack outputs: under the engine the pack sees the
	// stack's own StackRefOutput there (read resources such as a
	// StackReference are not passed to a policy pack's stack policies).
	TypeRootStack = "pulumi:pulumi:Stack"
	// StackRefOutput is the stack output that carries a StackExport.
	StackRefOutput = "headroomCapacity"
	// StackExportVersion is the schema version this code writes and reads.
	StackExportVersion = 1
)

// StackRefNames lists the names above, for the walls test.
func StackRefNames() []string { return []string{TypeStackReference, StackRefOutput} }

// StackExport is the value of StackRefOutput.
type StackExport struct {
	// Stack is the fully-qualified name ("org/project/stack") of the stack
	// that wrote the export.
	Stack string
	// Databases are the Cloud SQL instances the stack owns.
	Databases []ExportedDatabase
	// Demand is what each stack's Cloud Run services hold on a database
	// at full scale: the writer's own and, for a platform stack, what its
	// consumer stacks export (republished).
	Demand []StackDemand
}

// ExportedDatabase is one exported instance: the capacity model's view
// plus what a service in another stack names it by.
type ExportedDatabase struct {
	// Database carries name, region, tier, edition, availability, the
	// explicit max_connections (0: the tier default), the primary of a
	// replica and the declared non-Cloud-Run consumers.
	capacity.Database
	// ConnectionName is "project:region:instance".
	ConnectionName string
	// PrivateIP is the instance's private address, "" when unknown.
	PrivateIP string
}

// StackDemand is the connections one stack's services hold on one database.
type StackDemand struct {
	Stack    string // fully-qualified stack name
	Database string // instance name
	// Connections is the demand at full scale: Σ max instances × the
	// connections one instance may hold (capacity.FullScaleDemand).
	Connections int
	// StartupConnections is Σ max instances × what one instance opens
	// before it is ready (the reconnect storm after a restart).
	StartupConnections int
	// Services are the Cloud Run services counted, sorted.
	Services []string
}

// SplitStackName splits a fully-qualified stack name "org/project/stack".
func SplitStackName(s string) (org, project, stack string, err error) {
	parts := strings.Split(s, "/")
	if len(parts) != 3 || slices.Contains(parts, "") || strings.TrimSpace(s) != s {
		return "", "", "", fmt.Errorf("%q: want a fully-qualified stack name \"org/project/stack\"", s)
	}
	return parts[0], parts[1], parts[2], nil
}

// EncodeStackExport renders an export as plain values (maps, slices,
// strings, float64 numbers): what a stack output holds and what
// DecodeStackExport reads back. Optional fields are left out when empty.
func EncodeStackExport(e StackExport) map[string]any {
	dbs := make([]any, 0, len(e.Databases))
	for _, d := range e.Databases {
		m := map[string]any{
			"name": d.Name, "connectionName": d.ConnectionName, "region": d.Region, "tier": d.Tier,
		}
		opt := map[string]string{"privateIp": d.PrivateIP, "edition": d.Edition, "availability": d.Availability, "replicaOf": d.ReplicaOf}
		for k, v := range opt {
			if v != "" {
				m[k] = v
			}
		}
		if d.MaxConnections > 0 {
			m["maxConnections"] = float64(d.MaxConnections)
		}
		if len(d.Consumers) > 0 {
			cs := make([]any, 0, len(d.Consumers))
			for _, c := range d.Consumers {
				cs = append(cs, map[string]any{"name": c.Name, "connections": float64(c.Connections)})
			}
			m["consumers"] = cs
		}
		dbs = append(dbs, m)
	}
	demand := make([]any, 0, len(e.Demand))
	for _, d := range e.Demand {
		svcs := make([]any, 0, len(d.Services))
		for _, s := range d.Services {
			svcs = append(svcs, s)
		}
		demand = append(demand, map[string]any{
			"stack": d.Stack, "database": d.Database, "connections": float64(d.Connections),
			"startupConnections": float64(d.StartupConnections), "services": svcs,
		})
	}
	return map[string]any{
		"version": float64(StackExportVersion), "stack": e.Stack, "databases": dbs, "demand": demand,
	}
}

// DecodeStackExport reads a StackRefOutput value. It is strict: unknown
// keys, missing required fields, wrong types, negative counts, a name
// given twice and a newer version are errors of one line naming the field
// (e.g. "headroomCapacity.databases[0].tier: want a string").
func DecodeStackExport(v any) (StackExport, error) {
	d := decoder{}
	e := d.export(v)
	if d.err != nil {
		return StackExport{}, d.err
	}
	return e, nil
}

// maxCount bounds every connection count (Cloud SQL's max_connections
// ceiling is 262,143; a sum over many stacks stays far below this).
const maxCount = 1 << 30

type decoder struct{ err error }

func (d *decoder) fail(path, format string, args ...any) {
	if d.err == nil {
		d.err = fmt.Errorf("%s: %s", path, fmt.Sprintf(format, args...))
	}
}

// object reads v as an object whose keys are among required and optional.
func (d *decoder) object(path string, v any, required, optional []string) map[string]any {
	m, ok := v.(map[string]any)
	if !ok {
		d.fail(path, "want an object, got %s", kindOf(v))
		return nil
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if !slices.Contains(required, k) && !slices.Contains(optional, k) {
			d.fail(path, "unknown key %q (want %s)", k, strings.Join(append(append([]string(nil), required...), optional...), ", "))
			return nil
		}
	}
	for _, k := range required {
		if _, ok := m[k]; !ok {
			d.fail(path+"."+k, "required")
			return nil
		}
	}
	return m
}

func (d *decoder) str(path string, m map[string]any, k string, nonEmpty bool) string {
	v, ok := m[k]
	if !ok {
		return ""
	}
	s, isStr := v.(string)
	if !isStr {
		d.fail(path+"."+k, "want a string, got %s", kindOf(v))
		return ""
	}
	if nonEmpty && strings.TrimSpace(s) == "" {
		d.fail(path+"."+k, "want a non-empty string")
	}
	return s
}

func (d *decoder) count(path string, m map[string]any, k string) int {
	v, ok := m[k]
	if !ok {
		return 0
	}
	n, ok := number(v)
	if !ok || n != math.Trunc(n) || n < 0 || n > maxCount {
		d.fail(path+"."+k, "want a whole number between 0 and %d, got %s", maxCount, describeValue(v))
		return 0
	}
	return int(n)
}

func (d *decoder) list(path string, m map[string]any, k string) []any {
	v, ok := m[k]
	if !ok || v == nil {
		return nil
	}
	a, isList := v.([]any)
	if !isList {
		d.fail(path+"."+k, "want an array, got %s", kindOf(v))
	}
	return a
}

func (d *decoder) export(v any) StackExport {
	p := StackRefOutput
	m := d.object(p, v, []string{"version", "stack"}, []string{"databases", "demand"})
	if m == nil {
		return StackExport{}
	}
	if n, ok := number(m["version"]); !ok || n != StackExportVersion {
		d.fail(p+".version", "want %d, got %s (a newer Headroom wrote it: upgrade the policy pack)", StackExportVersion, describeValue(m["version"]))
		return StackExport{}
	}
	e := StackExport{Stack: d.str(p, m, "stack", true)}
	if d.err == nil {
		if _, _, _, err := SplitStackName(e.Stack); err != nil {
			d.fail(p+".stack", "%v", err)
		}
	}
	seen := map[string]bool{}
	for i, item := range d.list(p, m, "databases") {
		db := d.database(fmt.Sprintf("%s.databases[%d]", p, i), item)
		if d.err != nil {
			return StackExport{}
		}
		if seen[db.Name] {
			d.fail(fmt.Sprintf("%s.databases[%d].name", p, i), "%q is given twice", db.Name)
			return StackExport{}
		}
		seen[db.Name] = true
		e.Databases = append(e.Databases, db)
	}
	pairs := map[[2]string]bool{}
	for i, item := range d.list(p, m, "demand") {
		sd := d.demand(fmt.Sprintf("%s.demand[%d]", p, i), item)
		if d.err != nil {
			return StackExport{}
		}
		key := [2]string{sd.Stack, sd.Database}
		if pairs[key] {
			d.fail(fmt.Sprintf("%s.demand[%d]", p, i), "stack %q on database %q is given twice", sd.Stack, sd.Database)
			return StackExport{}
		}
		pairs[key] = true
		e.Demand = append(e.Demand, sd)
	}
	return e
}

func (d *decoder) database(path string, v any) ExportedDatabase {
	m := d.object(path, v, []string{"name", "connectionName", "region", "tier"},
		[]string{"privateIp", "edition", "availability", "maxConnections", "replicaOf", "consumers"})
	if m == nil {
		return ExportedDatabase{}
	}
	db := ExportedDatabase{
		Database: capacity.Database{
			Name: d.str(path, m, "name", true), Region: d.str(path, m, "region", true), Tier: d.str(path, m, "tier", true),
			Edition: d.str(path, m, "edition", false), Availability: d.str(path, m, "availability", false),
			MaxConnections: d.count(path, m, "maxConnections"), ReplicaOf: d.str(path, m, "replicaOf", false),
		},
		ConnectionName: d.str(path, m, "connectionName", true),
		PrivateIP:      d.str(path, m, "privateIp", false),
	}
	if d.err != nil {
		return db
	}
	if !IsConnectionName(db.ConnectionName) || InstanceOfConnectionName(db.ConnectionName) != db.Name {
		d.fail(path+".connectionName", "%q: want \"project:region:%s\"", db.ConnectionName, db.Name)
		return db
	}
	if db.PrivateIP != "" {
		if _, err := netip.ParseAddr(db.PrivateIP); err != nil {
			d.fail(path+".privateIp", "%q: want an IP address", db.PrivateIP)
			return db
		}
	}
	for i, item := range d.list(path, m, "consumers") {
		cp := fmt.Sprintf("%s.consumers[%d]", path, i)
		cm := d.object(cp, item, []string{"name", "connections"}, nil)
		if cm == nil {
			return db
		}
		db.Consumers = append(db.Consumers, capacity.Consumer{Name: d.str(cp, cm, "name", true), Connections: d.count(cp, cm, "connections")})
	}
	return db
}

func (d *decoder) demand(path string, v any) StackDemand {
	m := d.object(path, v, []string{"stack", "database", "connections"}, []string{"startupConnections", "services"})
	if m == nil {
		return StackDemand{}
	}
	sd := StackDemand{
		Stack: d.str(path, m, "stack", true), Database: d.str(path, m, "database", true),
		Connections: d.count(path, m, "connections"), StartupConnections: d.count(path, m, "startupConnections"),
	}
	if d.err != nil {
		return sd
	}
	if _, _, _, err := SplitStackName(sd.Stack); err != nil {
		d.fail(path+".stack", "%v", err)
		return sd
	}
	for i, s := range d.list(path, m, "services") {
		name, ok := s.(string)
		if !ok || name == "" {
			d.fail(fmt.Sprintf("%s.services[%d]", path, i), "want a non-empty string, got %s", describeValue(s))
			return sd
		}
		sd.Services = append(sd.Services, name)
	}
	return sd
}

// number reads the numeric forms a decoded value takes: float64 (JSON,
// Pulumi property values), json.Number and Go integers.
func number(v any) (float64, bool) {
	switch n := v.(type) {
	case float64:
		return n, !math.IsNaN(n) && !math.IsInf(n, 0)
	case int:
		return float64(n), true
	case int64:
		return float64(n), true
	case json.Number:
		f, err := n.Float64()
		return f, err == nil
	}
	return 0, false
}

func kindOf(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "a string"
	case bool:
		return "a boolean"
	case []any:
		return "an array"
	case map[string]any:
		return "an object"
	}
	if _, ok := number(v); ok {
		return "a number"
	}
	return fmt.Sprintf("%T", v)
}

// describeValue names a scalar in an error (one line, bounded).
func describeValue(v any) string {
	switch x := v.(type) {
	case string:
		if len(x) > 40 {
			x = x[:40] + "…"
		}
		return fmt.Sprintf("%q", x)
	case nil, []any, map[string]any, bool:
		return kindOf(v)
	}
	if n, ok := number(v); ok {
		return fmt.Sprintf("%g", n)
	}
	return kindOf(v)
}
