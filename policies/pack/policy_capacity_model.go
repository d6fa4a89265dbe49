package pack

// PolicyCapacityModel turns the resource graph into a capacity topology and carries
// the pack's shared settings; findings of no other policy are reported here.
const PolicyCapacityModel = "capacity-model"

var capacityModelPolicy = policy{
	info: PolicyInfo{
		Name: PolicyCapacityModel, Kind: KindStack, Level: LevelMandatory,
		Description: "The resource graph can be turned into a capacity topology: every Cloud Run service " +
			"resolves to one Cloud SQL instance and one egress path. Carries the pack's shared settings " +
			"(environment, targets, assumptions); values unknown until apply are reported here as advisory.",
		ConfigKeys: []string{"environment", "targets.*", "assumptions.*"},
	},
	meta: Metadata{
		Severity: SeverityHigh, Tags: []string{"capacity"},
		Remediation: "Make every Cloud Run service resolve to one Cloud SQL instance (DB_INSTANCE or DB_HOST) and one " +
			"egress path (a connector or Direct VPC egress in its region); values reported as unknown are judged at apply.",
	},
	stack:  checkCapacityModel,
	schema: modelConfigSchema,
}

func checkCapacityModel(ev *evaluation, cfg Config, f *findings) {
	for _, u := range ev.ex.unknowns {
		u := u
		f.out = append(f.out, finding{msg: u.Message(), urn: u.Resource, advisory: true, unknown: &u})
	}
	for _, is := range ev.ex.issues {
		f.out = append(f.out, finding{msg: is.msg, urn: is.urn, advisory: is.advisory})
	}
	if ev.modelErr != nil {
		f.fail("%v", ev.modelErr)
	}
	reportFindings(ev, PolicyCapacityModel, f)
}
