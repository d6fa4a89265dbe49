package capacity

// RemedyKind names one kind of change a finding's message proposes.
type RemedyKind string

// Every change a finding can propose in machine-readable form. The message
// says it in prose; Finding.Remedies carries the same change so a tool
// (`headroom suggest`) can try it without parsing the text. A new remedy in
// a message needs a kind here and a candidate in suggest: suggest's tests
// iterate over RemedyKinds and fail for a kind it does not turn into an
// edit.
const (
	// RemedyMaxConnections: raise database Target's max_connections to
	// ≥ Value (a larger tier when Value is above the tier's ceiling).
	RemedyMaxConnections RemedyKind = "max-connections"
	// RemedyLowerMaxInstances: lower workload group Target's maxInstances
	// (per region) to ≤ Value.
	RemedyLowerMaxInstances RemedyKind = "lower-max-instances"
	// RemedyConnectorMinInstances: raise region Target's connector
	// minInstances to ≥ Value on its machine type.
	RemedyConnectorMinInstances RemedyKind = "connector-min-instances"
	// RemedyConnectorMachineType: switch region Target's connector to
	// MachineType with minInstances ≥ Value.
	RemedyConnectorMachineType RemedyKind = "connector-machine-type"
	// RemedyDirectEgress: use Direct VPC egress in region Target.
	RemedyDirectEgress RemedyKind = "direct-egress"
	// RemedyDirectSubnetPrefix: a Direct VPC egress subnet in region Target
	// of prefix length ≤ Value (a /Value or larger).
	RemedyDirectSubnetPrefix RemedyKind = "direct-subnet-prefix"
	// RemedyHTTPStartupProbe: an HTTP startup probe (startupProbe.path) on
	// workload Target.
	RemedyHTTPStartupProbe RemedyKind = "http-startup-probe"
	// RemedyProbeWindow: a startup probe window of ≥ Value seconds on
	// workload Target (covering its connect timeout).
	RemedyProbeWindow RemedyKind = "probe-window"
	// RemedyRegionalAvailability: make primary Target REGIONAL (HA).
	RemedyRegionalAvailability RemedyKind = "regional-availability"
	// RemedyCrossRegionReplica: give primary Target a replica in another
	// region.
	RemedyCrossRegionReplica RemedyKind = "cross-region-replica"
)

// RemedyKinds lists every kind, in a stable order.
var RemedyKinds = []RemedyKind{
	RemedyMaxConnections, RemedyLowerMaxInstances, RemedyConnectorMinInstances, RemedyConnectorMachineType,
	RemedyDirectEgress, RemedyDirectSubnetPrefix, RemedyHTTPStartupProbe, RemedyProbeWindow,
	RemedyRegionalAvailability, RemedyCrossRegionReplica,
}

// Remedy is one change a finding proposes (see RemedyKind for what Target
// and Value mean per kind).
type Remedy struct {
	Kind RemedyKind
	// Target is a database instance, a workload group (service name) or a
	// region, per Kind.
	Target string
	// Value is the number the message names, per Kind.
	Value int
	// MachineType is the connector machine type of
	// RemedyConnectorMachineType.
	MachineType string
}

// flagFix is flag with the machine-readable remedies of the message.
func (an *analysis) flagFix(fix []Remedy, check, subject string, sev Severity, format string, args ...any) {
	n := len(an.r.Findings)
	an.flag(check, subject, sev, format, args...)
	if len(an.r.Findings) > n {
		an.r.Findings[n].Remedies = fix
	}
}
