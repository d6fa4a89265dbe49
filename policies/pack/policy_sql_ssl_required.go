package pack

import (
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/policyx"
)

// PolicySQLSSLRequired refuses a Cloud SQL instance that accepts unencrypted connections.
const PolicySQLSSLRequired = "sql-ssl-required"

var sqlSSLRequiredPolicy = policy{
	info: PolicyInfo{
		Name: PolicySQLSSLRequired, Kind: KindResource, Level: LevelMandatory, Types: []string{TypeSQLInstance},
		Description: "A Cloud SQL instance accepts only encrypted connections (sslMode ENCRYPTED_ONLY or " +
			"TRUSTED_CLIENT_CERTIFICATE_REQUIRED).",
	},
	meta: Metadata{
		Severity: SeverityHigh, Tags: []string{"security"},
		Remediation: "Set settings.ipConfiguration.sslMode to ENCRYPTED_ONLY (or TRUSTED_CLIENT_CERTIFICATE_REQUIRED).",
	},
	resource: checkSQLSSL,
}

func checkSQLSSL(r *policyx.AnalyzerResource, _ Config, f *findings) {
	p := r.Properties
	name := resourceName(r)
	mode, st := get(p, "settings.ipConfiguration.sslMode").str()
	switch st {
	case stOK:
		switch mode {
		case "ENCRYPTED_ONLY", "TRUSTED_CLIENT_CERTIFICATE_REQUIRED":
			return
		}
		f.fail("instance %s: set settings.ipConfiguration.sslMode to ENCRYPTED_ONLY (is %s)", name, mode)
	case stUnknown:
		f.unknown(r, "settings.ipConfiguration.sslMode")
	default:
		// The deprecated requireSsl=true is equivalent to
		// TRUSTED_CLIENT_CERTIFICATE_REQUIRED.
		if req, st := get(p, "settings.ipConfiguration.requireSsl").boolean(); st == stOK && req {
			return
		} else if st == stUnknown {
			f.unknown(r, "settings.ipConfiguration.requireSsl")
			return
		}
		f.fail("instance %s: set settings.ipConfiguration.sslMode to ENCRYPTED_ONLY (unencrypted connections are accepted)", name)
	}
}
