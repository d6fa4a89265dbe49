// Package contract holds every name and number two sides of Headroom must
// agree on and that neither side owns alone: what the program writes and
// what the policy pack, the CLI, the probe and the test fakes read.
//
//   - resource type tokens of pulumi-gcp (types.go);
//   - the DB_* env contract of a Cloud Run service and its codecs, the
//     labels and annotations the program sets and the pack reads, and the
//     resource names the CLI looks up (env.go, labels.go, codec.go, names.go);
//   - the CIS PostgreSQL logging flag set (cis.go);
//   - the targets and assumptions a stack and the pack config may set: keys,
//     defaults, bounds and the one pass comparison (targets.go).
//
// Config validation (infra/config), the pack config (policies/pack), the
// plan and the probe all check a value with the same Bound, so a stack the
// plan accepts is one the pack loads.
//
// The wall: contract imports only the standard library and infra/capacity
// (which imports nothing of ours and never this package). tests/
// contract_walls_test.go fails when one of Walled()'s strings appears as a
// literal in any non-test Go file outside this folder: a second copy of a
// shared name is how the two sides drift apart.
//
// The framework catalog of "any program" demand (frameworks*.go) lives here
// too, for the same reason.
package contract
