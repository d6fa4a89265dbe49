package capacity

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseConsumerLabelsCounts(t *testing.T) {
	got, err := ParseConsumerLabels(map[string]string{
		ConsumerLabelPrefix + "psql": "1", // the smallest valid count
		ConsumerLabelPrefix + "cron": "12",
		ConsumerLabelPrefix + "bi":   "3",
		"environment":                "prod",
	})
	require.NoError(t, err)
	assert.Equal(t, []Consumer{{Name: "bi", Connections: 3}, {Name: "cron", Connections: 12}, {Name: "psql", Connections: 1}}, got)
	for _, bad := range []string{"0", "-1", "x", ""} {
		_, err := ParseConsumerLabels(map[string]string{ConsumerLabelPrefix + "psql": bad})
		assert.ErrorContains(t, err, "want a positive number of connections", bad)
	}
}
