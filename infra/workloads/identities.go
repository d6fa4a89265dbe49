package workloads

import (
	"fmt"
	"strings"

	"github.com/pulumi/pulumi-gcp/sdk/v7/go/gcp/projects"
	"github.com/pulumi/pulumi-gcp/sdk/v7/go/gcp/serviceaccount"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// IdentitiesType is the identities component's type token.
const IdentitiesType = "headroom:workloads:Identities"

// Roles every workload's service account gets on the project: connect to
// Cloud SQL (cloudsql.client) and log in with IAM database authentication
// (cloudsql.instanceUser).
var Roles = []string{"roles/cloudsql.client", "roles/cloudsql.instanceUser"}

// IdentitiesArgs configure the workloads' service accounts. They are a
// component of their own because the database component needs their
// e-mails (IAM database users) before the Cloud Run services can be
// declared with the database's private IP.
type IdentitiesArgs struct {
	Project string
	// Workloads are the workload names, one service account each (shared by
	// the workload's regions, so one database user per workload).
	Workloads []string
	// DependsOn should include the IAM API.
	DependsOn []pulumi.Resource
	// ExtraRoles are further project roles per workload
	// (headroom:workloads[].serviceAccountRoles), granted after Roles.
	ExtraRoles map[string][]string
}

// Identities is the component.
type Identities struct {
	pulumi.ResourceState

	Accounts map[string]*serviceaccount.Account
	// Members are the role grants per workload.
	Members map[string][]*projects.IAMMember
}

// NewIdentities creates one service account per workload with Roles.
func NewIdentities(ctx *pulumi.Context, name string, args *IdentitiesArgs, opts ...pulumi.ResourceOption) (*Identities, error) {
	if args == nil || args.Project == "" {
		return nil, fmt.Errorf("identities %q: project is required", name)
	}
	id := &Identities{Accounts: map[string]*serviceaccount.Account{}, Members: map[string][]*projects.IAMMember{}}
	if err := ctx.RegisterComponentResource(IdentitiesType, name, id, opts...); err != nil {
		return nil, fmt.Errorf("identities %q: %w", name, err)
	}
	parent := pulumi.Parent(id)
	emails := pulumi.StringMap{}
	for _, w := range args.Workloads {
		if _, dup := id.Accounts[w]; dup {
			return nil, fmt.Errorf("identities %q: workload %s listed twice", name, w)
		}
		acct, err := serviceaccount.NewAccount(ctx, w+"-sa", &serviceaccount.AccountArgs{
			Project:     pulumi.String(args.Project),
			AccountId:   pulumi.String(AccountID(w)),
			DisplayName: pulumi.String("Headroom workload " + w + " (Cloud Run)"),
			Description: pulumi.String("Runs " + w + " on Cloud Run; logs in to Cloud SQL with IAM database authentication."),
		}, parent, pulumi.DependsOn(args.DependsOn))
		if err != nil {
			return nil, fmt.Errorf("identities %q: account %s: %w", name, w, err)
		}
		id.Accounts[w] = acct
		emails[w] = acct.Email
		for _, role := range append(append([]string{}, Roles...), args.ExtraRoles[w]...) {
			m, err := projects.NewIAMMember(ctx, w+"-"+strings.TrimPrefix(strings.ReplaceAll(role, ".", "-"), "roles/"), &projects.IAMMemberArgs{
				Project: pulumi.String(args.Project),
				Role:    pulumi.String(role),
				Member:  acct.Member,
			}, parent)
			if err != nil {
				return nil, fmt.Errorf("identities %q: %s %s: %w", name, w, role, err)
			}
			id.Members[w] = append(id.Members[w], m)
		}
	}
	if err := ctx.RegisterResourceOutputs(id, pulumi.Map{"emails": emails}); err != nil {
		return nil, fmt.Errorf("identities %q: outputs: %w", name, err)
	}
	return id, nil
}

// Email returns a workload's service account e-mail.
func (id *Identities) Email(workload string) (pulumi.StringOutput, bool) {
	a, ok := id.Accounts[workload]
	if !ok {
		return pulumi.StringOutput{}, false
	}
	return a.Email, true
}

// AccountID derives a service account id from a workload name: GCP wants
// 6–30 characters, [a-z][-a-z0-9]*[a-z0-9] (IAM API rule, not in
// docs/gcp-limits.md). "-run" marks it as a Cloud Run identity and pads short
// names; long names are cut at 30.
func AccountID(workload string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(workload) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
		default:
			b.WriteRune('-')
		}
	}
	id := strings.Trim(b.String(), "-")
	if id == "" || id[0] < 'a' || id[0] > 'z' {
		id = "w" + id
	}
	id += "-run"
	if len(id) > 30 {
		id = id[:30]
	}
	id = strings.TrimRight(id, "-")
	if len(id) < 6 {
		id += strings.Repeat("0", 6-len(id))
	}
	return id
}
