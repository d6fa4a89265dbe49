package contract

// The DB_* env contract: what the program sets on every Cloud Run service
// (and the probe job) and what the pack reads demand and the database
// binding from. Values are decimal integers unless stated; DB_EXTRA_POOLS
// is JSON (EncodeExtraPools / DecodeExtraPools).
const (
	// EnvDBHost is the database's private IP.
	EnvDBHost = "DB_HOST"
	// EnvDBName is the database name.
	EnvDBName = "DB_NAME"
	// EnvDBUser is the IAM database user (the service account's email
	// without ".gserviceaccount.com").
	EnvDBUser = "DB_USER"
	// EnvDBPoolSize is the main pool's size per process.
	EnvDBPoolSize = "DB_POOL_SIZE"
	// EnvDBMaxOverflow is the main pool's overflow per process.
	EnvDBMaxOverflow = "DB_MAX_OVERFLOW"
	// EnvDBStartupConnections is what one process opens at startup.
	EnvDBStartupConnections = "DB_STARTUP_CONNECTIONS"
	// EnvDBConnectTimeout is the application's connect timeout, seconds.
	EnvDBConnectTimeout = "DB_CONNECT_TIMEOUT_SECONDS"
	// EnvDBInstance is the Cloud SQL instance's name.
	EnvDBInstance = "DB_INSTANCE"
	// EnvDBProcesses is the number of worker processes per instance, each
	// with its own pools (absent = 1).
	EnvDBProcesses = "DB_PROCESSES"
	// EnvDBExtraPools is a JSON array of the further pools each process opens
	// besides the main one (DB_POOL_SIZE …), e.g.
	// [{"name":"asyncpg","poolSize":8,"maxOverflow":0,"startupConnections":1}].
	EnvDBExtraPools = "DB_EXTRA_POOLS"
)

// EnvNames lists the whole DB_* contract.
func EnvNames() []string {
	return []string{EnvDBHost, EnvDBName, EnvDBUser, EnvDBPoolSize, EnvDBMaxOverflow,
		EnvDBStartupConnections, EnvDBConnectTimeout, EnvDBInstance, EnvDBProcesses, EnvDBExtraPools}
}
