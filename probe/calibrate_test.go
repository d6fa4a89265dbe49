package probe

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"

	"github.com/headroom-dev/headroom/infra/config"
	"github.com/headroom-dev/headroom/testkit/pgtest"
)

func TestCalibrate(t *testing.T) {
	c := pgtest.Shared(t)
	cal, err := Calibrate(context.Background(), CalibrateConfig{DSN: c.DSN, Serial: 10, Burst: time.Second})
	require.NoError(t, err)
	assert.Equal(t, c.MaxConnections, cal.MaxConnections)
	assert.Equal(t, c.Reserved, cal.SuperuserReservedConnections)
	assert.GreaterOrEqual(t, cal.OtherSessions, 0)
	assert.Equal(t, cal.SuperuserReservedConnections+cal.OtherSessions, cal.ReservedConnections)
	assert.Greater(t, cal.HandshakeSeconds, 0.0)
	assert.Less(t, cal.HandshakeSeconds, 1.0, "a loopback handshake takes milliseconds")
	assert.Greater(t, cal.AcceptRatePerSecond, 1.0)
	assert.Empty(t, cal.BurstFailures)

	out, err := cal.AssumptionsYAML()
	require.NoError(t, err)
	// The file must decode strictly into the stack config's assumptions.
	var a config.Assumptions
	dec := yaml.NewDecoder(bytes.NewReader(out))
	dec.KnownFields(true)
	require.NoError(t, dec.Decode(&a), "%s", out)
	assert.Equal(t, cal.AcceptRatePerSecond, a.AcceptRatePerSecond)
	assert.Equal(t, cal.HandshakeSeconds, a.HandshakeSeconds)
	assert.Equal(t, cal.ReservedConnections, a.ReservedConnections)
}

func TestCalibrateWrongPassword(t *testing.T) {
	c := pgtest.Shared(t)
	_, err := Calibrate(context.Background(), CalibrateConfig{DSN: withPassword(t, c.DSN, "wrong"), Serial: 1, Burst: 100 * time.Millisecond})
	require.Error(t, err)
	assert.Equal(t, OutcomeAuth, Classify(err))
	assert.NotContains(t, err.Error(), "wrong@")
}
