// Package analyzer serves Headroom's policy pack over Pulumi's Analyzer gRPC
// protocol.
//
// It exists because policyx.Main cannot serve `pulumi policy analyze`:
// policyx's server creates the pack only in ConfigureStack, which
// `pulumi policy analyze` never calls, so its GetPluginInfo dereferences a
// nil pack (SIGSEGV). This server builds the pack up front with the default
// config, rebuilds it on Configure, and treats ConfigureStack as optional, so
// both call orders work:
//
//	pulumi preview/up:      Handshake → ConfigureStack → GetAnalyzerInfo → Configure → Analyze… → AnalyzeStack
//	pulumi policy analyze:  Handshake → GetAnalyzerInfo → Configure → GetPluginInfo → Remediate/Analyze… → AnalyzeStack
//
// It also routes the shared settings (environment, targets, assumptions)
// to stack policies, which policyx's server gives no config at all.
package analyzer

import (
	"context"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/policyx"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/headroom-dev/headroom/policies/pack"
)

// Server implements pulumirpc.AnalyzerServer around the pack's policyx
// policies.
type Server struct {
	pulumirpc.UnimplementedAnalyzerServer

	mu        sync.RWMutex
	cfg       pack.Config
	policies  []policyx.Policy
	handshake *pulumirpc.AnalyzerHandshakeRequest
	stackTags map[string]string
	dryRun    bool
	// configured is set by ConfigureStack: a preview or an update, not
	// `pulumi policy analyze`.
	configured bool

	// seen are the resources sent to Analyze so far, in registration
	// order, by their inputs (pack.JudgeRegistration).
	seenMu sync.Mutex
	seen   []policyx.AnalyzerResource
	seenAt map[string]int // URN → index in seen

	// timings is set when TimingsEnv names a file.
	timings *timings
}

// NewServer returns a server whose pack is ready before any configuration
// arrives (default config: production strictness, catalog levels).
func NewServer() *Server {
	s := &Server{}
	if p := os.Getenv(TimingsEnv); p != "" {
		s.timings = &timings{path: p}
	}
	s.setConfig(pack.DefaultConfig())
	return s
}

func (s *Server) setConfig(cfg pack.Config) {
	s.cfg = cfg
	s.policies = pack.Policies(cfg)
}

func (s *Server) snapshot() (pack.Config, []policyx.Policy, map[string]string) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.cfg, s.policies, s.stackTags
}

// Handshake records the engine's handshake; nothing depends on it.
func (s *Server) Handshake(_ context.Context, req *pulumirpc.AnalyzerHandshakeRequest) (*pulumirpc.AnalyzerHandshakeResponse, error) {
	s.mu.Lock()
	s.handshake = req
	s.mu.Unlock()
	return &pulumirpc.AnalyzerHandshakeResponse{}, nil
}

// GetPluginInfo returns the pack version.
func (s *Server) GetPluginInfo(context.Context, *emptypb.Empty) (*pulumirpc.PluginInfo, error) {
	return &pulumirpc.PluginInfo{Version: pack.Version}, nil
}

// GetAnalyzerInfo lists the policies with their default levels and the
// capacity-model config schema. Levels are the catalog defaults: the engine
// reconciles them with the config file and sends the result to Configure.
func (s *Server) GetAnalyzerInfo(context.Context, *emptypb.Empty) (*pulumirpc.AnalyzerInfo, error) {
	_, policies, _ := s.snapshot()
	defaults := map[string]string{}
	meta := map[string]pack.Metadata{}
	for _, p := range pack.Catalog() {
		defaults[p.Name] = p.Level
		meta[p.Name] = p.Metadata()
	}
	infos := make([]*pulumirpc.PolicyInfo, 0, len(policies))
	for _, p := range policies {
		info := &pulumirpc.PolicyInfo{
			Name:             p.Name(),
			Description:      p.Description(),
			EnforcementLevel: toRPCLevel(defaults[p.Name()]),
			PolicyType:       pulumirpc.PolicyType_POLICY_TYPE_RESOURCE,
			// The pinned policyx structs carry none of these; the
			// protocol does, so the pack's metadata goes to the engine here.
			Severity:         toRPCSeverity(meta[p.Name()].Severity),
			RemediationSteps: meta[p.Name()].Remediation,
			Url:              meta[p.Name()].HelpURL,
			Tags:             meta[p.Name()].Tags,
		}
		if _, ok := p.(policyx.StackValidationPolicy); ok {
			info.PolicyType = pulumirpc.PolicyType_POLICY_TYPE_STACK
		}
		if schema := p.ConfigSchema(); schema != nil {
			props := make(map[string]any, len(schema.Properties))
			for k, v := range schema.Properties {
				props[k] = v
			}
			st, err := structpb.NewStruct(props)
			if err != nil {
				return nil, status.Errorf(codes.Internal, "config schema of %s: %v", p.Name(), err)
			}
			info.ConfigSchema = &pulumirpc.PolicyConfigSchema{Properties: st, Required: schema.Required}
		}
		infos = append(infos, info)
	}
	return &pulumirpc.AnalyzerInfo{
		Name:           pack.Name,
		Version:        pack.Version,
		Description:    "Headroom: capacity, redundancy and security gate for Cloud Run → VPC egress → Cloud SQL.",
		Policies:       infos,
		SupportsConfig: true,
	}, nil
}

// Configure applies the reconciled policy config (levels and the
// capacity-model settings). A bad config is an InvalidArgument error naming
// the key.
func (s *Server) Configure(_ context.Context, req *pulumirpc.ConfigureAnalyzerRequest) (*emptypb.Empty, error) {
	entries := make(map[string]pack.PolicyConfig, len(req.GetPolicyConfig()))
	for name, pc := range req.GetPolicyConfig() {
		e := pack.PolicyConfig{Level: fromRPCLevel(pc.GetEnforcementLevel())}
		if props := pc.GetProperties(); props != nil {
			e.Properties = props.AsMap()
		}
		entries[name] = e
	}
	cfg, err := pack.FromPolicyConfig(entries)
	if err != nil {
		return nil, status.Error(codes.InvalidArgument, err.Error())
	}
	s.mu.Lock()
	s.setConfig(cfg)
	s.mu.Unlock()
	return &emptypb.Empty{}, nil
}

// ConfigureStack records the stack's tags and dry-run flag. The pack judges
// resources only, so the stack's own config is deliberately not read.
func (s *Server) ConfigureStack(_ context.Context, req *pulumirpc.AnalyzerStackConfigureRequest) (*pulumirpc.AnalyzerStackConfigureResponse, error) {
	s.mu.Lock()
	s.stackTags = req.GetTags()
	s.dryRun = req.GetDryRun()
	s.configured = true
	s.mu.Unlock()
	s.seenMu.Lock()
	s.seen, s.seenAt = nil, nil
	s.seenMu.Unlock()
	return &pulumirpc.AnalyzerStackConfigureResponse{}, nil
}

// collector turns reported violations into diagnostics.
type collector struct {
	policy policyx.Policy
	urn    string
	level  string
	out    *[]*pulumirpc.AnalyzeDiagnostic
}

func (c *collector) ReportViolation(message, urn string) {
	c.ReportViolationLevel(c.level, message, urn)
}

func (c *collector) ReportViolationLevel(level, message, urn string) {
	if urn == "" {
		urn = c.urn
	}
	msg := c.policy.Description()
	if message != "" {
		msg += "\n" + message
	}
	*c.out = append(*c.out, &pulumirpc.AnalyzeDiagnostic{
		PolicyName:        c.policy.Name(),
		PolicyPackName:    pack.Name,
		PolicyPackVersion: pack.Version,
		Description:       c.policy.Description(),
		Message:           msg,
		EnforcementLevel:  toRPCLevel(level),
		Urn:               urn,
		Severity:          toRPCSeverity(c.severity()),
	})
}

// severity is the policy's metadata severity.
func (c *collector) severity() string {
	if info, ok := pack.Lookup(c.policy.Name()); ok {
		return info.Metadata().Severity
	}
	return ""
}

// toRPCSeverity maps a metadata severity to the protocol's enum.
func toRPCSeverity(s string) pulumirpc.PolicySeverity {
	switch s {
	case pack.SeverityLow:
		return pulumirpc.PolicySeverity_POLICY_SEVERITY_LOW
	case pack.SeverityMedium:
		return pulumirpc.PolicySeverity_POLICY_SEVERITY_MEDIUM
	case pack.SeverityHigh:
		return pulumirpc.PolicySeverity_POLICY_SEVERITY_HIGH
	case pack.SeverityCritical:
		return pulumirpc.PolicySeverity_POLICY_SEVERITY_CRITICAL
	}
	return pulumirpc.PolicySeverity_POLICY_SEVERITY_UNSPECIFIED
}

// Analyze runs the resource policies on one resource (its inputs).
func (s *Server) Analyze(ctx context.Context, req *pulumirpc.AnalyzeRequest) (*pulumirpc.AnalyzeResponse, error) {
	start := time.Now()
	defer func() { s.timings.addAnalyze(time.Since(start)) }()
	cfg, policies, tags := s.snapshot()
	res, err := convert(req.GetType(), req.GetUrn(), req.GetName(), req.GetProperties(), req.GetOptions(), req.GetProvider())
	if err != nil {
		return nil, status.Errorf(codes.InvalidArgument, "resource %s: %v", req.GetUrn(), err)
	}
	var ds []*pulumirpc.AnalyzeDiagnostic
	for _, p := range policies {
		rp, ok := p.(policyx.ResourceValidationPolicy)
		if !ok || cfg.Level(p.Name()) == pack.LevelDisabled {
			continue
		}
		m := &collector{policy: p, urn: req.GetUrn(), level: cfg.Level(p.Name()), out: &ds}
		if err := rp.Validate(ctx, policyx.ResourceValidationArgs{Manager: m, Resource: res, StackTags: tags}); err != nil {
			return nil, fmt.Errorf("policy %s on %s: %w", p.Name(), req.GetUrn(), err)
		}
	}
	ds = append(ds, s.judgeRegistration(cfg, policies, res)...)
	return &pulumirpc.AnalyzeResponse{Diagnostics: ds}, nil
}

// judgeRegistration records res among the resources seen and, during an
// update (not a preview, where AnalyzeStack judges the whole graph, nor
// `pulumi policy analyze`), judges a Cloud Run service on the resources
// registered before it: a mandatory verdict fails its step before the
// service is created or updated (pack.JudgeRegistration).
func (s *Server) judgeRegistration(cfg pack.Config, policies []policyx.Policy, res policyx.AnalyzerResource) []*pulumirpc.AnalyzeDiagnostic {
	s.mu.RLock()
	update := s.configured && !s.dryRun
	s.mu.RUnlock()
	// Only a service during an update is judged here, so only then is the
	// list copied: a copy per resource grew as resources² (2,000 resources:
	// two million copied entries in one preview).
	judge := update && res.Type == pack.TypeRunService
	s.seenMu.Lock()
	var seen []policyx.AnalyzerResource
	if judge {
		seen = append([]policyx.AnalyzerResource(nil), s.seen...)
	}
	if s.seenAt == nil {
		s.seenAt = map[string]int{}
	}
	if i, ok := s.seenAt[res.URN]; ok {
		s.seen[i] = res
	} else {
		s.seenAt[res.URN] = len(s.seen)
		s.seen = append(s.seen, res)
	}
	s.seenMu.Unlock()
	if !judge {
		return nil
	}
	var ds []*pulumirpc.AnalyzeDiagnostic
	for _, v := range pack.JudgeRegistration(seen, res, cfg) {
		for _, p := range policies {
			if p.Name() == v.Policy {
				// Reported on the service: its step is the one refused.
				m := &collector{policy: p, urn: res.URN, level: v.Level, out: &ds}
				m.ReportViolationLevel(v.Level, v.Message, res.URN)
			}
		}
	}
	return ds
}

// AnalyzeStack runs the stack policies on every resource (their outputs).
func (s *Server) AnalyzeStack(ctx context.Context, req *pulumirpc.AnalyzeStackRequest) (*pulumirpc.AnalyzeResponse, error) {
	start := time.Now()
	cfg, policies, _ := s.snapshot()
	resources := make([]policyx.AnalyzerResource, 0, len(req.GetResources()))
	for _, r := range req.GetResources() {
		res, err := convert(r.GetType(), r.GetUrn(), r.GetName(), r.GetProperties(), r.GetOptions(), r.GetProvider())
		if err != nil {
			return nil, status.Errorf(codes.InvalidArgument, "resource %s: %v", r.GetUrn(), err)
		}
		res.Parent = r.GetParent()
		res.Dependencies = r.GetDependencies()
		res.PropertyDependencies = map[string][]string{}
		for k, deps := range r.GetPropertyDependencies() {
			if len(deps.GetUrns()) > 0 {
				res.PropertyDependencies[k] = deps.GetUrns()
			}
		}
		resources = append(resources, res)
	}
	var ds []*pulumirpc.AnalyzeDiagnostic
	for _, p := range policies {
		sp, ok := p.(policyx.StackValidationPolicy)
		if !ok || cfg.Level(p.Name()) == pack.LevelDisabled {
			continue
		}
		m := &collector{policy: p, level: cfg.Level(p.Name()), out: &ds}
		if err := sp.Validate(ctx, policyx.StackValidationArgs{Manager: m, Resources: resources}); err != nil {
			return nil, fmt.Errorf("policy %s: %w", p.Name(), err)
		}
	}
	if err := s.timings.stack(len(resources), time.Since(start)); err != nil {
		return nil, status.Errorf(codes.Internal, "%v", err)
	}
	return &pulumirpc.AnalyzeResponse{Diagnostics: ds}, nil
}

// Remediate is a no-op: the pack only validates.
func (s *Server) Remediate(context.Context, *pulumirpc.AnalyzeRequest) (*pulumirpc.RemediateResponse, error) {
	return &pulumirpc.RemediateResponse{}, nil
}

// Cancel acknowledges; every call is short and synchronous.
func (s *Server) Cancel(context.Context, *emptypb.Empty) (*emptypb.Empty, error) {
	return &emptypb.Empty{}, nil
}

// convert unmarshals a resource the way policyx does (unknowns and secrets
// kept) into a policyx.AnalyzerResource.
func convert(typ, urn, name string, props *structpb.Struct, opts *pulumirpc.AnalyzerResourceOptions,
	provider *pulumirpc.AnalyzerProviderResource,
) (policyx.AnalyzerResource, error) {
	mopts := plugin.MarshalOptions{
		Label:            "headroom.analyze",
		KeepUnknowns:     true,
		KeepSecrets:      true,
		KeepResources:    true,
		KeepOutputValues: true,
	}
	pm, err := plugin.UnmarshalProperties(props, mopts)
	if err != nil {
		return policyx.AnalyzerResource{}, err
	}
	res := policyx.AnalyzerResource{
		Type:       typ,
		URN:        urn,
		Name:       name,
		Properties: resource.FromResourcePropertyMap(pm),
		Parent:     opts.GetParent(),
	}
	if provider != nil {
		ppm, err := plugin.UnmarshalProperties(provider.GetProperties(), mopts)
		if err != nil {
			return policyx.AnalyzerResource{}, fmt.Errorf("provider: %w", err)
		}
		res.Provider = policyx.AnalyzerProviderResource{
			Type:       provider.GetType(),
			URN:        provider.GetUrn(),
			Name:       provider.GetName(),
			Properties: resource.FromResourcePropertyMap(ppm),
		}
	}
	return res, nil
}

func toRPCLevel(level string) pulumirpc.EnforcementLevel {
	switch level {
	case pack.LevelMandatory:
		return pulumirpc.EnforcementLevel_MANDATORY
	case pack.LevelDisabled:
		return pulumirpc.EnforcementLevel_DISABLED
	}
	return pulumirpc.EnforcementLevel_ADVISORY
}

func fromRPCLevel(l pulumirpc.EnforcementLevel) string {
	switch l {
	case pulumirpc.EnforcementLevel_MANDATORY:
		return pack.LevelMandatory
	case pulumirpc.EnforcementLevel_DISABLED:
		return pack.LevelDisabled
	case pulumirpc.EnforcementLevel_REMEDIATE:
		return "remediate"
	}
	return pack.LevelAdvisory
}

// Register registers a new Server on srv and returns it.
func Register(srv *grpc.Server) *Server {
	s := NewServer()
	pulumirpc.RegisterAnalyzerServer(srv, s)
	return s
}

// Main serves the pack and prints the chosen port on stdout, which is how
// the engine learns where to connect (the same protocol as policyx.Main).
// It returns when the server stops.
func Main(stdout func(port int)) error {
	handle, err := rpcutil.ServeWithOptions(rpcutil.ServeOptions{
		Init: func(srv *grpc.Server) error {
			Register(srv)
			return nil
		},
	})
	if err != nil {
		return fmt.Errorf("headroom policy pack: serve: %w", err)
	}
	stdout(handle.Port)
	if err := <-handle.Done; err != nil {
		return fmt.Errorf("headroom policy pack: %w", err)
	}
	return nil
}
