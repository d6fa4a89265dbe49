package probe

import (
	"os"
	"testing"

	"github.com/headroom-dev/headroom/testkit/pgtest"
)

// TestMain starts one throwaway PostgreSQL cluster for the package
// (scripts/pg-cluster.sh); tests that need their own (faults that stop the
// server) use pgtest.Start.
func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }
