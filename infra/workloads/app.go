package workloads

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/pulumi/pulumi-gcp/sdk/v7/go/gcp/cloudrunv2"
	"github.com/pulumi/pulumi-gcp/sdk/v7/go/gcp/secretmanager"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/headroom-dev/headroom/contract"
	"github.com/headroom-dev/headroom/infra/config"
)

// Cloud Run v2 API values of headroom:workloads[].executionEnvironment.
var executionEnvironments = map[string]string{
	config.ExecutionGen1: "EXECUTION_ENVIRONMENT_GEN1",
	config.ExecutionGen2: "EXECUTION_ENVIRONMENT_GEN2",
}

// secretString is a plain config value as a resource input: a Pulumi secret
// when the config key it came from was set with --secret, so state and
// every output keep it encrypted.
func secretString(secret bool, v string) pulumi.StringInput {
	if secret {
		return pulumi.ToSecret(pulumi.String(v)).(pulumi.StringOutput)
	}
	return pulumi.String(v)
}

func secretStrings(secret bool, vs []string) pulumi.StringArrayInput {
	if len(vs) == 0 {
		return nil
	}
	a := pulumi.ToStringArray(vs)
	if secret {
		return pulumi.ToSecret(a).(pulumi.StringArrayOutput)
	}
	return a
}

// appEnv is the application's own environment: plain variables (sorted,
// after the database contract) and Secret Manager references.
func appEnv(wl Workload, secret bool) cloudrunv2.ServiceTemplateContainerEnvArray {
	var env cloudrunv2.ServiceTemplateContainerEnvArray
	names := make([]string, 0, len(wl.Env))
	for n := range wl.Env {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		env = append(env, envVar(n, secretString(secret, wl.Env[n])))
	}
	names = names[:0]
	for n := range wl.Secrets {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		ref := wl.Secrets[n]
		env = append(env, &cloudrunv2.ServiceTemplateContainerEnvArgs{
			Name: pulumi.String(n),
			ValueSource: &cloudrunv2.ServiceTemplateContainerEnvValueSourceArgs{
				SecretKeyRef: &cloudrunv2.ServiceTemplateContainerEnvValueSourceSecretKeyRefArgs{
					Secret:  pulumi.String(ref.Secret),
					Version: pulumi.String(ref.SecretEnvVersion()),
				},
			},
		})
	}
	return env
}

// labels are the service's labels: the program's own, the public marker
// when stated, and the workload's.
func labels(wl Workload) pulumi.StringMap {
	m := pulumi.StringMap{}
	for k, v := range wl.Labels {
		m[k] = pulumi.String(v)
	}
	m[LabelWorkload] = pulumi.String(wl.Name)
	m[LabelManagedBy] = pulumi.String(ManagedBy)
	if wl.Public {
		m[contract.LabelPublic] = pulumi.String(contract.LabelPublicValue)
	}
	return m
}

func ingress(wl Workload) string {
	if v, ok := contract.IngressAPIValue(wl.Ingress); ok {
		return v
	}
	// A hand-built config may leave it empty: the safe side.
	v, _ := contract.IngressAPIValue(contract.IngressInternal)
	return v
}

func livenessProbe(p *config.LivenessProbe) *cloudrunv2.ServiceTemplateContainerLivenessProbeArgs {
	if p == nil {
		return nil
	}
	return &cloudrunv2.ServiceTemplateContainerLivenessProbeArgs{
		InitialDelaySeconds: pulumi.Int(p.InitialDelaySeconds),
		PeriodSeconds:       pulumi.Int(p.PeriodSeconds),
		TimeoutSeconds:      pulumi.Int(p.TimeoutSeconds),
		FailureThreshold:    pulumi.Int(p.FailureThreshold),
		HttpGet: &cloudrunv2.ServiceTemplateContainerLivenessProbeHttpGetArgs{
			Path: pulumi.String(p.Path),
			Port: pulumi.Int(ContainerPort),
		},
	}
}

// secretAccessors grants roles/secretmanager.secretAccessor on each secret
// the workload reads to the workload's own service account, one binding
// per secret (never project-wide): a revision whose identity cannot read
// its secrets does not start.
func secretAccessors(ctx *pulumi.Context, parent pulumi.Resource, project string, wl Workload, member pulumi.StringInput) ([]pulumi.Resource, error) {
	ids := map[string]bool{}
	for _, ref := range wl.Secrets {
		ids[ref.Secret] = true
	}
	sorted := make([]string, 0, len(ids))
	for id := range ids {
		sorted = append(sorted, id)
	}
	sort.Strings(sorted)
	var out []pulumi.Resource
	for _, id := range sorted {
		args := &secretmanager.SecretIamMemberArgs{
			SecretId: pulumi.String(id),
			Role:     pulumi.String(contract.RoleSecretAccessor),
			Member:   member,
		}
		if !strings.HasPrefix(id, "projects/") {
			args.Project = pulumi.String(project)
		}
		m, err := secretmanager.NewSecretIamMember(ctx, resourceName(wl.Name+"-secret-", id), args, pulumi.Parent(parent))
		if err != nil {
			return nil, fmt.Errorf("secret accessor %s for %s: %w", id, wl.Name, err)
		}
		out = append(out, m)
	}
	return out, nil
}

// invokerBindings grants roles/run.invoker on one service to each of the
// workload's invokers.
func invokerBindings(ctx *pulumi.Context, parent pulumi.Resource, project, region string, svc *cloudrunv2.Service, svcName string, invokers []string) error {
	for _, m := range invokers {
		_, err := cloudrunv2.NewServiceIamMember(ctx, resourceName(svcName+"-invoker-", m), &cloudrunv2.ServiceIamMemberArgs{
			Project:  pulumi.String(project),
			Location: pulumi.String(region),
			Name:     svc.Name,
			Role:     pulumi.String(contract.RoleRunInvoker),
			Member:   pulumi.String(m),
		}, pulumi.Parent(parent))
		if err != nil {
			return fmt.Errorf("invoker %s on %s: %w", m, svcName, err)
		}
	}
	return nil
}

var unsafeName = regexp.MustCompile(`[^a-z0-9-]+`)

// resourceName is prefix + a readable form of key with a short hash of
// the exact key, so two keys that read alike ("group:a.b@x" and
// "group:a-b@x") never share a URN, and a key's binding keeps its URN
// whatever else the list holds.
func resourceName(prefix, key string) string {
	readable := strings.Trim(unsafeName.ReplaceAllString(strings.ToLower(key), "-"), "-")
	if len(readable) > 40 {
		readable = readable[:40]
	}
	sum := sha256.Sum256([]byte(key))
	return prefix + readable + "-" + hex.EncodeToString(sum[:])[:6]
}
