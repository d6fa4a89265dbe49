package contract

// Resource type tokens of pulumi-gcp v7 (the "gcp:<module>/<lowerType>:<Type>"
// form of https://www.pulumi.com/registry/packages/gcp/api-docs/), as the
// program creates them, the offline mocks and the stand-in provider fake
// them, and the pack and the deploy gate judge them.
const (
	TypeNetwork       = "gcp:compute/network:Network"
	TypeSubnetwork    = "gcp:compute/subnetwork:Subnetwork"
	TypeGlobalAddress = "gcp:compute/globalAddress:GlobalAddress"
	TypePSAConnection = "gcp:servicenetworking/connection:Connection"
	TypeConnector     = "gcp:vpcaccess/connector:Connector"
	TypeSQLInstance   = "gcp:sql/databaseInstance:DatabaseInstance"
	TypeSQLUser       = "gcp:sql/user:User"
	TypeSQLDatabase   = "gcp:sql/database:Database"
	TypeRunService    = "gcp:cloudrunv2/service:Service"
	TypeRunJob        = "gcp:cloudrunv2/job:Job"
	TypeAccount       = "gcp:serviceaccount/account:Account"
	TypeIAMMember     = "gcp:projects/iAMMember:IAMMember"
	TypeAPIService    = "gcp:projects/service:Service"
)

// Types lists every type token above, for the walls test and the fakes.
func Types() []string {
	return []string{TypeNetwork, TypeSubnetwork, TypeGlobalAddress, TypePSAConnection, TypeConnector,
		TypeSQLInstance, TypeSQLUser, TypeSQLDatabase, TypeRunService, TypeRunJob, TypeAccount,
		TypeIAMMember, TypeAPIService}
}
