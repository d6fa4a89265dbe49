package pack

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"path"
	"sort"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/policyx"

	"github.com/headroom-dev/headroom/contract"
	"github.com/headroom-dev/headroom/infra/capacity"
)

// Config is the pack's configuration: the shared settings of the capacity
// model plus a per-policy enforcement level override.
//
// On the wire it is Pulumi's --policy-pack-config file: an object keyed by
// policy name whose values are a level string or an object
// {"enforcementLevel": …, props…} (or the version-2 form
// {"version": 2, "policies": {…}}). The shared settings are the properties of
// the capacity-model policy, because the Pulumi engine only forwards config
// keyed by a policy the pack declares, and policyx gives stack policies no
// config at all; this pack serves the Analyzer itself and routes them:
//
//	{
//	  "capacity-model": {
//	    "environment": "production",
//	    "targets": {"startupSuccessRate": 0.999, "connectP99Seconds": 30, "connectionUtilization": 0.8},
//	    "assumptions": {"connectorScaleOutSeconds": 30}
//	  },
//	  "sql-maintenance-window": "mandatory"
//	}
type Config struct {
	// Environment selects strictness; empty means production, so a
	// forgotten config can never weaken the gate.
	Environment capacity.Environment
	// Targets and Assumptions override the capacity model's defaults
	// (zero fields take the model's defaults).
	Targets     capacity.Targets
	Assumptions capacity.Assumptions
	// Levels overrides the default enforcement level per policy name:
	// "advisory", "mandatory" or "disabled".
	Levels map[string]string
	// StagingStacks are stack-name patterns (path.Match globs, e.g.
	// "dev-*") judged with staging strictness when Environment is unset;
	// every other stack is production, so an org-wide pack with no config
	// is strict everywhere.
	StagingStacks []string
	// Services are per-service demand overrides, keyed by the Cloud Run
	// service's name or logical name (docs/frameworks.md#overrides).
	Services map[string]ServiceOverride
	// ExternalDemand is the connections other stacks hold on an instance,
	// keyed by instance name, then by stack ("org/project/stack") or a
	// label: the fallback for stacks that cannot read the platform
	// stack's export (topology_stackref.go).
	ExternalDemand map[string]map[string]int
}

// ServiceOverride states the demand of a service whose code sets its pool
// (so nothing in its env says it). Nil fields are read from the service.
type ServiceOverride struct {
	PoolSize              *int     `json:"poolSize,omitempty"`
	MaxOverflow           *int     `json:"maxOverflow,omitempty"`
	Processes             *int     `json:"processes,omitempty"`
	StartupConnections    *int     `json:"startupConnections,omitempty"`
	EgressMbpsPerInstance *float64 `json:"egressMbpsPerInstance,omitempty"`
	// Database names the Cloud SQL instance the service uses.
	Database string `json:"database,omitempty"`
}

// PolicyConfig is one policy's entry as the engine sends it in Configure.
type PolicyConfig struct {
	Level      string
	Properties map[string]any
}

// DefaultConfig is the configuration used when none is given: no
// environment set, so every stack is judged as production unless it
// matches StagingStacks.
func DefaultConfig() Config {
	return Config{}
}

// Env returns the environment set in the config, production when unset.
// Judging a stack uses EnvFor, which also applies the stack-name patterns.
func (c Config) Env() capacity.Environment {
	if c.Environment == "" {
		return capacity.EnvProduction
	}
	return c.Environment
}

// EnvFor returns the environment a stack is judged in: the configured
// environment; else staging when the stack name matches a StagingStacks
// pattern; else production.
func (c Config) EnvFor(stack string) capacity.Environment {
	if c.Environment != "" {
		return c.Environment
	}
	for _, pat := range c.StagingStacks {
		if ok, err := path.Match(pat, stack); err == nil && ok && stack != "" {
			return capacity.EnvStaging
		}
	}
	return capacity.EnvProduction
}

// EnvForURN is EnvFor of the stack a resource URN belongs to.
func (c Config) EnvForURN(urn string) capacity.Environment { return c.EnvFor(urnStack(urn)) }

// Level returns the effective enforcement level of a policy.
func (c Config) Level(policy string) string {
	if l, ok := c.Levels[policy]; ok && l != "" {
		return l
	}
	if info, ok := Lookup(policy); ok {
		return info.Level
	}
	return LevelAdvisory
}

// reserved top-level keys of a Pulumi policy-pack config file that are not
// policies.
var reservedKeys = map[string]bool{"environments": true, "exceptions": true}

// ParseConfig parses a --policy-pack-config file. Errors name the key and
// what was expected.
func ParseConfig(data []byte) (Config, error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return DefaultConfig(), nil
	}
	var top map[string]any
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(&top); err != nil {
		return Config{}, fmt.Errorf("policy-pack config: want a JSON object: %w", err)
	}
	if v, ok := top["version"]; ok {
		if n, isNum := v.(json.Number); isNum {
			if n.String() != "2" {
				return Config{}, fmt.Errorf("policy-pack config: version: want 2, got %s", n)
			}
			pol, ok := top["policies"].(map[string]any)
			if !ok && top["policies"] != nil {
				return Config{}, fmt.Errorf("policy-pack config: policies: want an object, got %s", jsonType(top["policies"]))
			}
			top = pol
		}
	}
	entries := map[string]PolicyConfig{}
	for k, v := range top {
		if reservedKeys[k] {
			continue
		}
		switch val := v.(type) {
		case string:
			entries[k] = PolicyConfig{Level: val}
		case map[string]any:
			pc := PolicyConfig{Properties: map[string]any{}}
			for pk, pv := range val {
				if pk == "enforcementLevel" {
					s, ok := pv.(string)
					if !ok {
						return Config{}, fmt.Errorf("policy-pack config: %s.enforcementLevel: want a string, got %s", k, jsonType(pv))
					}
					pc.Level = s
					continue
				}
				pc.Properties[pk] = pv
			}
			entries[k] = pc
		default:
			return Config{}, fmt.Errorf("policy-pack config: %s: want a level string or an object, got %s", k, jsonType(v))
		}
	}
	return FromPolicyConfig(entries)
}

// FromPolicyConfig builds a Config from per-policy entries (the parsed file,
// or the engine's Configure request). Unknown policy names are an error,
// except "all", whose level applies to every policy.
func FromPolicyConfig(entries map[string]PolicyConfig) (Config, error) {
	cfg := DefaultConfig()
	cfg.Levels = map[string]string{}
	names := make([]string, 0, len(entries))
	for k := range entries {
		names = append(names, k)
	}
	sort.Strings(names)
	if all, ok := entries["all"]; ok && all.Level != "" {
		if err := checkLevel("all", all.Level); err != nil {
			return Config{}, err
		}
		for _, p := range catalog {
			cfg.Levels[p.info.Name] = all.Level
		}
	}
	for _, name := range names {
		if name == "all" {
			continue
		}
		e := entries[name]
		if _, ok := Lookup(name); !ok {
			return Config{}, fmt.Errorf("policy-pack config: %s: unknown policy (want one of %s)", name, strings.Join(policyNames(), ", "))
		}
		if e.Level != "" {
			if err := checkLevel(name, e.Level); err != nil {
				return Config{}, err
			}
			cfg.Levels[name] = e.Level
		}
		if name == PolicyCapacityModel {
			if err := applyModelProperties(&cfg, e.Properties); err != nil {
				return Config{}, err
			}
		} else if len(e.Properties) > 0 {
			keys := make([]string, 0, len(e.Properties))
			for k := range e.Properties {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			return Config{}, fmt.Errorf("policy-pack config: %s.%s: unknown key (shared settings belong under %q)", name, keys[0], PolicyCapacityModel)
		}
	}
	return cfg, nil
}

func checkLevel(key, level string) error {
	switch level {
	case LevelAdvisory, LevelMandatory, LevelDisabled:
		return nil
	case "remediate":
		return fmt.Errorf("policy-pack config: %s: level %q is not supported by this pack (want advisory, mandatory or disabled)", key, level)
	}
	return fmt.Errorf("policy-pack config: %s: want advisory, mandatory or disabled, got %q", key, level)
}

func policyNames() []string {
	out := make([]string, len(catalog))
	for i, p := range catalog {
		out[i] = p.info.Name
	}
	return out
}

// modelProperties is the capacity-model config object.
type modelProperties struct {
	Environment   string                     `json:"environment"`
	StagingStacks []string                   `json:"stagingStacks"`
	Services      map[string]ServiceOverride `json:"services"`
	Targets       *modelTargets              `json:"targets"`
	Assumptions   *modelAssumptions          `json:"assumptions"`
	// ExternalDemand: instance → stack or label → connections.
	ExternalDemand map[string]map[string]int `json:"externalDemand"`
}

type modelTargets struct {
	StartupSuccessRate    *float64 `json:"startupSuccessRate"`
	ConnectP99Seconds     *float64 `json:"connectP99Seconds"`
	ConnectionUtilization *float64 `json:"connectionUtilization"`
}

type modelAssumptions struct {
	ConnectorScaleOutSeconds   *float64 `json:"connectorScaleOutSeconds"`
	DirectEgressStartupSeconds *float64 `json:"directEgressStartupSeconds"`
	AcceptRatePerSecond        *float64 `json:"acceptRatePerSecond"`
	HandshakeSeconds           *float64 `json:"handshakeSeconds"`
	RetryInitialSeconds        *float64 `json:"retryInitialSeconds"`
	RetryMaxSeconds            *float64 `json:"retryMaxSeconds"`
	RetryMultiplier            *float64 `json:"retryMultiplier"`
	ReservedConnections        *float64 `json:"reservedConnections"`
	AdminSlackConnections      *float64 `json:"adminSlackConnections"`
	RampSeconds                *float64 `json:"rampSeconds"`
	Seed                       *float64 `json:"seed"`
	AcceptRatePerVCPU          *float64 `json:"acceptRatePerVCPU"`
	RevisionLingerSeconds      *float64 `json:"revisionLingerSeconds"`
	MaxInstanceOvershoot       *float64 `json:"maxInstanceOvershoot"`
}

func applyModelProperties(cfg *Config, props map[string]any) error {
	if len(props) == 0 {
		return nil
	}
	// Round-trip through JSON with DisallowUnknownFields so a typo such as
	// "target" fails with the key named instead of being ignored.
	raw, err := json.Marshal(props)
	if err != nil {
		return fmt.Errorf("policy-pack config: %s: %w", PolicyCapacityModel, err)
	}
	var mp modelProperties
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&mp); err != nil {
		return fmt.Errorf("policy-pack config: %s: %s", PolicyCapacityModel, describeJSONError(err))
	}
	prefix := PolicyCapacityModel + "."
	switch capacity.Environment(mp.Environment) {
	case "":
	case capacity.EnvStaging, capacity.EnvProduction:
		cfg.Environment = capacity.Environment(mp.Environment)
	default:
		return fmt.Errorf("policy-pack config: %senvironment: want staging or production, got %q", prefix, mp.Environment)
	}
	for i, pat := range mp.StagingStacks {
		if _, err := path.Match(pat, ""); err != nil || pat == "" {
			return fmt.Errorf("policy-pack config: %sstagingStacks[%d]: want a stack-name glob such as \"dev-*\", got %q", prefix, i, pat)
		}
	}
	cfg.StagingStacks = mp.StagingStacks
	if err := checkServiceOverrides(prefix+"services.", mp.Services); err != nil {
		return err
	}
	cfg.Services = mp.Services
	if err := checkExternalDemand(prefix+"externalDemand.", mp.ExternalDemand); err != nil {
		return err
	}
	cfg.ExternalDemand = mp.ExternalDemand
	if t := mp.Targets; t != nil {
		for _, f := range []struct {
			dst *float64
			src *float64
			b   contract.Bound
		}{
			{&cfg.Targets.StartupSuccessRate, t.StartupSuccessRate, contract.TargetStartupSuccessRate},
			{&cfg.Targets.ConnectP99Seconds, t.ConnectP99Seconds, contract.TargetConnectP99Seconds},
			{&cfg.Targets.ConnectionUtilization, t.ConnectionUtilization, contract.TargetConnectionUtilization},
		} {
			if err := setBounded(f.dst, f.src, prefix+"targets.", f.b); err != nil {
				return err
			}
		}
	}
	if a := mp.Assumptions; a != nil {
		p := prefix + "assumptions."
		for _, f := range []struct {
			dst *float64
			src *float64
			b   contract.Bound
		}{
			{&cfg.Assumptions.ConnectorScaleOutSeconds, a.ConnectorScaleOutSeconds, contract.AssumeConnectorScaleOutSeconds},
			{&cfg.Assumptions.DirectEgressStartupSeconds, a.DirectEgressStartupSeconds, contract.AssumeDirectEgressStartupSeconds},
			{&cfg.Assumptions.AcceptRatePerSecond, a.AcceptRatePerSecond, contract.AssumeAcceptRatePerSecond},
			{&cfg.Assumptions.HandshakeSeconds, a.HandshakeSeconds, contract.AssumeHandshakeSeconds},
			{&cfg.Assumptions.RetryInitialSeconds, a.RetryInitialSeconds, contract.AssumeRetryInitialSeconds},
			{&cfg.Assumptions.RetryMaxSeconds, a.RetryMaxSeconds, contract.AssumeRetryMaxSeconds},
			{&cfg.Assumptions.RetryMultiplier, a.RetryMultiplier, contract.AssumeRetryMultiplier},
			{&cfg.Assumptions.RampSeconds, a.RampSeconds, contract.AssumeRampSeconds},
			{&cfg.Assumptions.AcceptRatePerVCPU, a.AcceptRatePerVCPU, contract.AssumeAcceptRatePerVCPU},
			{&cfg.Assumptions.RevisionLingerSeconds, a.RevisionLingerSeconds, contract.AssumeRevisionLingerSeconds},
			{&cfg.Assumptions.MaxInstanceOvershoot, a.MaxInstanceOvershoot, contract.AssumeMaxInstanceOvershoot},
		} {
			if err := setBounded(f.dst, f.src, p, f.b); err != nil {
				return err
			}
		}
		for _, f := range []struct {
			dst *int
			src *float64
			b   contract.Bound
		}{
			{&cfg.Assumptions.ReservedConnections, a.ReservedConnections, contract.AssumeReservedConnections},
			{&cfg.Assumptions.AdminSlackConnections, a.AdminSlackConnections, contract.AssumeAdminSlackConnections},
		} {
			var v float64
			if err := setBounded(&v, f.src, p, f.b); err != nil {
				return err
			}
			if f.src != nil {
				*f.dst = int(v)
			}
		}
		var seed float64
		if err := setBounded(&seed, a.Seed, p, contract.AssumeSeed); err != nil {
			return err
		}
		if a.Seed != nil {
			cfg.Assumptions.Seed = int64(seed)
		}
		if a.RetryInitialSeconds != nil || a.RetryMaxSeconds != nil {
			if err := contract.CheckRetry(cfg.Assumptions.RetryInitialSeconds, cfg.Assumptions.RetryMaxSeconds); err != nil {
				return fmt.Errorf("policy-pack config: %s%s: %v", p, contract.AssumeRetryMaxSeconds.Key, err)
			}
		}
	}
	return nil
}

// setBounded checks src (when stated) against its contract bound, the same
// config validation uses, and stores it.
func setBounded(dst, src *float64, prefix string, b contract.Bound) error {
	if src == nil {
		return nil
	}
	if err := b.Check(*src); err != nil {
		return fmt.Errorf("policy-pack config: %s%s: %v", prefix, b.Key, err)
	}
	*dst = *src
	return nil
}

func describeJSONError(err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return fmt.Sprintf("%s: want %s, got %s", te.Field, te.Type.String(), te.Value)
	}
	msg := err.Error()
	// "json: unknown field \"x\"" → "unknown key \"x\"".
	msg = strings.Replace(msg, "json: unknown field", "unknown key", 1)
	return msg
}

func jsonType(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "a string"
	case bool:
		return "a boolean"
	case json.Number, float64:
		return "a number"
	case []any:
		return "an array"
	case map[string]any:
		return "an object"
	}
	return fmt.Sprintf("%T", v)
}

// modelConfigSchema is the JSON schema of the capacity-model config object,
// published in GetAnalyzerInfo so the engine validates a config file before
// the pack sees it.
func modelConfigSchema() *policyx.ConfigSchema {
	// bounded states each key's contract bound, so the engine refuses what
	// the pack would refuse, with the same range.
	bounded := func(bs []contract.Bound) map[string]any {
		out := map[string]any{}
		for _, b := range bs {
			desc := b.Doc
			if !math.IsNaN(b.Default) {
				desc += fmt.Sprintf(" Default %g.", b.Default)
			}
			m := map[string]any{"type": "number", "description": desc, "maximum": b.Max}
			if b.MaxOpen {
				delete(m, "maximum")
				m["exclusiveMaximum"] = b.Max
			}
			if b.Integer {
				m["type"] = "integer"
			}
			if b.MinOpen {
				m["exclusiveMinimum"] = b.Min
			} else {
				m["minimum"] = b.Min
			}
			out[b.Key] = m
		}
		return out
	}
	obj := func(props map[string]any) map[string]any {
		return map[string]any{"type": "object", "properties": props, "additionalProperties": false}
	}
	return &policyx.ConfigSchema{Properties: map[string]map[string]any{
		"environment": {
			"type": "string", "enum": []any{string(capacity.EnvStaging), string(capacity.EnvProduction)},
			"description": "Strictness for every stack; unset: stagingStacks decides, else production.",
		},
		"stagingStacks": {
			"type": "array", "items": map[string]any{"type": "string"},
			"description": "Stack-name globs judged as staging when environment is unset (e.g. \"dev-*\").",
		},
		"services": {
			"type": "object", "additionalProperties": serviceOverrideSchema(),
			"description": "Per-service demand overrides keyed by Cloud Run service name (docs/frameworks.md#overrides).",
		},
		"externalDemand": externalDemandSchema(),
		"targets":        obj(bounded(contract.Targets())),
		"assumptions":    obj(bounded(contract.Assumptions())),
	}}
}

// checkServiceOverrides validates the per-service overrides.
func checkServiceOverrides(prefix string, svcs map[string]ServiceOverride) error {
	names := make([]string, 0, len(svcs))
	for k := range svcs {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, name := range names {
		o := svcs[name]
		for _, f := range []struct {
			key string
			v   *int
			min int
		}{
			{"poolSize", o.PoolSize, 1}, {"maxOverflow", o.MaxOverflow, 0},
			{"processes", o.Processes, 1}, {"startupConnections", o.StartupConnections, 0},
		} {
			if f.v != nil && (*f.v < f.min || *f.v > 100000) {
				return fmt.Errorf("policy-pack config: %s%s.%s: want a whole number ≥ %d, got %d", prefix, name, f.key, f.min, *f.v)
			}
		}
		if o.EgressMbpsPerInstance != nil && (*o.EgressMbpsPerInstance < 0 || math.IsNaN(*o.EgressMbpsPerInstance)) {
			return fmt.Errorf("policy-pack config: %s%s.egressMbpsPerInstance: want a number ≥ 0, got %v", prefix, name, *o.EgressMbpsPerInstance)
		}
	}
	return nil
}

// serviceOverrideSchema is the JSON schema of one capacity-model.services
// entry.
func serviceOverrideSchema() map[string]any {
	integer := func(min int, desc string) map[string]any {
		return map[string]any{"type": "integer", "minimum": min, "description": desc}
	}
	return map[string]any{
		"type": "object", "additionalProperties": false,
		"properties": map[string]any{
			"poolSize":              integer(1, "Connections each process's pool keeps (overrides what the service's env says)."),
			"maxOverflow":           integer(0, "Connections beyond poolSize under load."),
			"processes":             integer(1, "Worker processes per instance, each with its own pool."),
			"startupConnections":    integer(0, "Connections each process opens before the instance is ready."),
			"egressMbpsPerInstance": map[string]any{"type": "number", "minimum": 0, "description": "Expected VPC egress of one instance, Mbps."},
			"database":              map[string]any{"type": "string", "description": "Name of the Cloud SQL instance the service uses."},
		},
	}
}
