package contract

import (
	"crypto/sha256"
	"encoding/hex"
)

const (
	// serviceNameMax: Cloud Run service names are shorter than 50
	// characters (https://cloud.google.com/run/docs/reference/rest/v2/projects.locations.services/create).
	serviceNameMax           = 49
	serviceNameHashSuffixLen = 6
	// probeSuffix ends a probe job's workload part.
	probeSuffix = "-probe"
)

// ServiceName is the Cloud Run service the program creates for a workload
// in a region, and the name the CLI (verify, SARIF) and the pack's test
// fixtures look it up by: "<workload>-<region>", shortened with a stable
// hash when it would exceed Cloud Run's name limit.
func ServiceName(workload, region string) string {
	n := workload + "-" + region
	if len(n) <= serviceNameMax {
		return n
	}
	sum := sha256.Sum256([]byte(n))
	h := hex.EncodeToString(sum[:])[:serviceNameHashSuffixLen]
	cut := n[:serviceNameMax-serviceNameHashSuffixLen-1]
	for len(cut) > 0 && cut[len(cut)-1] == '-' {
		cut = cut[:len(cut)-1]
	}
	return cut + "-" + h
}

// ProbeJobName is the Cloud Run job of a workload's storm probe in a region
// (the program creates it, `headroom probe --job` runs it).
func ProbeJobName(workload, region string) string { return ServiceName(workload+probeSuffix, region) }
