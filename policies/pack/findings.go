package pack

import (
	"errors"
	"fmt"

	"github.com/headroom-dev/headroom/infra/capacity"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/policyx"
)

// finding is one verdict of a policy before its enforcement level is applied.
type finding struct {
	msg string
	urn string
	// advisory findings are reported at advisory level whatever the
	// policy's level (unknown values, warnings, non-production leniency).
	advisory bool
	// unknown is set for "cannot verify until known" findings.
	unknown *Unknown
}

// findings collects the verdicts of one policy on one resource or stack.
type findings struct {
	urn string
	out []finding
}

func (f *findings) fail(format string, args ...any) {
	f.out = append(f.out, finding{msg: fmt.Sprintf(format, args...), urn: f.urn})
}

func (f *findings) warn(format string, args ...any) {
	f.out = append(f.out, finding{msg: fmt.Sprintf(format, args...), urn: f.urn, advisory: true})
}

func (f *findings) unknown(r *policyx.AnalyzerResource, path string) {
	u := Unknown{Resource: r.URN, Path: path}
	f.out = append(f.out, finding{msg: u.Message(), urn: r.URN, advisory: true, unknown: &u})
}

// rule reports a broken rule of the capacity catalog on subject (e.g.
// "service api"): a *capacity.RuleError is shown at the resource's own
// spelling of its field (fieldFor maps the rule's field; nil keeps it), in
// the catalog's words, so the stack config and the pack give the same reason.
func (f *findings) rule(subject string, err error, fieldFor func(string) string) {
	var re *capacity.RuleError
	if !errors.As(err, &re) {
		f.fail("%s: %v", subject, err)
		return
	}
	field := re.Field
	if fieldFor != nil {
		field = fieldFor(re.Field)
	}
	if re.Inferred {
		// A rule resting on our own inference is advice, never mandatory.
		f.warn("%s: %s: %s (%s)", subject, field, re.Reason(), re.Source())
		return
	}
	f.fail("%s: %s: %s (%s)", subject, field, re.Reason(), re.Source())
}

// resourceCheck judges one resource of the types its policy lists.
type resourceCheck func(r *policyx.AnalyzerResource, cfg Config, f *findings)
