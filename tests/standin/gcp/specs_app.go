package gcp

import "fmt"

// The application-settings bindings (a workload's secret accessors and its
// services' invokers). Both are generated IAM "member" resources: the
// common fields come from tpgiamresource/resource_iam_member.go (role,
// member, condition ForceNew) and the parent's fields from the generated
// iam_*.go file of the product, read at v5.42.0 (the GA provider's files at
// that tag have the same schema maps).
const (
	TypeSecretIAMMember = "gcp:secretmanager/secretIamMember:SecretIamMember"
	TypeRunIAMMember    = "gcp:cloudrunv2/serviceIamMember:ServiceIamMember"

	fileSecretIAM = "services/secretmanager/iam_secret_manager_secret.go"
	fileRunIAM    = "services/cloudrunv2/iam_cloud_run_v2_service.go"
)

func init() {
	specs[TypeSecretIAMMember] = &Spec{
		// SecretManagerSecretIamSchema: project Optional+Computed+ForceNew,
		// secret_id Required+ForceNew (DiffSuppressFunc
		// CompareSelfLinkOrResourceName).
		Token: TypeSecretIAMMember, File: fileIAMMember, Project: true,
		Required: []string{"secretId", "role", "member"},
		Replace: append(forceNew(fileIAMMember, "role", "member", "condition"),
			forceNew(fileSecretIAM, "project", "secret_id")...),
		Computed: []string{"etag"},
		shape:    shapeSecretIAMMember,
	}
	specs[TypeRunIAMMember] = &Spec{
		// CloudRunV2ServiceIamSchema: project and location
		// Optional+Computed+ForceNew (location falls back to the provider's
		// region), name Required+ForceNew.
		Token: TypeRunIAMMember, File: fileIAMMember, Project: true, RegionKey: "location",
		Required: []string{"name", "role", "member"},
		Replace: append(forceNew(fileIAMMember, "role", "member", "condition"),
			forceNew(fileRunIAM, "project", "location", "name")...),
		Computed: []string{"etag"},
		shape:    shapeRunIAMMember,
	}
}

// shapeSecretIAMMember: the provider's ID is "<secret resource> <role>
// <member>"; a short secret ID is qualified with the project.
func shapeSecretIAMMember(c *shapeCtx) string {
	secret := c.str("secretId")
	if len(secret) < 9 || secret[:9] != "projects/" {
		secret = fmt.Sprintf("projects/%s/secrets/%s", c.project, secret)
	}
	c.set("etag", fmt.Sprintf("BwY%08x", digits(secret+c.str("role")+c.str("member"), 8)))
	return fmt.Sprintf("%s %s %s", secret, c.str("role"), c.str("member"))
}

func shapeRunIAMMember(c *shapeCtx) string {
	svc := fmt.Sprintf("projects/%s/locations/%s/services/%s", c.project, c.str("location"), c.str("name"))
	c.set("etag", fmt.Sprintf("BwY%08x", digits(svc+c.str("role")+c.str("member"), 8)))
	return fmt.Sprintf("%s %s %s", svc, c.str("role"), c.str("member"))
}
