package config

import (
	"fmt"

	"github.com/headroom-dev/headroom/contract"
	"github.com/headroom-dev/headroom/infra/capacity"
)

func (d *decoder) instanceName(p path, project, name string) error {
	if err := d.required(p); err != nil {
		return err
	}
	if !sqlInstanceName.MatchString(name) {
		return bad(p, name)
	}
	if len(project)+1+len(name) > capacity.InstanceQualifiedNameMaxChars {
		return errf(p, "is too long: %q:%q exceeds Cloud SQL's %d characters for project-ID:instance-ID (docs/gcp-limits.md#cloud-sql-tiers)",
			project, name, capacity.InstanceQualifiedNameMaxChars)
	}
	return nil
}

// tier checks a tier against its edition; defaulted says the edition was
// not given (Google's default for the version applies).
func (d *decoder) tier(p path, tier, edition string, defaulted bool) (capacity.Tier, error) {
	t, err := capacity.ParseTier(tier)
	if err != nil {
		return t, errf(p, "must be a valid Cloud SQL tier (docs/gcp-limits.md#cloud-sql-tiers): %s", oneLine(err.Error()))
	}
	if err := capacity.CheckTierEdition(tier, edition); err != nil {
		why := ""
		if defaulted {
			why = fmt.Sprintf(" (no headroom:database.edition given: Cloud SQL defaults to %s for this version; set edition)", edition)
		}
		return t, errf(p, "must be a tier of edition %s (docs/gcp-limits.md#cloud-sql-tiers): %s%s", edition, oneLine(err.Error()), why)
	}
	return t, nil
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
	editionDefaulted := !d.has(edp)
	if editionDefaulted {
		db.Edition = capacity.DefaultEdition(db.Version)
	}
	if db.Edition != capacity.EditionEnterprise && db.Edition != capacity.EditionEnterprisePlus {
		if err := capacity.CheckTierEdition(db.Tier, db.Edition); err != nil && db.Edition == capacity.EditionDeveloper {
			return errf(edp, "%s", oneLine(err.Error()))
		}
		return bad(edp, db.Edition)
	}
	if err := d.required(dp.field("tier")); err != nil {
		return err
	}
	tier, err := d.tier(dp.field("tier"), db.Tier, db.Edition, editionDefaulted)
	if err != nil {
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
		db.Availability = capacity.AvailabilityZonal
	}
	mp := dp.field("maxConnections")
	if err := d.required(mp); err != nil {
		return err
	}
	if err := capacity.ValidateMaxConnectionsFlag(tier, db.MaxConnections); err != nil {
		return ruleErr(dp, err)
	}
	if p := dp.field("diskSizeGb"); db.DiskSizeGb != 0 && db.DiskSizeGb < capacity.DiskSizeMinGB {
		return bad(p, db.DiskSizeGb)
	}
	if !d.has(dp.field("deletionProtection")) {
		t := true
		db.DeletionProtection = &t
	}

	// Backups (docs/gcp-limits.md#cloud-sql-backups): on, with PITR, by default.
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
	if !d.has(bp.field("retainedBackups")) {
		b.RetainedBackups = capacity.RetainedBackupsDefault
	}
	if !d.has(bp.field("logRetentionDays")) {
		b.LogRetentionDays = capacity.LogRetentionDaysDefault
	}
	if err := capacity.ValidateBackups(b.RetainedBackups, b.LogRetentionDays, db.Edition); err != nil {
		return ruleErr(bp, err)
	}
	if err := capacity.ValidateAvailability(db.Availability, b.Enabled, b.PointInTimeRecovery); err != nil {
		return ruleErr(dp, err)
	}

	// Maintenance window (docs/gcp-limits.md#cloud-sql-backups).
	wp := dp.field("maintenanceWindow")
	if !d.has(wp.field("day")) {
		db.MaintenanceWindow.Day = maintenanceDefaultDay
	}
	if !d.has(wp.field("hour")) {
		db.MaintenanceWindow.Hour = maintenanceDefaultHour
	}
	if err := capacity.ValidateMaintenanceWindow(db.MaintenanceWindow.Day, db.MaintenanceWindow.Hour); err != nil {
		return ruleErr(wp, err)
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
		rtier, err := d.tier(p.field("tier"), r.Tier, db.Edition, editionDefaulted)
		if err != nil {
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
		if err := capacity.ValidateMaxConnectionsFlag(rtier, r.MaxConnections); err != nil {
			return ruleErr(p, err)
		}
		avp := p.field("availability")
		if !d.has(avp) {
			r.Availability = capacity.AvailabilityZonal
		}
		if r.Availability != capacity.AvailabilityZonal && r.Availability != capacity.AvailabilityRegional {
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
		if contract.ValidateConsumerName(c.Name) != nil {
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
