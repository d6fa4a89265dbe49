package contract

// Names the program writes on a Cloud Run service and the policy pack reads
// back, for the application settings of a workload (env, secrets, ingress,
// invokers). The pack judges any graph by these names; the program is one
// writer of them among others (a hand-written program may set them too).

// LabelPublic is the Cloud Run service label that states a service is meant
// to be reachable by anyone: with value LabelPublicValue, a production
// service may grant roles/run.invoker to allUsers. Without it the pack
// refuses such a grant in production, because an unauthenticated invoker
// is the one IAM binding that turns an internal API into a public one.
const (
	LabelPublic      = "headroom-public"
	LabelPublicValue = "true"
)

// ReservedEnvPrefix marks the database contract's variables (DB_HOST,
// DB_POOL_SIZE, …): the program writes them from headroom:workloads[].db,
// so an application variable may not use the prefix.
const ReservedEnvPrefix = "DB_"

// Ingress settings as stack keys say them, and the Cloud Run v2 API values
// they stand for (https://cloud.google.com/run/docs/securing/ingress).
const (
	IngressAll                 = "all"
	IngressInternal            = "internal"
	IngressInternalAndCloudLBs = "internal-and-cloud-load-balancing"
)

// Ingresses lists the ingress settings, in the order docs and errors give them.
var Ingresses = []string{IngressAll, IngressInternal, IngressInternalAndCloudLBs}

// ingressAPI maps a setting to the Cloud Run v2 API's enum value.
var ingressAPI = map[string]string{
	IngressAll:                 "INGRESS_TRAFFIC_ALL",
	IngressInternal:            "INGRESS_TRAFFIC_INTERNAL_ONLY",
	IngressInternalAndCloudLBs: "INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER",
}

// IngressAPIValue is the Cloud Run v2 API value of an ingress setting; ok is
// false for an unknown setting.
func IngressAPIValue(setting string) (string, bool) {
	v, ok := ingressAPI[setting]
	return v, ok
}

// IngressFromAPI is the setting of a Cloud Run v2 API ingress value (""
// when the value is unknown or empty; the API's default is
// INGRESS_TRAFFIC_ALL).
func IngressFromAPI(v string) string {
	for k, a := range ingressAPI {
		if a == v {
			return k
		}
	}
	return ""
}

// IAM principals that mean "anyone"
// (https://cloud.google.com/iam/docs/principals-overview#all-users).
const (
	AllUsers              = "allUsers"
	AllAuthenticatedUsers = "allAuthenticatedUsers"
)

// IsPublicMember reports whether an IAM member grants access to anyone:
// allUsers, or allAuthenticatedUsers (any Google account, which is anyone
// who signs up).
func IsPublicMember(m string) bool { return m == AllUsers || m == AllAuthenticatedUsers }

// Roles the program grants for an application's settings.
const (
	// RoleRunInvoker lets a principal call a Cloud Run service
	// (https://cloud.google.com/run/docs/securing/managing-access).
	RoleRunInvoker = "roles/run.invoker"
	// RoleSecretAccessor lets a principal read a secret's payload
	// (https://cloud.google.com/secret-manager/docs/access-control).
	RoleSecretAccessor = "roles/secretmanager.secretAccessor"
)

// SecretVersionLatest is the Secret Manager version alias that follows the
// newest enabled version.
const SecretVersionLatest = "latest"
