package gcpfake

import (
	"fmt"

	"github.com/headroom-dev/headroom/contract"
)

// The application-settings bindings: a workload's secret accessors and its
// services' invokers (IAM "member" resources; IDs as the Terraform provider
// v5.42.0 forms them).
func init() {
	shapes[contract.TypeSecretIAMMember] = shapeSecretIAMMember
	shapes[contract.TypeRunIAMMember] = shapeRunIAMMember
}

// shapeSecretIAMMember: the provider's ID is "<secret resource> <role>
// <member>"; a short secret ID is qualified with the project.
func shapeSecretIAMMember(c *Ctx) string {
	secret := c.Str("secretId")
	if len(secret) < 9 || secret[:9] != "projects/" {
		secret = fmt.Sprintf("projects/%s/secrets/%s", c.Project, secret)
	}
	c.Set("etag", fmt.Sprintf("BwY%08x", digits(secret+c.Str("role")+c.Str("member"), 8)))
	return fmt.Sprintf("%s %s %s", secret, c.Str("role"), c.Str("member"))
}

func shapeRunIAMMember(c *Ctx) string {
	svc := fmt.Sprintf("projects/%s/locations/%s/services/%s", c.Project, c.Str("location"), c.Str("name"))
	c.Set("etag", fmt.Sprintf("BwY%08x", digits(svc+c.Str("role")+c.Str("member"), 8)))
	return fmt.Sprintf("%s %s %s", svc, c.Str("role"), c.Str("member"))
}
