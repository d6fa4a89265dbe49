package contract

// Labels and annotations the program sets and the pack reads.
const (
	// LabelWorkload is the Cloud Run service label naming its workload.
	LabelWorkload = "headroom-workload"
	// LabelManagedBy marks every resource the program creates, with the
	// value ManagedBy.
	LabelManagedBy = "managed-by"
	// ManagedBy is LabelManagedBy's value: the project's name. It is not
	// walled (the same word names the project and its config namespace).
	ManagedBy = "headroom"
	// AnnotationEgressMbps is the Cloud Run service annotation carrying a
	// workload's egress per instance, Mbps (connector throughput check).
	AnnotationEgressMbps = "headroom.dev/egress-mbps-per-instance"
	// AnnotationDeployStyle is the Cloud Run service annotation that carries
	// a workload's deploy style from the program to the policy pack (so the
	// pack judges graphs that were not produced by our program the same
	// way: absent means capacity.DeployLatest, the worst case).
	AnnotationDeployStyle = "headroom.dev/deploy-style"
	// ConsumerLabelPrefix starts the Cloud SQL instance user label that
	// declares one non-Cloud-Run consumer and its connections:
	// headroom-consumer-<name> = "<connections>" (ConsumerLabels).
	ConsumerLabelPrefix = "headroom-consumer-"
)

// LabelNames lists the label and annotation names above (not ManagedBy,
// a value).
func LabelNames() []string {
	return []string{LabelWorkload, LabelManagedBy, AnnotationEgressMbps, AnnotationDeployStyle, ConsumerLabelPrefix}
}
