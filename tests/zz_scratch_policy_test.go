package tests

import (
	"fmt"
	"os"
	"testing"

	"github.com/headroom-dev/headroom/policies/pack"
)

func TestScratchPolicy(t *testing.T) {
	for _, sc := range stackCases {
		_, g := record(t, sc.path)
		env := "staging"
		if sc.name == "production" {
			env = "production"
		}
		data, _ := os.ReadFile("../policies/config/" + env + ".json")
		cfg, err := pack.ParseConfig(data)
		if err != nil {
			t.Fatal(err)
		}
		for _, view := range []string{"state", "preview"} {
			rs := g.AnalyzerResources()
			if view == "preview" {
				rs = g.PreviewResources()
			}
			res, err := pack.Evaluate(rs, cfg)
			if err != nil {
				t.Fatal(err)
			}
			fmt.Println("=====", sc.name, view, len(res.Topology.Workloads), len(res.Topology.Databases), len(res.Topology.Egress))
			for _, v := range res.Violations {
				fmt.Printf("  %-10s %-28s %s | %s\n", v.Level, v.Policy, pack.ShortURN(v.Resource), v.Message)
			}
		}
	}
}
