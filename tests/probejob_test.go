package tests

import (
	"os"
	"regexp"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/headroom-dev/headroom/infra/probejob"
)

// The probe stack is staging plus headroom:probe: the same expectations.
func init() { wants["probe"] = wants["staging"] }

const typeJob = "gcp:cloudrunv2/job:Job"

// TestProbeJob: opt-in; one job per region of the workload, on the
// workload's egress path, service account and IAM database user, with its
// pool contract and the stack's backoff as task arguments.
func TestProbeJob(t *testing.T) {
	_, staging := record(t, "../stacks/Pulumi.staging.yaml")
	assert.Empty(t, staging.ByType(typeJob), "the probe job is opt-in")

	_, g := record(t, "testdata/probe/Pulumi.probe.yaml")
	jobs := g.ByType(typeJob)
	require.Len(t, jobs, 1)
	job := jobs[0]
	assert.Equal(t, probejob.JobName("netra-backend", "us-central1"), job.Name)
	svc, ok := g.Find("gcp:cloudrunv2/service:Service", "netra-backend-us-central1")
	require.True(t, ok)
	assert.Equal(t, in(svc, "template", "serviceAccount"), in(job, "template", "template", "serviceAccount"), "same service account, so the same IAM database user")
	assert.Equal(t, in(svc, "template", "vpcAccess"), in(job, "template", "template", "vpcAccess"), "same VPC egress path")
	assert.Equal(t, 20, in(job, "template", "taskCount"), "default: maxInstances")
	assert.Equal(t, 20, in(job, "template", "parallelism"), "default: all at once")
	assert.Equal(t, 0, in(job, "template", "template", "maxRetries"))
	env := map[string]any{}
	for _, e := range list(in(job, "template", "template", "containers").([]any)[0].(map[string]any)["envs"]) {
		env[e["name"].(string)] = e["value"]
	}
	svcEnv := map[string]any{}
	for _, e := range list(in(svc, "template", "containers").([]any)[0].(map[string]any)["envs"]) {
		svcEnv[e["name"].(string)] = e["value"]
	}
	for _, k := range []string{"DB_HOST", "DB_USER", "DB_NAME", "DB_INSTANCE"} {
		assert.Equal(t, svcEnv[k], env[k], k)
	}
	args := in(job, "template", "template", "containers").([]any)[0].(map[string]any)["args"]
	assert.Equal(t, []any{"probe", "task", "--iam-auth", "--i-know-this-is-not-production", "--egress", "connector",
		"--startup-connections", "2", "--connect-timeout", "75s", "--retry-initial", "0.5s", "--retry-max", "8s",
		"--retry-multiplier", "2", "--target-success-rate", "0.9", "--target-connect-p99", "30s"}, args)
}

// The Dockerfile builds with the Go version go.mod names.
func TestDockerfileGoVersion(t *testing.T) {
	mod, err := os.ReadFile("../go.mod")
	require.NoError(t, err)
	df, err := os.ReadFile("../Dockerfile")
	require.NoError(t, err)
	goLine := regexp.MustCompile(`(?m)^go (\S+)$`).FindSubmatch(mod)
	require.NotNil(t, goLine)
	assert.Contains(t, string(df), "ARG GO_VERSION="+string(goLine[1])+"\n")
	assert.Contains(t, string(df), "CGO_ENABLED=0")
	assert.Contains(t, string(df), "distroless/static")
	assert.Contains(t, string(df), "./cmd/headroom")
}
