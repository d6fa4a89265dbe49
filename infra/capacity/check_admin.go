package capacity

// adminAPI is the Cloud SQL Admin API connect burst per region of the
// instances that start or reconnect in the scenario through the built-in
// connection or a connector (docs/gcp-limits.md#admin-api-quota). The quota
// is per service account; pooling every workload of a region is the
// conservative reading.
func (an *analysis) adminAPI() {
	m, sc := an.m, an.sc
	calls := map[string]int{}
	applicable := map[string]bool{}
	for i, w := range m.workloads {
		if _, ok := calls[w.Region]; !ok {
			calls[w.Region] = 0
		}
		if (w.Method == MethodBuiltin || w.Method == MethodConnector) && w.db != noDatabase {
			calls[w.Region] += AdminAPICallsPerInstancePerDatabase * sc.storm[i]
			applicable[w.Region] = true
		}
	}
	for _, region := range sortedKeys(calls) {
		b := AdminAPIBurst{Region: region, Calls: calls[region], QuotaPerMin: AdminAPIConnectQuotaPerMinute, Applicable: applicable[region], Severity: SeverityOK}
		if b.Applicable {
			switch {
			case b.Calls > b.QuotaPerMin:
				b.Severity = SeverityFail
			case float64(b.Calls) > AdminAPIWarnShare*float64(b.QuotaPerMin):
				b.Severity = SeverityWarn
			}
			an.flag(CheckAdminAPIQuota, region, b.Severity,
				"region %s: ≈%d Cloud SQL Admin API connect calls (2 per starting instance per database) against %d per minute (docs/gcp-limits.md#admin-api-quota); cap maxInstances so the region starts ≤ %d instances, or connect by private IP (fixes %s)",
				region, b.Calls, b.QuotaPerMin, int(AdminAPIWarnShare*float64(b.QuotaPerMin))/AdminAPICallsPerInstancePerDatabase, sc.id)
		}
		an.res.AdminAPI = append(an.res.AdminAPI, b)
	}
}
