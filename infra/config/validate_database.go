package config

import (
	"github.com/headroom-dev/headroom/infra/capacity"
)

func (d *decoder) instanceName(p path, project, name string) error {
	if err := d.required(p); err != nil {
		return err
	}
	if !sqlInstanceName.MatchString(name) {
		return bad(p, name)
	}
	if len(project)+1+len(name) > cloudSQLQualifiedNameMax {
		return errf(p, "is too long: %q:%q exceeds Cloud SQL's %d characters for project-ID:instance-ID", project, name, cloudSQLQualifiedNameMax)
	}
	return nil
}

func (d *decoder) tier(p path, tier, edition string) error {
	if _, err := capacity.ParseTier(tier); err != nil {
		return errf(p, "must be a valid Cloud SQL tier (gcp-capacity.md §1.2): %s", oneLine(err.Error()))
	}
	if err := capacity.CheckTierEdition(tier, edition); err != nil {
		return errf(p, "must be a tier of edition %s (gcp-capacity.md §1.2): %s", edition, oneLine(err.Error()))
	}
	return nil
}

func (d *decoder) database(s *Stack) error {
	dp := root("database")
	if err := d.required(dp); err != nil {
		return err
	}
	db := &s.Database
	if err := d.instanceName(dp.field("name"), s.Project, db.Name); err != nil {
		return err
	}
	vp := dp.field("version")
	if err := d.required(vp); err != nil {
		return err
	}
	if !pgVersion.MatchString(db.Version) {
		return bad(vp, db.Version)
	}
	edp := dp.field("edition")
	if !d.has(edp) {
		db.Edition = defaultDatabaseEdition
	}
	if db.Edition != "ENTERPRISE" && db.Edition != "ENTERPRISE_PLUS" {
		return bad(edp, db.Edition)
	}
	if err := d.required(dp.field("tier")); err != nil {
		return err
	}
	if err := d.tier(dp.field("tier"), db.Tier, db.Edition); err != nil {
		return err
	}
	rp := dp.field("region")
	if err := d.required(rp); err != nil {
		return err
	}
	if !KnownRegion(db.Region) {
		return errf(rp, "unknown region %q; expected a Google Cloud region such as us-central1 (list in docs/config-reference.md)", clip(db.Region))
	}
	ap := dp.field("availability")
	if !d.has(ap) {
		db.Availability = defaultAvailability
	}
	if db.Availability != "ZONAL" && db.Availability != "REGIONAL" {
		return bad(ap, db.Availability)
	}
	mp := dp.field("maxConnections")
	if err := d.required(mp); err != nil {
		return err
	}
	if db.MaxConnections < pgMinMaxConnections {
		return bad(mp, db.MaxConnections)
	}
	if p := dp.field("diskSizeGb"); db.DiskSizeGb != 0 && db.DiskSizeGb < cloudSQLMinDiskGB {
		return bad(p, db.DiskSizeGb)
	}
	if !d.has(dp.field("deletionProtection")) {
		t := true
		db.DeletionProtection = &t
	}

	// Backups (gcp-capacity.md §2.3): on, with PITR, by default.
	bp := dp.field("backups")
	b := &db.Backups
	if !d.has(bp.field("enabled")) {
		b.Enabled = true
	}
	if !d.has(bp.field("pointInTimeRecovery")) {
		b.PointInTimeRecovery = b.Enabled
	}
	if b.PointInTimeRecovery && !b.Enabled {
		return errf(bp.field("pointInTimeRecovery"), "requires backups.enabled: true")
	}
	if p := bp.field("retainedBackups"); !d.has(p) {
		b.RetainedBackups = retainedBackupsDefault
	} else if b.RetainedBackups < retainedBackupsMin || b.RetainedBackups > retainedBackupsMax {
		return bad(p, b.RetainedBackups)
	}
	maxLog := logRetentionMax
	if db.Edition == "ENTERPRISE_PLUS" {
		maxLog = logRetentionMaxPlus
	}
	if p := bp.field("logRetentionDays"); !d.has(p) {
		b.LogRetentionDays = logRetentionDefault
	} else if b.LogRetentionDays < logRetentionMin || b.LogRetentionDays > maxLog {
		return bad(p, b.LogRetentionDays)
	}
	// HA for PostgreSQL requires backups and PITR ([tf-doc], §2.1).
	if db.Availability == "REGIONAL" && (!b.Enabled || !b.PointInTimeRecovery) {
		return errf(ap, "REGIONAL (HA) requires backups.enabled and backups.pointInTimeRecovery (gcp-capacity.md §2.1)")
	}

	// Maintenance window (§2.4): day 1–7 (Monday = 1), hour 0–23 UTC.
	wp := dp.field("maintenanceWindow")
	if p := wp.field("day"); !d.has(p) {
		db.MaintenanceWindow.Day = maintenanceDefaultDay
	} else if db.MaintenanceWindow.Day < 1 || db.MaintenanceWindow.Day > 7 {
		return bad(p, db.MaintenanceWindow.Day)
	}
	if p := wp.field("hour"); !d.has(p) {
		db.MaintenanceWindow.Hour = maintenanceDefaultHour
	} else if db.MaintenanceWindow.Hour < 0 || db.MaintenanceWindow.Hour > 23 {
		return bad(p, db.MaintenanceWindow.Hour)
	}

	names := map[string]string{db.Name: dp.field("name").display}
	for i := range db.Replicas {
		r := &db.Replicas[i]
		p := dp.field("replicas").index(i)
		if !d.has(p) {
			return errf(p, "must be an object {name, region, tier, maxConnections, availability}, got null")
		}
		if err := d.instanceName(p.field("name"), s.Project, r.Name); err != nil {
			return err
		}
		if other, dup := names[r.Name]; dup {
			return errf(p.field("name"), "%q is already used by %s; instance names are unique per project", r.Name, other)
		}
		names[r.Name] = p.field("name").display
		if r.Name == PrimaryTarget {
			return errf(p.field("name"), "must not be %q (reserved for db.target)", PrimaryTarget)
		}
		rgp := p.field("region")
		if err := d.required(rgp); err != nil {
			return err
		}
		if !KnownRegion(r.Region) {
			return errf(rgp, "unknown region %q; expected a Google Cloud region such as us-east1 (list in docs/config-reference.md)", clip(r.Region))
		}
		if r.Region == db.Region {
			return errf(rgp, "must differ from the primary's region (%s): replicas are cross-region (use availability: REGIONAL for in-region HA)", db.Region)
		}
		if !d.has(p.field("tier")) {
			r.Tier = db.Tier
		}
		if err := d.tier(p.field("tier"), r.Tier, db.Edition); err != nil {
			return err
		}
		mcp := p.field("maxConnections")
		if !d.has(mcp) {
			r.MaxConnections = db.MaxConnections
		}
		// PostgreSQL refuses to run a hot standby whose max_connections is
		// lower than the primary's.
		if r.MaxConnections < db.MaxConnections {
			return errf(mcp, "must be ≥ the primary's maxConnections (%d), got %d: PostgreSQL will not run a hot standby with a lower max_connections", db.MaxConnections, r.MaxConnections)
		}
		avp := p.field("availability")
		if !d.has(avp) {
			r.Availability = defaultAvailability
		}
		if r.Availability != "ZONAL" && r.Availability != "REGIONAL" {
			return bad(avp, r.Availability)
		}
	}
	return d.consumers(s, dp.field("consumers"))
}

// consumers checks headroom:database.consumers: clients that are not Cloud
// Run services, each carried to the pack as a label on its instance.
func (d *decoder) consumers(s *Stack, p path) error {
	seen := map[string]bool{}
	for i := range s.Database.Consumers {
		c := &s.Database.Consumers[i]
		ip := p.index(i)
		if !d.has(ip) {
			return errf(ip, "must be an object {name, connections, target}, got null")
		}
		np := ip.field("name")
		if err := d.required(np); err != nil {
			return err
		}
		if capacity.ValidateConsumerName(c.Name) != nil {
			return bad(np, c.Name)
		}
		if seen[c.Name] {
			return errf(np, "%q is listed twice; consumer names are unique", c.Name)
		}
		seen[c.Name] = true
		cp := ip.field("connections")
		if err := d.required(cp); err != nil {
			return err
		}
		if c.Connections < 1 {
			return bad(cp, c.Connections)
		}
		tp := ip.field("target")
		if !d.has(tp) {
			c.Target = PrimaryTarget
		}
		if _, ok := s.Replica(c.Target); c.Target != PrimaryTarget && !ok {
			return bad(tp, c.Target)
		}
	}
	return nil
}
