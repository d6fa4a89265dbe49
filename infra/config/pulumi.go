package config

import (
	"encoding/json"
	"os"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// FromPulumi reads the stack's configuration from the Pulumi context and
// decodes it with Decode (same parser and validation as LoadFile).
//
// The Go SDK (v3.274.1) has no way to enumerate a context's config: the
// only accessors are ctx.GetConfig(key) and ctx.IsConfigSecret(key), over
// RunInfo.Config, which the SDK fills from the PULUMI_CONFIG environment
// variable (JSON object of key → string) for both real and mocked runs.
// So FromPulumi reads every known key (gcp:project and the headroom: keys)
// with ctx.GetConfig, and finds unknown headroom: keys by enumerating
// PULUMI_CONFIG — each key found there is read back through ctx.GetConfig,
// so a run whose RunInfo.Config was replaced by a RunOption (see
// WithConfig) is judged on the context's config only. Limitation: keys
// set only through a RunOption and absent from PULUMI_CONFIG cannot be
// enumerated; LoadFile rejects them offline.
//
// Secrets: the engine hands secret values decrypted; they are decoded like
// any other value, and error messages never print a secret key's value.
func FromPulumi(ctx *pulumi.Context) (Stack, error) {
	values := map[string]string{}
	secrets := map[string]bool{}
	read := func(k string) {
		if v, ok := ctx.GetConfig(k); ok {
			values[k] = v
			if ctx.IsConfigSecret(k) {
				secrets[k] = true
			}
		}
	}
	read(ProjectKey)
	for _, k := range topKeys {
		read(Namespace + ":" + k)
	}
	for k := range envConfig() {
		if strings.HasPrefix(k, Namespace+":") {
			read(k)
		}
	}
	return decode(ctx.Stack(), values, secrets)
}

// envConfig is the engine's config map, read the way the SDK reads it
// (pulumi.getEnvInfo); nil if unset or malformed.
func envConfig() map[string]string {
	var m map[string]string
	if raw := os.Getenv(pulumi.EnvConfig); raw != "" {
		_ = json.Unmarshal([]byte(raw), &m)
	}
	return m
}

// WithConfig is a pulumi.RunOption that sets the run's config (and which
// keys are secret), for mock runs in tests:
//
//	f, _ := config.LoadFile(config.StackFile(root, "staging"))
//	pulumi.RunErr(infra.Program, pulumi.WithMocks("headroom", "staging", mocks), config.WithConfig(f.Values))
//
// Put it after WithMocks. It replaces RunInfo.Config entirely.
func WithConfig(values map[string]string, secretKeys ...string) pulumi.RunOption {
	return func(info *pulumi.RunInfo) {
		cfg := make(map[string]string, len(values))
		for k, v := range values {
			cfg[k] = v
		}
		info.Config = cfg
		info.ConfigSecretKeys = append([]string(nil), secretKeys...)
	}
}
