package pack_test

import (
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/policyx"
	"github.com/stretchr/testify/assert"

	"github.com/headroom-dev/headroom/policies/pack"
	pt "github.com/headroom-dev/headroom/policies/policytest"
)

// TestJudgeRegistration: a service is judged on the resources registered
// before it, by their inputs (no instance address), only during the
// update's Analyze of the service.
func TestJudgeRegistration(t *testing.T) {
	conn := pt.Resource(pt.TypeConnector, "conn", pt.ForeignConnector())
	db := pt.Resource(pt.TypeSQLInstance, "db", pt.ForeignInstanceInputs())
	svc := func(max int, limit string) policyx.AnalyzerResource {
		return pt.Resource(pt.TypeRunService, "api", pt.ForeignService(max, map[string]any{"DATABASE_URL": pt.PrismaURL(limit)}, nil))
	}
	second := func() policyx.AnalyzerResource {
		m := pt.ForeignInstanceInputs()
		m["name"] = "db2"
		return pt.Resource(pt.TypeSQLInstance, "db2", m)
	}
	replica := func() policyx.AnalyzerResource {
		m := pt.ForeignInstanceInputs()
		m["name"], m["masterInstanceName"] = "db-replica", "db"
		return pt.Resource(pt.TypeSQLInstance, "db-replica", m)
	}
	lenient := pack.DefaultConfig()
	lenient.Levels = map[string]string{pack.PolicyConnectionBudget: pack.LevelAdvisory}
	cases := []struct {
		name    string
		seen    []policyx.AnalyzerResource
		r       policyx.AnalyzerResource
		cfg     pack.Config
		refused bool
	}{
		{name: "only primary, 50 × 10", seen: []policyx.AnalyzerResource{conn, db}, r: svc(50, "10"), cfg: pack.DefaultConfig(), refused: true},
		{name: "only primary and its replica", seen: []policyx.AnalyzerResource{conn, db, replica()}, r: svc(50, "10"), cfg: pack.DefaultConfig(), refused: true},
		{name: "fits", seen: []policyx.AnalyzerResource{conn, db}, r: svc(30, "1"), cfg: pack.DefaultConfig()},
		{name: "two primaries: left to the stack check", seen: []policyx.AnalyzerResource{conn, db, second()}, r: svc(50, "10"), cfg: pack.DefaultConfig()},
		{name: "database not registered yet", seen: []policyx.AnalyzerResource{conn}, r: svc(50, "10"), cfg: pack.DefaultConfig()},
		{name: "budget made advisory", seen: []policyx.AnalyzerResource{conn, db}, r: svc(50, "10"), cfg: lenient},
		{name: "not a service", seen: []policyx.AnalyzerResource{conn}, r: db, cfg: pack.DefaultConfig()},
		{name: "re-registered service replaces its earlier self", seen: []policyx.AnalyzerResource{conn, db, svc(50, "10")}, r: svc(30, "1"), cfg: pack.DefaultConfig()},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			vs := pack.JudgeRegistration(c.seen, c.r, c.cfg)
			if !c.refused {
				assert.Empty(t, vs)
				return
			}
			if assert.NotEmpty(t, vs) {
				for _, v := range vs {
					assert.Equal(t, pack.LevelMandatory, v.Level)
					assert.Contains(t, v.Message, pack.RegistrationPrefix+"service api: ")
					assert.NotContains(t, v.Message, pt.ForeignPassword)
				}
				assert.Equal(t, pack.PolicyConnectionBudget, vs[0].Policy)
				assert.Contains(t, vs[0].Message, "bound to Cloud SQL instance db: env DATABASE_URL points at 10.0.0.3 and the instance is the stack's only Cloud SQL primary")
			}
		})
	}
}
