package config

func (d *decoder) targets(s *Stack) error {
	tp := root("targets")
	t := s.Targets
	if p := tp.field("startupSuccessRate"); d.has(p) && !(t.StartupSuccessRate > 0 && t.StartupSuccessRate <= 1) {
		return bad(p, t.StartupSuccessRate)
	}
	if p := tp.field("connectP99Seconds"); d.has(p) && !(t.ConnectP99Seconds > 0) {
		return bad(p, t.ConnectP99Seconds)
	}
	if p := tp.field("connectionUtilization"); d.has(p) && !(t.ConnectionUtilization > 0 && t.ConnectionUtilization <= 1) {
		return bad(p, t.ConnectionUtilization)
	}
	return nil
}

func (d *decoder) assumptions(s *Stack) error {
	ap := root("assumptions")
	a := s.Assumptions
	nonNeg := []struct {
		name string
		v    float64
	}{
		{"connectorScaleOutSeconds", a.ConnectorScaleOutSeconds},
		{"directEgressStartupSeconds", a.DirectEgressStartupSeconds},
		{"acceptRatePerSecond", a.AcceptRatePerSecond},
		{"handshakeSeconds", a.HandshakeSeconds},
		{"retryInitialSeconds", a.RetryInitialSeconds},
		{"retryMaxSeconds", a.RetryMaxSeconds},
		{"reservedConnections", float64(a.ReservedConnections)},
		{"adminSlackConnections", float64(a.AdminSlackConnections)},
		{"rampSeconds", a.RampSeconds},
		{"acceptRatePerVCPU", a.AcceptRatePerVCPU},
		{"revisionLingerSeconds", a.RevisionLingerSeconds},
	}
	for _, f := range nonNeg {
		if f.v < 0 {
			p := ap.field(f.name)
			if f.name == "reservedConnections" || f.name == "adminSlackConnections" {
				return bad(p, int(f.v))
			}
			return bad(p, f.v)
		}
	}
	if p := ap.field("retryMultiplier"); d.has(p) && a.RetryMultiplier != 0 && a.RetryMultiplier < 1 {
		return bad(p, a.RetryMultiplier)
	}
	if p := ap.field("maxInstanceOvershoot"); d.has(p) && a.MaxInstanceOvershoot != 0 && a.MaxInstanceOvershoot < 1 {
		return bad(p, a.MaxInstanceOvershoot)
	}
	if a.RetryMaxSeconds != 0 && a.RetryMaxSeconds < a.RetryInitialSeconds {
		return errf(ap.field("retryMaxSeconds"), "must be ≥ retryInitialSeconds (%g), got %g", a.RetryInitialSeconds, a.RetryMaxSeconds)
	}
	return nil
}
