package suggest

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestWithoutDominated: an option whose every edit another option of the
// same combination makes at least as strongly is dropped (it would undo
// the stronger edit when applied after it); anything else stays.
func TestWithoutDominated(t *testing.T) {
	mc := func(path string, v string) Op {
		return Op{Path: []string{keyDatabase, path, "maxConnections"}, Value: v}
	}
	primary := option{what: "primary 4018", ops: []Op{{Path: []string{keyDatabase, "maxConnections"}, Value: "4018"}, mc("replicas", "4018")}}
	tests := []struct {
		name  string
		combo []option
		want  []string
	}{
		{"replica below the primary's follow", []option{primary, {what: "replica 2018", ops: []Op{mc("replicas", "2018")}}}, []string{"primary 4018"}},
		{"replica at the follow", []option{primary, {what: "replica 4018", ops: []Op{mc("replicas", "4018")}}}, []string{"primary 4018"}},
		{"replica above the follow stays", []option{primary, {what: "replica 4019", ops: []Op{mc("replicas", "4019")}}}, []string{"primary 4018", "replica 4019"}},
		{"another key stays", []option{primary, {what: "tier", ops: []Op{{Path: []string{keyDatabase, "tier"}, Value: "db-custom-8-30720"}}}}, []string{"primary 4018", "tier"}},
		{"partly covered stays", []option{primary, {what: "two", ops: []Op{mc("replicas", "10"), mc("other", "10")}}}, []string{"primary 4018", "two"}},
		{"no-op option stays", []option{{}, primary}, []string{"", "primary 4018"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, o := range withoutDominated(tt.combo) {
				got = append(got, o.what)
			}
			assert.Equal(t, tt.want, got)
		})
	}
}
