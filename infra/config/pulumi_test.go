package config

import (
	"encoding/json"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type noMocks struct{}

func (noMocks) NewResource(args pulumi.MockResourceArgs) (string, resource.PropertyMap, error) {
	return args.Name + "_id", args.Inputs, nil
}

func (noMocks) Call(args pulumi.MockCallArgs) (resource.PropertyMap, error) {
	return args.Args, nil
}

// fromPulumi runs a mocked Pulumi program that only calls FromPulumi.
func fromPulumi(t *testing.T, stack string, opts ...pulumi.RunOption) (Stack, error) {
	t.Helper()
	var s Stack
	var ferr error
	opts = append([]pulumi.RunOption{pulumi.WithMocks(Namespace, stack, noMocks{})}, opts...)
	err := pulumi.RunErr(func(ctx *pulumi.Context) error {
		s, ferr = FromPulumi(ctx)
		return nil
	}, opts...)
	require.NoError(t, err)
	return s, ferr
}

func TestFromPulumi(t *testing.T) {
	t.Setenv(pulumi.EnvConfig, "")
	for name := range stackFiles {
		t.Run(name+"/RunOption", func(t *testing.T) {
			f := load(t, name)
			s, err := fromPulumi(t, name, WithConfig(f.Values))
			require.NoError(t, err)
			assert.Equal(t, f.Stack, s)
		})
		t.Run(name+"/PULUMI_CONFIG", func(t *testing.T) {
			f := load(t, name)
			b, err := json.Marshal(f.Values)
			require.NoError(t, err)
			t.Setenv(pulumi.EnvConfig, string(b))
			s, err := fromPulumi(t, name)
			require.NoError(t, err)
			assert.Equal(t, f.Stack, s)
		})
	}
}

func TestFromPulumiErrors(t *testing.T) {
	f := load(t, "staging")

	t.Run("unknown key via PULUMI_CONFIG", func(t *testing.T) {
		vals := applyEdits(t, f.Values, edit{"headroom:netwrok", `{}`})
		b, err := json.Marshal(vals)
		require.NoError(t, err)
		t.Setenv(pulumi.EnvConfig, string(b))
		_, err = fromPulumi(t, "staging")
		var ce *Error
		require.ErrorAs(t, err, &ce)
		assert.Equal(t, "headroom:netwrok", ce.Key)
	})

	t.Run("bad nested value", func(t *testing.T) {
		t.Setenv(pulumi.EnvConfig, "")
		vals := applyEdits(t, f.Values, edit{"headroom:workloads[1].db.poolSize", `"ten"`})
		_, err := fromPulumi(t, "staging", WithConfig(vals))
		require.EqualError(t, err, `headroom:workloads[1].db.poolSize: must be an integer ≥ 1, got "ten"`)
	})

	t.Run("secret values are not printed", func(t *testing.T) {
		t.Setenv(pulumi.EnvConfig, "")
		vals := applyEdits(t, f.Values, edit{"headroom:database.tier", `"db-hunter2-tier"`})
		_, err := fromPulumi(t, "staging", WithConfig(vals, "headroom:database"))
		require.Error(t, err)
		assert.Contains(t, err.Error(), "headroom:database.tier")
		assert.NotContains(t, err.Error(), "hunter2")

		vals = applyEdits(t, f.Values, edit{"headroom:environment", "hunter2"})
		_, err = fromPulumi(t, "staging", WithConfig(vals, "headroom:environment"))
		require.Error(t, err)
		assert.NotContains(t, err.Error(), "hunter2")

		vals = applyEdits(t, f.Values, edit{"headroom:workloads[0].maxInstances", `"hunter2"`})
		_, err = fromPulumi(t, "staging", WithConfig(vals, "headroom:workloads"))
		require.EqualError(t, err, "headroom:workloads[0].maxInstances: must be an integer ≥ 1, got a secret value")

		// A secret that is valid decodes like any other value, and the
		// stack remembers which keys were secret (the program passes what
		// it derives from them to resources as Pulumi secrets).
		s, err := fromPulumi(t, "staging", WithConfig(f.Values, "headroom:database"))
		require.NoError(t, err)
		assert.True(t, s.IsSecret("headroom:database"))
		assert.False(t, s.IsSecret("headroom:workloads"))
		s.SecretKeys = nil
		assert.Equal(t, f.Stack, s)
	})

	t.Run("no config", func(t *testing.T) {
		t.Setenv(pulumi.EnvConfig, "")
		_, err := fromPulumi(t, "staging", WithConfig(nil))
		require.EqualError(t, err, "gcp:project: required key is missing; expected the Google Cloud project ID")
	})
}
