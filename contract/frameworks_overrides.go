package contract

// Per-service demand overrides a team sets on its Cloud Run service when its
// code sets the pool (so no env value says it): the same keys as the pack
// config's capacity-model.services.<service> object. Annotations take the
// headroom.dev/ prefix; labels (whose keys allow no '/' or '.') the
// headroom- prefix. The pack config wins over the resource's own values;
// Headroom's DB_* env contract wins over both.
const (
	OverridePoolSize           = "pool-size"
	OverrideMaxOverflow        = "max-overflow"
	OverrideProcesses          = "processes"
	OverrideStartupConnections = "startup-connections"
	OverrideEgressMbps         = "egress-mbps-per-instance"
	OverrideDatabase           = "database"

	OverrideAnnotationPrefix = "headroom.dev/"
	OverrideLabelPrefix      = "headroom-"
)

// OverrideKeys lists the override keys in the order they are documented.
var OverrideKeys = []string{OverridePoolSize, OverrideMaxOverflow, OverrideProcesses,
	OverrideStartupConnections, OverrideEgressMbps, OverrideDatabase}

// OverrideAnnotation is the annotation key of an override.
func OverrideAnnotation(key string) string { return OverrideAnnotationPrefix + key }

// OverrideLabel is the label key of an override.
func OverrideLabel(key string) string { return OverrideLabelPrefix + key }
