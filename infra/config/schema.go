package config

import (
	"encoding/json"
	"reflect"

	"github.com/headroom-dev/headroom/contract"
	"github.com/headroom-dev/headroom/infra/capacity"
)

// SchemaID is the published JSON Schema of a stack file; stack files point
// the YAML language server at it with a modeline.
const SchemaID = "https://github.com/headroom-dev/headroom/schemas/stack.schema.json"

// SchemaFile is the schema's path in the repository.
const SchemaFile = "schemas/stack.schema.json"

// schemaBounds are the numeric bounds and enums the schema states for a key
// pattern. Every figure comes from the capacity catalog; the decoder stays
// the authority (cross-field rules such as timeout ≤ period, the startup
// window, tier × edition and overlaps are judged there, not here).
func schemaBounds() map[string]map[string]any {
	in := func(lo, hi int) map[string]any { return map[string]any{"minimum": lo, "maximum": hi} }
	atLeast := func(lo int) map[string]any { return map[string]any{"minimum": lo} }
	enum := func(v ...string) map[string]any { return map[string]any{"enum": v} }
	out := map[string]map[string]any{
		"environment":                                  enum(string(capacity.EnvStaging), string(capacity.EnvProduction)),
		"network.regions.*.egress":                     enum(string(capacity.EgressConnector), string(capacity.EgressDirect)),
		"network.regions.*.connector.name":             {"maxLength": capacity.ConnectorNameMaxLength, "pattern": `^[a-z]([-a-z0-9]*[a-z0-9])?$`},
		"network.regions.*.connector.machineType":      enum(capacity.ConnectorMachineNames()...),
		"network.regions.*.connector.minInstances":     in(capacity.ConnectorMinInstancesFloor, capacity.ConnectorMaxInstancesCeiling-1),
		"network.regions.*.connector.maxInstances":     in(capacity.ConnectorMinInstancesFloor+1, capacity.ConnectorMaxInstancesCeiling),
		"database.edition":                             enum(capacity.EditionEnterprise, capacity.EditionEnterprisePlus),
		"database.availability":                        enum(capacity.AvailabilityZonal, capacity.AvailabilityRegional),
		"database.replicas[].availability":             enum(capacity.AvailabilityZonal, capacity.AvailabilityRegional),
		"database.version":                             {"pattern": pgVersion.String()},
		"database.maxConnections":                      in(capacity.MaxConnectionsFlagMin, capacity.MaxConnectionsFlagMax),
		"database.replicas[].maxConnections":           in(capacity.MaxConnectionsFlagMin, capacity.MaxConnectionsFlagMax),
		"database.diskSizeGb":                          atLeast(capacity.DiskSizeMinGB),
		"database.backups.retainedBackups":             in(capacity.RetainedBackupsDefault, capacity.RetainedBackupsMax),
		"database.backups.logRetentionDays":            in(capacity.LogRetentionDaysMin, capacity.LogRetentionDaysMaxPlus),
		"database.maintenanceWindow.day":               in(capacity.MaintenanceDayMin, capacity.MaintenanceDayMax),
		"database.maintenanceWindow.hour":              in(0, capacity.MaintenanceHourMax),
		"workloads[].minInstances":                     atLeast(0),
		"workloads[].maxInstances":                     atLeast(1),
		"workloads[].processes":                        atLeast(1),
		"workloads[].concurrency":                      in(0, capacity.ConcurrencyMax),
		"workloads[].db.poolSize":                      atLeast(1),
		"workloads[].db.maxOverflow":                   atLeast(0),
		"workloads[].db.startupConnections":            atLeast(0),
		"workloads[].db.connectTimeoutSeconds":         {"exclusiveMinimum": 0},
		"workloads[].egressMbpsPerInstance":            {"exclusiveMinimum": 0},
		"workloads[].startupProbe.initialDelaySeconds": in(0, capacity.StartupProbeMaxInitialDelaySeconds),
		"workloads[].startupProbe.periodSeconds":       in(capacity.StartupProbeMinPeriodSeconds, capacity.StartupProbeMaxPeriodSeconds),
		"workloads[].startupProbe.timeoutSeconds":      in(capacity.StartupProbeMinTimeoutSeconds, capacity.StartupProbeMaxTimeoutSeconds),
		"workloads[].startupProbe.failureThreshold":    atLeast(capacity.StartupProbeMinFailureThreshold),
		"workloads[].startupProbe.path":                {"pattern": "^/"},
		"targets.connectP99Seconds":                    {"exclusiveMinimum": 0},
	}
	for sec, bounds := range map[string][]contract.Bound{"targets": contract.Targets(), "assumptions": contract.Assumptions()} {
		for _, b := range bounds {
			m := map[string]any{"maximum": b.Max}
			if b.MaxOpen {
				m = map[string]any{"exclusiveMaximum": b.Max}
			}
			if b.MinOpen {
				m["exclusiveMinimum"] = b.Min
			} else {
				m["minimum"] = b.Min
			}
			out[sec+"."+b.Key] = m
		}
	}
	return out
}

// JSONSchema generates the JSON Schema of a stack file from the decoder's
// own types (json tags), key hints and the capacity catalog's bounds.
func JSONSchema() ([]byte, error) {
	bounds := schemaBounds()
	cfg := map[string]any{
		ProjectKey: map[string]any{"type": "string", "description": "the Google Cloud project ID", "pattern": projectID.String()},
	}
	st := reflect.TypeOf(Stack{})
	for i := 0; i < st.NumField(); i++ {
		f := st.Field(i)
		name := schemaName(f)
		if name == "" {
			continue
		}
		cfg[Namespace+":"+name] = schemaOf(f.Type, name, bounds)
	}
	doc := map[string]any{
		"$schema":     "https://json-schema.org/draft/2020-12/schema",
		"$id":         SchemaID,
		"title":       "Headroom stack file (stacks/Pulumi.<stack>.yaml)",
		"description": "Generated from infra/config (go test ./infra/config -run TestSchema -update). The decoder is the authority: cross-field rules are checked by headroom plan.",
		"type":        "object",
		"required":    []string{"config"},
		"properties": map[string]any{
			"config": map[string]any{
				"type":       "object",
				"required":   []string{ProjectKey, Namespace + ":environment", Namespace + ":network", Namespace + ":database", Namespace + ":workloads"},
				"properties": cfg,
			},
		},
	}
	out, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(out, '\n'), nil
}

// schemaName is a field's key in the schema; "" for fields not read from
// config (json:"-").
func schemaName(f reflect.StructField) string {
	if name := jsonName(f); name != "-" {
		return name
	}
	return ""
}

// schemaOf describes type t at key pattern p ("workloads[].db.poolSize").
func schemaOf(t reflect.Type, p string, bounds map[string]map[string]any) map[string]any {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	s := map[string]any{}
	switch t.Kind() {
	case reflect.String:
		s["type"] = "string"
	case reflect.Bool:
		s["type"] = "boolean"
	case reflect.Int, reflect.Int64:
		s["type"] = "integer"
	case reflect.Float64:
		s["type"] = "number"
	case reflect.Slice:
		s["type"] = "array"
		s["items"] = schemaOf(t.Elem(), p+"[]", bounds)
	case reflect.Map:
		s["type"] = "object"
		s["additionalProperties"] = schemaOf(t.Elem(), p+".*", bounds)
	case reflect.Struct:
		s["type"] = "object"
		s["additionalProperties"] = false
		props := map[string]any{}
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			name := schemaName(f)
			if name == "" {
				continue
			}
			props[name] = schemaOf(f.Type, p+"."+name, bounds)
		}
		s["properties"] = props
	}
	if h, ok := hints[p]; ok {
		s["description"] = h
	}
	for k, v := range bounds[p] {
		s[k] = v
	}
	return s
}
