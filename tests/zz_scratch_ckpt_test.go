package tests

import (
	"os"
	"testing"
)

func TestScratchCheckpoint(t *testing.T) {
	for _, sc := range stackCases {
		_, g := record(t, sc.path)
		data, err := g.Checkpoint()
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile("/tmp/scratch/"+sc.name+".json", data, 0o644)
	}
}
