package gcp

import "github.com/headroom-dev/headroom/contract"

// The application-settings bindings (a workload's secret accessors and its
// services' invokers). Both are generated IAM "member" resources: the
// common fields come from tpgiamresource/resource_iam_member.go (role,
// member, condition ForceNew) and the parent's fields from the generated
// iam_*.go file of the product, read at v5.42.0 (the GA provider's files at
// that tag have the same schema maps).
const (
	TypeSecretIAMMember = contract.TypeSecretIAMMember
	TypeRunIAMMember    = contract.TypeRunIAMMember

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
	}
}
