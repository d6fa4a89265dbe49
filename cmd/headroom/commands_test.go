package main

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestCommandListsNameEveryCommand: the package comment of main.go and the
// README's package table name every command the CLI registers (a new
// command without its line fails here).
func TestCommandListsNameEveryCommand(t *testing.T) {
	mainSrc, err := os.ReadFile("main.go")
	require.NoError(t, err)
	doc := string(mainSrc)[:strings.Index(string(mainSrc), "\npackage main")]
	readme, err := os.ReadFile("../../README.md")
	require.NoError(t, err)
	var row string
	for _, l := range strings.Split(string(readme), "\n") {
		if strings.HasPrefix(l, "| `cmd/headroom` |") {
			row = l
		}
	}
	require.NotEmpty(t, row, "README package table has a cmd/headroom row")
	var names []string
	for _, c := range newRootCmd().Commands() {
		if c.Hidden || c.Name() == "help" || c.Name() == "completion" {
			continue
		}
		names = append(names, c.Name())
		for _, sub := range c.Commands() {
			names = append(names, c.Name()+" "+sub.Name())
		}
	}
	require.GreaterOrEqual(t, len(names), 10)
	flat := strings.Join(strings.Fields(strings.ReplaceAll(doc, "//", "")), " ")
	for _, n := range names {
		assert.Regexp(t, `[ (]`+regexp.QuoteMeta(n)+`[,;) ]`, flat, "main.go's package comment names %q", n)
		assert.Contains(t, row, "`"+n+"`", "README's cmd/headroom row names %q", n)
	}
}
