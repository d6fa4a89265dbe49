// Package gcpfake is the one table of what Google Cloud computes for a
// resource the program declares: the physical ID and the output-only
// properties (private IPs from the private-services-access range,
// connectionName, the run.app URL, connector ids, self links …), by
// pulumi-gcp type token. Both GCP fakes use it: the offline mocks of
// infra/graph (`headroom plan`, mock-run tests) and the stand-in provider
// plugin the real engine runs (testkit/standin/gcp), so an offline plan and
// a real preview see the same resources. It is test and planning tooling:
// the deployed program never links it (tests/walls_test.go).
package gcpfake

import (
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"net/netip"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"

	"github.com/headroom-dev/headroom/contract"
)

// Type tokens the table completes (stated in the contract).
const (
	TypeNetwork       = contract.TypeNetwork
	TypeSubnetwork    = contract.TypeSubnetwork
	TypeGlobalAddress = contract.TypeGlobalAddress
	TypePSAConnection = contract.TypePSAConnection
	TypeConnector     = contract.TypeConnector
	TypeSQLInstance   = contract.TypeSQLInstance
	TypeSQLUser       = contract.TypeSQLUser
	TypeSQLDatabase   = contract.TypeSQLDatabase
	TypeRunService    = contract.TypeRunService
	TypeRunJob        = contract.TypeRunJob
	TypeAccount       = contract.TypeAccount
	TypeIAMMember     = contract.TypeIAMMember
	TypeAPIService    = contract.TypeAPIService
)

// Resource is one resource the fake cloud already holds: its type and
// outputs (Cloud SQL draws private IPs from a network's
// private-services-access range and never reuses a live instance's).
type Resource struct {
	Type    string
	Outputs resource.PropertyMap
}

// Ctx is what a shape sees: the resource's inputs (with project and
// region filled as the provider fills them), the outputs it had before (an
// update keeps what GCP keeps: IDs, IPs), and the rest of the cloud. Shape
// writes the outputs into Out.
type Ctx struct {
	Token   string
	Name    string // the logical (URN) name: `name` when the input is unset
	Project string
	In      resource.PropertyMap
	Prev    resource.PropertyMap
	Cloud   []Resource
	Out     resource.PropertyMap
}

// Shape computes the physical ID and the outputs (c.Out: the inputs plus
// every computed property) of one resource. An unknown type gets a
// generic shape: an id from project, location and name, and a selfLink.
func Shape(c *Ctx) string {
	if c.Out == nil {
		c.Out = c.In.Copy()
	}
	if f, ok := shapes[c.Token]; ok {
		return f(c)
	}
	return shapeGeneric(c)
}

// Known reports whether the table has a shape for the type.
func Known(token string) bool { _, ok := shapes[token]; return ok }

// Tokens lists the types the table completes.
func Tokens() []string {
	out := make([]string, 0, len(shapes))
	for t := range shapes {
		out = append(out, t)
	}
	return out
}

var shapes = map[string]func(*Ctx) string{
	TypeNetwork:       shapeNetwork,
	TypeSubnetwork:    shapeSubnetwork,
	TypeGlobalAddress: shapeGlobalAddress,
	TypePSAConnection: shapePSA,
	TypeConnector:     shapeConnector,
	TypeSQLInstance:   shapeSQLInstance,
	TypeSQLUser:       shapeSQLUser,
	TypeSQLDatabase:   shapeSQLDatabase,
	TypeRunService:    shapeRunService,
	TypeRunJob:        shapeRunJob,
	TypeAccount:       shapeAccount,
	TypeIAMMember:     shapeIAMMember,
	TypeAPIService:    shapeAPIService,
}

// Str is an input's string value ("" when unset, unknown or not a string).
func (c *Ctx) Str(k string) string { return plainString(c.In[resource.PropertyKey(k)]) }

// NameOr is the `name` input, else the logical name.
func (c *Ctx) NameOr() string {
	if n := c.Str("name"); n != "" {
		return n
	}
	return c.Name
}

// Set writes an output.
func (c *Ctx) Set(k string, v any) {
	c.Out[resource.PropertyKey(k)] = resource.NewPropertyValue(v)
}

// Keep sets k to its previous value when there was one, else to v.
func (c *Ctx) Keep(k string, v any) {
	if p, ok := c.Prev[resource.PropertyKey(k)]; ok && !p.IsNull() {
		c.Out[resource.PropertyKey(k)] = p
		return
	}
	c.Set(k, v)
}

// SetDefault fills an optional+computed input the program left unset.
func (c *Ctx) SetDefault(k string, v any) {
	if p, ok := c.In[resource.PropertyKey(k)]; ok && !p.IsNull() {
		return
	}
	c.Keep(k, v)
}

func unwrap(v resource.PropertyValue) resource.PropertyValue {
	for v.IsSecret() {
		v = v.SecretValue().Element
	}
	return v
}

func plainString(v resource.PropertyValue) string {
	v = unwrap(v)
	if v.IsString() {
		return v.StringValue()
	}
	return ""
}

func computeLink(id string) string { return "https://www.googleapis.com/compute/v1/" + id }

// timestamp is a fixed creation time: the stand-in is deterministic.
const timestamp = "2026-01-01T00:00:00.000-08:00"

func shapeNetwork(c *Ctx) string {
	id := fmt.Sprintf("projects/%s/global/networks/%s", c.Project, c.NameOr())
	c.Set("selfLink", computeLink(id))
	c.Keep("numericId", fmt.Sprintf("%d", 1000000000000000000+digits(id, 18)))
	c.Set("gatewayIpv4", "")
	c.SetDefault("mtu", 1460.0)
	c.Set("internalIpv6Range", "")
	return id
}

func shapeSubnetwork(c *Ctx) string {
	id := fmt.Sprintf("projects/%s/regions/%s/subnetworks/%s", c.Project, c.Str("region"), c.NameOr())
	c.Set("selfLink", computeLink(id))
	if p, err := netip.ParsePrefix(c.Str("ipCidrRange")); err == nil {
		c.Set("gatewayAddress", p.Masked().Addr().Next().String())
	}
	c.Keep("creationTimestamp", timestamp)
	c.Set("fingerprint", fmt.Sprintf("%016x", digits(id+c.Str("ipCidrRange"), 16)))
	c.SetDefault("stackType", "IPV4_ONLY")
	c.SetDefault("purpose", "PRIVATE")
	return id
}

func shapeGlobalAddress(c *Ctx) string {
	id := fmt.Sprintf("projects/%s/global/addresses/%s", c.Project, c.NameOr())
	c.Set("selfLink", computeLink(id))
	c.Keep("creationTimestamp", timestamp)
	c.SetDefault("address", "10.0.0.0")
	return id
}

func shapePSA(c *Ctx) string {
	c.Set("peering", "servicenetworking-googleapis-com")
	return c.Str("network") + ":" + c.Str("service")
}

func shapeConnector(c *Ctx) string {
	id := fmt.Sprintf("projects/%s/locations/%s/connectors/%s", c.Project, c.Str("region"), c.NameOr())
	c.Set("selfLink", id)
	c.Set("state", "READY")
	c.Set("connectedProjects", []any{c.Project})
	// Unset instance counts follow the throughput bounds (100 Mbps per
	// e2-micro instance): min 200 → 2, max 300 → 3.
	minT, maxT := 200.0, 300.0
	if v := unwrap(c.In["minThroughput"]); v.IsNumber() {
		minT = v.NumberValue()
	}
	if v := unwrap(c.In["maxThroughput"]); v.IsNumber() {
		maxT = v.NumberValue()
	}
	c.SetDefault("minInstances", minT/100)
	c.SetDefault("maxInstances", maxT/100)
	return id
}

func shapeSQLInstance(c *Ctx) string {
	name := c.NameOr()
	region := c.Str("region")
	ip := plainString(c.Prev["privateIpAddress"])
	if ip == "" {
		ip = allocatePrivateIP(c.Cloud, c.privateNetwork(), region, name)
	}
	c.Set("connectionName", fmt.Sprintf("%s:%s:%s", c.Project, region, name))
	c.Set("privateIpAddress", ip)
	addrs := []any{map[string]any{"ipAddress": ip, "type": "PRIVATE", "timeToRetire": ""}}
	public := ""
	if c.ipv4Enabled() {
		public = fmt.Sprintf("34.%d.%d.%d", 1+digits(name, 2), digits(name+"b", 2)+1, digits(name+"c", 2)+2)
		addrs = append([]any{map[string]any{"ipAddress": public, "type": "PRIMARY", "timeToRetire": ""}}, addrs...)
	}
	c.Set("publicIpAddress", public)
	c.Set("ipAddresses", addrs)
	first := ip
	if public != "" {
		first = public
	}
	c.Set("firstIpAddress", first)
	c.Set("selfLink", fmt.Sprintf("https://sqladmin.googleapis.com/sql/v1beta4/projects/%s/instances/%s", c.Project, name))
	c.Set("serviceAccountEmailAddress", fmt.Sprintf("p%d-%s@gcp-sa-cloud-sql.iam.gserviceaccount.com", 100000000000+digits(c.Project, 11), fmt.Sprintf("%06x", digits(name, 6))))
	c.Set("dnsName", "")
	c.Set("pscServiceAttachmentLink", "")
	if c.Str("masterInstanceName") != "" {
		c.Set("instanceType", "READ_REPLICA_INSTANCE")
	} else {
		c.Set("instanceType", "CLOUD_SQL_INSTANCE")
		c.SetDefault("masterInstanceName", "")
	}
	c.Set("serverCaCerts", []any{map[string]any{
		"cert": "-----BEGIN CERTIFICATE-----\nstand-in\n-----END CERTIFICATE-----", "commonName": "C=US,O=Google\\, Inc,CN=Google Cloud SQL Server CA",
		"createTime": timestamp, "expirationTime": "2036-01-01T00:00:00.000-08:00", "sha1Fingerprint": fmt.Sprintf("%040x", digits(name, 18)),
	}})
	return name
}

func (c *Ctx) settings() resource.PropertyMap {
	s := unwrap(c.In["settings"])
	if s.IsObject() {
		return s.ObjectValue()
	}
	return nil
}

func (c *Ctx) ipConfiguration() resource.PropertyMap {
	if ipc := unwrap(c.settings()["ipConfiguration"]); ipc.IsObject() {
		return ipc.ObjectValue()
	}
	return nil
}

func (c *Ctx) privateNetwork() string {
	return plainString(c.ipConfiguration()["privateNetwork"])
}

// ipv4Enabled: Cloud SQL's ipv4_enabled defaults to true (a public IP)
// when settings.ipConfiguration.ipv4Enabled is not set.
func (c *Ctx) ipv4Enabled() bool {
	v := unwrap(c.ipConfiguration()["ipv4Enabled"])
	if v.IsBool() {
		return v.BoolValue()
	}
	return true
}

func shapeSQLUser(c *Ctx) string {
	return fmt.Sprintf("%s/%s/%s", c.NameOr(), c.Str("host"), c.Str("instance"))
}

func shapeSQLDatabase(c *Ctx) string {
	id := fmt.Sprintf("projects/%s/instances/%s/databases/%s", c.Project, c.Str("instance"), c.NameOr())
	c.Set("selfLink", "https://sqladmin.googleapis.com/sql/v1beta4/"+id)
	c.SetDefault("charset", "UTF8")
	c.SetDefault("collation", "en_US.UTF8")
	return id
}

func (c *Ctx) runCommon(kind string) string {
	location := c.Str("location")
	id := fmt.Sprintf("projects/%s/locations/%s/%s/%s", c.Project, location, kind, c.NameOr())
	gen := 1.0
	if p := unwrap(c.Prev["generation"]); p.IsString() {
		var g int
		_, _ = fmt.Sscanf(p.StringValue(), "%d", &g)
		gen = float64(g + 1)
	}
	c.Set("uid", fmt.Sprintf("%08x-%04x-%04x-%04x-%012x", digits(id, 9)%0xffffffff, digits(id+"1", 4)%0xffff, digits(id+"2", 4)%0xffff, digits(id+"3", 4)%0xffff, digits(id+"4", 14)))
	c.Set("etag", fmt.Sprintf("\"%x\"", digits(id+fmt.Sprint(gen), 12)))
	c.Set("generation", fmt.Sprintf("%d", int(gen)))
	c.Set("observedGeneration", fmt.Sprintf("%d", int(gen)))
	c.Set("reconciling", false)
	c.Set("conditions", []any{})
	c.Set("terminalConditions", []any{map[string]any{"type": "Ready", "state": "CONDITION_SUCCEEDED"}})
	return id
}

func shapeRunService(c *Ctx) string {
	id := c.runCommon("services")
	name := c.NameOr()
	// Cloud Run's deterministic URL: https://<service>-<project number>.<region>.run.app
	c.Set("uri", fmt.Sprintf("https://%s-%d.%s.run.app", name, projectNumber(c.Project), c.Str("location")))
	rev := fmt.Sprintf("%s-%05d-%s", name, mustAtoi(plainString(c.Out["generation"])), shortHash(id+plainString(c.Out["generation"])))
	c.Set("latestReadyRevision", id+"/revisions/"+rev)
	c.Set("latestCreatedRevision", id+"/revisions/"+rev)
	return id
}

func shapeRunJob(c *Ctx) string {
	id := c.runCommon("jobs")
	c.Set("latestCreatedExecution", []any{})
	c.Keep("executionCount", 0.0)
	return id
}

func shapeAccount(c *Ctx) string {
	email := fmt.Sprintf("%s@%s.iam.gserviceaccount.com", c.Str("accountId"), c.Project)
	id := fmt.Sprintf("projects/%s/serviceAccounts/%s", c.Project, email)
	c.Set("email", email)
	c.Set("member", "serviceAccount:"+email)
	c.Set("name", id)
	c.Set("uniqueId", fmt.Sprintf("1%020d", digits(email, 18)))
	return id
}

func shapeIAMMember(c *Ctx) string {
	c.Set("etag", fmt.Sprintf("BwY%08x", digits(c.Str("role")+c.Str("member"), 8)))
	return fmt.Sprintf("%s/%s/%s", c.Str("project"), c.Str("role"), c.Str("member"))
}

func shapeAPIService(c *Ctx) string {
	return fmt.Sprintf("%s/%s", c.Project, c.Str("service"))
}

func shapeGeneric(c *Ctx) string {
	loc := c.Str("location")
	if loc == "" {
		loc = c.Str("region")
	}
	kind := c.Token
	if i := strings.LastIndex(kind, ":"); i >= 0 {
		kind = strings.ToLower(kind[i+1:]) + "s"
	}
	id := fmt.Sprintf("projects/%s/%s/%s", c.Project, kind, c.NameOr())
	if loc != "" {
		id = fmt.Sprintf("projects/%s/locations/%s/%s/%s", c.Project, loc, kind, c.NameOr())
	}
	c.Set("selfLink", id)
	return id
}

// allocatePrivateIP gives a Cloud SQL instance an address from the private
// services access range reserved on its network (a GlobalAddress with
// purpose VPC_PEERING), as Google does: one /24 block per region, hosts
// from .2 upward, never reusing a live instance's address. Without a
// range it uses 10.200.0.0/16.
func allocatePrivateIP(cloud []Resource, network, region, name string) string {
	prefix := netip.MustParsePrefix("10.200.0.0/16")
	for _, r := range cloud {
		if r.Type != TypeGlobalAddress {
			continue
		}
		out := r.Outputs
		if plainString(out["purpose"]) != "VPC_PEERING" || (network != "" && !sameResource(plainString(out["network"]), network)) {
			continue
		}
		a, err := netip.ParseAddr(plainString(out["address"]))
		if bits := unwrap(out["prefixLength"]); err == nil && bits.IsNumber() {
			if p, err := a.Prefix(int(bits.NumberValue())); err == nil && p.Addr().Is4() && p.Bits() <= 24 {
				prefix = p
			}
		}
	}
	used := map[string]bool{}
	blocks := map[string]uint32{} // region → block index
	for _, r := range cloud {
		if r.Type != TypeSQLInstance {
			continue
		}
		out := r.Outputs
		ip := plainString(out["privateIpAddress"])
		used[ip] = true
		if a, err := netip.ParseAddr(ip); err == nil && prefix.Contains(a) {
			off := binary.BigEndian.Uint32(a.AsSlice()) - binary.BigEndian.Uint32(prefix.Masked().Addr().AsSlice())
			blocks[plainString(out["region"])] = off / 256
		}
	}
	block, ok := blocks[region]
	if !ok {
		taken := map[uint32]bool{}
		for _, b := range blocks {
			taken[b] = true
		}
		for taken[block] {
			block++
		}
	}
	base := binary.BigEndian.Uint32(prefix.Masked().Addr().AsSlice()) + block*256
	for host := uint32(2); host < 255; host++ {
		var b [4]byte
		binary.BigEndian.PutUint32(b[:], base+host)
		ip := netip.AddrFrom4(b).String()
		if !used[ip] {
			return ip
		}
	}
	return fmt.Sprintf("10.200.255.%d", 2+digits(name, 2))
}

// sameResource compares two references to one resource, either as a
// relative name or as a self link.
func sameResource(a, b string) bool {
	trim := func(s string) string {
		s = strings.TrimPrefix(s, "https://www.googleapis.com/compute/v1/")
		return strings.TrimPrefix(s, "https://www.googleapis.com/compute/beta/")
	}
	return trim(a) == trim(b) || strings.HasSuffix(trim(a), "/"+trim(b)) || strings.HasSuffix(trim(b), "/"+trim(a))
}

func projectNumber(project string) uint64 { return 100000000000 + digits(project, 11) }

func digits(s string, n int) uint64 {
	h := fnv.New64a()
	_, _ = h.Write([]byte(s))
	mod := uint64(1)
	for i := 0; i < n; i++ {
		mod *= 10
	}
	return h.Sum64() % mod
}

func shortHash(s string) string {
	const alphabet = "abcdefghijklmnopqrstuvwxyz"
	v := digits(s, 18)
	out := make([]byte, 3)
	for i := range out {
		out[i] = alphabet[v%26]
		v /= 26
	}
	return string(out)
}

func mustAtoi(s string) int {
	var n int
	_, _ = fmt.Sscanf(s, "%d", &n)
	return n
}

// AutoNamed reports whether pulumi-gcp auto-names the type: it has a
// `name` input, which the bridge fills with the logical name and a random
// suffix when the program leaves it unset (`prov.SetAutonaming(255, "-")`
// in pulumi-gcp's provider/resources.go). Types named by another input
// (accountId, service, role and member) are not.
func AutoNamed(token string) bool { return autoNamed[token] }

var autoNamed = map[string]bool{
	TypeNetwork: true, TypeSubnetwork: true, TypeGlobalAddress: true, TypeConnector: true,
	TypeSQLInstance: true, TypeSQLUser: true, TypeSQLDatabase: true, TypeRunService: true, TypeRunJob: true,
}
