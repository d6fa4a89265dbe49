package contract

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestCISFlagAccepts(t *testing.T) {
	byName := map[string]CISFlag{}
	for _, f := range CISFlags() {
		byName[f.Name] = f
		assert.True(t, f.Accepts(f.Value), f.Name)
		assert.NotEmpty(t, f.CheckovID, f.Name)
	}
	msgs := byName["log_min_messages"]
	for v, want := range map[string]bool{"notice": false, "warning": true, " WARNING ": true, "error": true, "panic": true, "warn": false, "": false} {
		assert.Equal(t, want, msgs.Accepts(v), v)
	}
	errStmt := byName["log_min_error_statement"]
	for v, want := range map[string]bool{"error": true, "warning": false, "log": false, "fatal": false} {
		assert.Equal(t, want, errStmt.Accepts(v), v)
	}
	conn := byName["log_connections"]
	assert.True(t, conn.Accepts(" On "))
	assert.False(t, conn.Accepts("off"))
	assert.Equal(t, "log_connections=on", conn.Requirement())
	assert.Equal(t, "log_min_messages to warning or stricter", msgs.Requirement())
	assert.Equal(t, -1, SeverityRank("warn"))
	assert.Equal(t, 0, SeverityRank("DEBUG5"))
	assert.Len(t, CISFlagNames(), len(cisFlags))
	c := CISFlags()
	c[0].Value = "off"
	assert.Equal(t, "on", CISFlags()[0].Value, "CISFlags returns a copy")
}
