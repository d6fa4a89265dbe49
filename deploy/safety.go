package deploy

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"

	"github.com/headroom-dev/headroom/contract"
	"github.com/headroom-dev/headroom/report"
)

// Change safety: a preview that would replace or delete a resource that
// holds state or carries every request of the path is refused unless the
// operator names that resource in --allow-replace. The engine announces
// each step in a ResourcePreEvent; these are the operations that destroy
// the resource the step is about (pkg/resource/deploy/step.go in Pulumi):
// a replacement shows up as create-replacement + replace + delete-replaced
// (or delete-replaced first with deleteBeforeReplace), a removal as delete.
var destructiveOps = map[apitype.OpType]bool{
	apitype.OpDelete:            true,
	apitype.OpReplace:           true,
	apitype.OpCreateReplacement: true,
	apitype.OpDeleteReplaced:    true,
	// Replacing a resource by an imported one deletes the old one too.
	apitype.OpImportReplacement: true,
}

// Resource types whose replacement or deletion loses data or cuts the path.
const (
	typeSQLInstance = contract.TypeSQLInstance
	typeSQLDatabase = contract.TypeSQLDatabase
	typeConnector   = contract.TypeConnector
	typeNetwork     = contract.TypeNetwork
	typeSubnetwork  = contract.TypeSubnetwork
	typeCloudRun    = contract.TypeRunService
)

// statefulReason says why a type is stateful. A subnetwork is only when a
// Cloud Run service sends Direct VPC egress through it (decided below).
var statefulReason = map[string]string{
	typeSQLInstance: "Cloud SQL instance (primary or replica): a new instance starts empty, with a new private IP and connection name",
	typeSQLDatabase: "Cloud SQL database: dropping it drops its data",
	typeConnector:   "Serverless VPC Access connector: every request of the services behind it fails until the new one is ready",
	typeNetwork:     "VPC network: replacing it recreates every subnet, connector, peering and private IP in it",
	typeSubnetwork:  "subnet in use by Direct VPC egress: the services sending egress through it lose their network interface",
}

// stepOps is what the engine announced for one URN.
type stepOps struct {
	typ         string
	ops         map[apitype.OpType]bool
	names       []string // identities a Cloud Run service may reference
	diffs       []string
	replaceKeys []string
}

// StatefulChanges lists the destructive operations on stateful resources
// that the events of a preview or update announce, sorted by URN. It never
// looks at refresh events: a refresh's "delete" means the resource is gone
// from the cloud already, not that the program will remove it.
func StatefulChanges(evs []apitype.EngineEvent) []report.StatefulChange {
	byURN := map[string]*stepOps{}
	var directRefs []string
	for _, e := range evs {
		if e.ResourcePreEvent == nil {
			continue
		}
		m := e.ResourcePreEvent.Metadata
		typ := m.Type
		for _, st := range []*apitype.StepEventStateMetadata{m.Old, m.New} {
			if st != nil && typ == "" {
				typ = st.Type
			}
		}
		if typ == typeCloudRun {
			for _, st := range []*apitype.StepEventStateMetadata{m.Old, m.New} {
				if st != nil {
					directRefs = append(directRefs, directSubnets(st.Inputs)...)
					directRefs = append(directRefs, directSubnets(st.Outputs)...)
				}
			}
		}
		s := byURN[m.URN]
		if s == nil {
			s = &stepOps{typ: typ, ops: map[apitype.OpType]bool{}}
			byURN[m.URN] = s
		}
		s.ops[m.Op] = true
		s.names = append(s.names, urnName(m.URN))
		for _, st := range []*apitype.StepEventStateMetadata{m.Old, m.New} {
			if st == nil {
				continue
			}
			s.names = append(s.names, st.ID)
			for _, props := range []map[string]any{st.Inputs, st.Outputs} {
				for _, k := range []string{"name", "selfLink", "id"} {
					if v, ok := props[k].(string); ok {
						s.names = append(s.names, v)
					}
				}
			}
		}
		for k := range m.DetailedDiff {
			s.diffs = append(s.diffs, k)
		}
		if len(m.DetailedDiff) == 0 {
			s.diffs = append(s.diffs, m.Diffs...)
		}
		s.replaceKeys = append(s.replaceKeys, m.Keys...)
	}
	var out []report.StatefulChange
	for urn, s := range byURN {
		op, ok := destructive(s.ops)
		if !ok {
			continue
		}
		reason, ok := statefulReason[s.typ]
		if !ok {
			continue
		}
		if s.typ == typeSubnetwork && !referenced(s.names, directRefs) {
			continue
		}
		c := report.StatefulChange{Op: op, Type: s.typ, Name: urnName(urn), URN: urn, Reason: reason}
		// Replacement keys (the properties that force it) say why; the
		// diff's paths are the fallback.
		c.Properties = uniqSorted(s.replaceKeys)
		if len(c.Properties) == 0 && op == string(apitype.OpReplace) {
			c.Properties = uniqSorted(s.diffs)
		}
		out = append(out, c)
	}
	out = append(out, protectedRefusals(evs, out)...)
	sort.Slice(out, func(i, j int) bool { return out[i].URN < out[j].URN })
	return out
}

// protectedRefusals are the engine's own refusals to replace or delete a
// resource that carries Pulumi's protect option. A refused replacement
// fails the preview before its steps are announced, so it is only in the
// error diagnostics (pkg/resource/deploy step_generator.go: "unable to
// replace resource \"URN\" …"; step.go: "resource \"URN\" cannot be
// deleted …").
func protectedRefusals(evs []apitype.EngineEvent, seen []report.StatefulChange) []report.StatefulChange {
	known := map[string]bool{}
	for _, c := range seen {
		known[c.URN] = true
	}
	var out []report.StatefulChange
	for _, e := range evs {
		d := e.DiagnosticEvent
		if d == nil || d.Severity != "error" {
			continue
		}
		msg := d.Message
		op := ""
		switch {
		case strings.Contains(msg, "unable to replace resource \""):
			op = string(apitype.OpReplace)
			msg = msg[strings.Index(msg, "unable to replace resource \"")+len("unable to replace resource "):]
		case strings.Contains(msg, "cannot be deleted") && strings.Contains(msg, "protected"):
			op = string(apitype.OpDelete)
			msg = msg[strings.Index(msg, "resource \"")+len("resource "):]
		default:
			continue
		}
		urn, err := strconv.QuotedPrefix(msg)
		if err != nil {
			continue
		}
		urn, _ = strconv.Unquote(urn)
		if known[urn] || !resource.URN(urn).IsValid() {
			continue
		}
		known[urn] = true
		typ := string(resource.URN(urn).Type())
		reason := statefulReason[typ]
		if reason == "" {
			reason = "protected resource"
		}
		out = append(out, report.StatefulChange{Op: op, Type: typ, Name: urnName(urn), URN: urn, Protected: true,
			Reason: reason + "; it carries Pulumi's protect option, so the engine refused (pulumi state unprotect first)"})
	}
	return out
}

// protectedNames lists the changes the engine refused as protected.
func protectedNames(cs []report.StatefulChange) []string {
	var out []string
	for _, c := range cs {
		if c.Protected {
			out = append(out, c.Name)
		}
	}
	return out
}

// destructive reduces the ops announced for one resource to one word:
// "replace" for any part of a replacement, else "delete".
func destructive(ops map[apitype.OpType]bool) (string, bool) {
	for _, op := range []apitype.OpType{apitype.OpReplace, apitype.OpCreateReplacement, apitype.OpDeleteReplaced, apitype.OpImportReplacement} {
		if ops[op] {
			return string(apitype.OpReplace), true
		}
	}
	if ops[apitype.OpDelete] {
		return string(apitype.OpDelete), true
	}
	return "", false
}

// directSubnets returns the subnetworks a Cloud Run v2 service's
// properties name for Direct VPC egress
// (template.vpcAccess.networkInterfaces[].subnetwork).
func directSubnets(props map[string]any) []string {
	tpl, _ := props["template"].(map[string]any)
	va, _ := tpl["vpcAccess"].(map[string]any)
	nis, _ := va["networkInterfaces"].([]any)
	var out []string
	for _, ni := range nis {
		m, _ := ni.(map[string]any)
		if s, ok := m["subnetwork"].(string); ok && s != "" {
			out = append(out, s)
		}
	}
	return out
}

// referenced reports whether a service's subnetwork reference (a name, an
// id or a URL ending in /subnetworks/<name>) names one of a subnet's
// identities.
func referenced(names, refs []string) bool {
	for _, n := range names {
		if n == "" {
			continue
		}
		for _, r := range refs {
			if r == n || strings.HasSuffix(r, "/subnetworks/"+n) {
				return true
			}
		}
	}
	return false
}

func uniqSorted(in []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range in {
		if s != "" && !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	sort.Strings(out)
	return out
}

// AllowList is the --allow-replace flag: URNs or resource names whose
// replacement or deletion the operator accepts for this run.
type AllowList []string

// Check validates the entries: each is a URN (urn:pulumi:…::…) or a
// resource name without whitespace.
func (a AllowList) Check() error {
	for _, s := range a {
		switch {
		case strings.TrimSpace(s) == "":
			return fmt.Errorf("%w: --allow-replace: empty value, expected a resource URN or name", ErrUsage)
		case strings.ContainsAny(s, " \t\n"):
			return fmt.Errorf("%w: --allow-replace %q: expected a resource URN or name without spaces", ErrUsage, s)
		case strings.HasPrefix(s, "urn:") && (!strings.HasPrefix(s, "urn:pulumi:") || !strings.Contains(s, "::")):
			return fmt.Errorf("%w: --allow-replace %q: not a Pulumi URN (urn:pulumi:STACK::PROJECT::TYPE::NAME)", ErrUsage, s)
		}
	}
	return nil
}

// allows reports whether an entry names the change's resource: its URN
// exactly, or its name (the URN's last segment).
func (a AllowList) allows(c report.StatefulChange) bool {
	for _, s := range a {
		if s == c.URN || s == c.Name {
			return true
		}
	}
	return false
}

// Apply marks the changes the list allows and returns the ones it does
// not (they refuse the operation).
func (a AllowList) Apply(cs []report.StatefulChange) (refused []report.StatefulChange) {
	for i := range cs {
		cs[i].Allowed = a.allows(cs[i])
		if !cs[i].Allowed {
			refused = append(refused, cs[i])
		}
	}
	return refused
}

// refusal is the one-line reason of a refused preview.
func refusal(refused []report.StatefulChange) string {
	parts := make([]string, 0, len(refused))
	for _, c := range refused {
		parts = append(parts, fmt.Sprintf("%s %s (%s)", c.Op, c.Name, c.Type))
	}
	return fmt.Sprintf("the preview would %s; pass --allow-replace NAME for each one you accept (protected resources must be unprotected first); nothing was changed",
		strings.Join(parts, ", "))
}
