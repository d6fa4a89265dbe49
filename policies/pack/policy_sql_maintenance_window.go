package pack

import (
	"fmt"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/policyx"

	"github.com/headroom-dev/headroom/infra/capacity"
)

// PolicySQLMaintenance advises a maintenance window on a primary.
const PolicySQLMaintenance = "sql-maintenance-window"

var sqlMaintenancePolicy = policy{
	info: PolicyInfo{
		Name: PolicySQLMaintenance, Kind: KindResource, Level: LevelAdvisory, Types: []string{TypeSQLInstance},
		Description: fmt.Sprintf("A Cloud SQL primary has a maintenance window (day %d–%d, hour %d–%d UTC).",
			capacity.MaintenanceDayMin, capacity.MaintenanceDayMax, capacity.MaintenanceHourMin, capacity.MaintenanceHourMax),
	},
	meta: Metadata{
		Severity: SeverityLow, Tags: []string{"reliability"},
		Remediation: fmt.Sprintf("Set headroom:database.maintenanceWindow: day %d–%d, hour %d–%d (UTC), at the quietest hour.",
			capacity.MaintenanceDayMin, capacity.MaintenanceDayMax, capacity.MaintenanceHourMin, capacity.MaintenanceHourMax),
	},
	resource: checkSQLMaintenance,
}

func checkSQLMaintenance(r *policyx.AnalyzerResource, _ Config, f *findings) {
	p := r.Properties
	name := resourceName(r)
	switch replicaState(p) {
	case stOK:
		return // replicas follow their primary's maintenance
	case stUnknown:
		f.unknown(r, "masterInstanceName")
		return
	}
	day, dst := get(p, "settings.maintenanceWindow.day").integer()
	hour, hst := get(p, "settings.maintenanceWindow.hour").integer()
	switch {
	case dst == stUnknown || hst == stUnknown:
		f.unknown(r, "settings.maintenanceWindow")
	case dst != stOK:
		f.fail("instance %s: set settings.maintenanceWindow {day %d–%d, hour 0–%d} so maintenance restarts land in a known hour",
			name, capacity.MaintenanceDayMin, capacity.MaintenanceDayMax, capacity.MaintenanceHourMax)
	default:
		if hst != stOK {
			hour = 0 // the API default
		}
		if err := capacity.ValidateMaintenanceWindow(day, hour); err != nil {
			f.rule("instance "+name, err, func(field string) string { return "settings.maintenanceWindow." + field })
		}
	}
}
