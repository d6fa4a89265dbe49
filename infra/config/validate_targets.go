package config

import "github.com/headroom-dev/headroom/contract"

// targets and assumptions are checked by the contract's bounds, the same
// the policy pack's config and the CLI flags use: a value the plan accepts
// is one the pack loads.

func (d *decoder) targets(s *Stack) error {
	return d.bounded(root("targets"), contract.Targets(), s.Targets.byKey())
}

func (d *decoder) assumptions(s *Stack) error {
	ap := root("assumptions")
	a := s.Assumptions
	if err := d.bounded(ap, contract.Assumptions(), a.byKey()); err != nil {
		return err
	}
	if err := contract.CheckRetry(a.RetryInitialSeconds, a.RetryMaxSeconds); err != nil {
		return errf(ap.field(contract.AssumeRetryMaxSeconds.Key), "%v", err)
	}
	return nil
}

// bounded checks every stated key of one section against its bound.
func (d *decoder) bounded(sec path, bounds []contract.Bound, vals map[string]float64) error {
	for _, b := range bounds {
		p := sec.field(b.Key)
		if !d.has(p) {
			continue
		}
		if err := b.Check(vals[b.Key]); err != nil {
			return errf(p, "%v", err)
		}
	}
	return nil
}

// byKey maps the target keys to their values.
func (t Targets) byKey() map[string]float64 {
	return map[string]float64{
		contract.TargetStartupSuccessRate.Key:    t.StartupSuccessRate,
		contract.TargetConnectP99Seconds.Key:     t.ConnectP99Seconds,
		contract.TargetConnectionUtilization.Key: t.ConnectionUtilization,
	}
}

// byKey maps the assumption keys to their values.
func (a Assumptions) byKey() map[string]float64 {
	return map[string]float64{
		contract.AssumeConnectorScaleOutSeconds.Key:   a.ConnectorScaleOutSeconds,
		contract.AssumeDirectEgressStartupSeconds.Key: a.DirectEgressStartupSeconds,
		contract.AssumeAcceptRatePerSecond.Key:        a.AcceptRatePerSecond,
		contract.AssumeHandshakeSeconds.Key:           a.HandshakeSeconds,
		contract.AssumeRetryInitialSeconds.Key:        a.RetryInitialSeconds,
		contract.AssumeRetryMaxSeconds.Key:            a.RetryMaxSeconds,
		contract.AssumeRetryMultiplier.Key:            a.RetryMultiplier,
		contract.AssumeReservedConnections.Key:        float64(a.ReservedConnections),
		contract.AssumeAdminSlackConnections.Key:      float64(a.AdminSlackConnections),
		contract.AssumeRampSeconds.Key:                a.RampSeconds,
		contract.AssumeSeed.Key:                       float64(a.Seed),
		contract.AssumeAcceptRatePerVCPU.Key:          a.AcceptRatePerVCPU,
		contract.AssumeRevisionLingerSeconds.Key:      a.RevisionLingerSeconds,
		contract.AssumeMaxInstanceOvershoot.Key:       a.MaxInstanceOvershoot,
	}
}
