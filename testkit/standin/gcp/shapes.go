package gcp

import (
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"net/netip"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

// shapeCtx is what a shape function sees: the checked inputs, the outputs
// the resource had before (an update keeps what GCP keeps: IDs, IPs), and
// the other resources in the stand-in's state (Cloud SQL takes its private
// IP from the private-services-access range of its network).
type shapeCtx struct {
	token   string
	name    string // the URN's resource name (fallback for `name`)
	project string
	in      resource.PropertyMap
	prev    resource.PropertyMap
	state   *State
	out     resource.PropertyMap
}

func (c *shapeCtx) str(k string) string { return plainString(c.in[resource.PropertyKey(k)]) }

func (c *shapeCtx) nameOr() string {
	if n := c.str("name"); n != "" {
		return n
	}
	return c.name
}

func (c *shapeCtx) set(k string, v any) {
	c.out[resource.PropertyKey(k)] = resource.NewPropertyValue(v)
}

// keep sets k to its previous value when there was one, else to v.
func (c *shapeCtx) keep(k string, v any) {
	if p, ok := c.prev[resource.PropertyKey(k)]; ok && !p.IsNull() {
		c.out[resource.PropertyKey(k)] = p
		return
	}
	c.set(k, v)
}

// setDefault fills an optional+computed input the program left unset.
func (c *shapeCtx) setDefault(k string, v any) {
	if p, ok := c.in[resource.PropertyKey(k)]; ok && !p.IsNull() {
		return
	}
	c.keep(k, v)
}

func computeLink(id string) string { return "https://www.googleapis.com/compute/v1/" + id }

// timestamp is a fixed creation time: the stand-in is deterministic.
const timestamp = "2026-01-01T00:00:00.000-08:00"

func shapeNetwork(c *shapeCtx) string {
	id := fmt.Sprintf("projects/%s/global/networks/%s", c.project, c.nameOr())
	c.set("selfLink", computeLink(id))
	c.keep("numericId", fmt.Sprintf("%d", 1000000000000000000+digits(id, 18)))
	c.set("gatewayIpv4", "")
	c.setDefault("mtu", 1460.0)
	c.set("internalIpv6Range", "")
	return id
}

func shapeSubnetwork(c *shapeCtx) string {
	id := fmt.Sprintf("projects/%s/regions/%s/subnetworks/%s", c.project, c.str("region"), c.nameOr())
	c.set("selfLink", computeLink(id))
	if p, err := netip.ParsePrefix(c.str("ipCidrRange")); err == nil {
		c.set("gatewayAddress", p.Masked().Addr().Next().String())
	}
	c.keep("creationTimestamp", timestamp)
	c.set("fingerprint", fmt.Sprintf("%016x", digits(id+c.str("ipCidrRange"), 16)))
	c.setDefault("stackType", "IPV4_ONLY")
	c.setDefault("purpose", "PRIVATE")
	return id
}

func shapeGlobalAddress(c *shapeCtx) string {
	id := fmt.Sprintf("projects/%s/global/addresses/%s", c.project, c.nameOr())
	c.set("selfLink", computeLink(id))
	c.keep("creationTimestamp", timestamp)
	c.setDefault("address", "10.0.0.0")
	return id
}

func shapePSA(c *shapeCtx) string {
	c.set("peering", "servicenetworking-googleapis-com")
	return c.str("network") + ":" + c.str("service")
}

func shapeConnector(c *shapeCtx) string {
	id := fmt.Sprintf("projects/%s/locations/%s/connectors/%s", c.project, c.str("region"), c.nameOr())
	c.set("selfLink", id)
	c.set("state", "READY")
	c.set("connectedProjects", []any{c.project})
	// Unset instance counts follow the throughput bounds (100 Mbps per
	// e2-micro instance): min 200 → 2, max 300 → 3.
	minT, maxT := 200.0, 300.0
	if v := unwrap(c.in["minThroughput"]); v.IsNumber() {
		minT = v.NumberValue()
	}
	if v := unwrap(c.in["maxThroughput"]); v.IsNumber() {
		maxT = v.NumberValue()
	}
	c.setDefault("minInstances", minT/100)
	c.setDefault("maxInstances", maxT/100)
	return id
}

func shapeSQLInstance(c *shapeCtx) string {
	name := c.nameOr()
	region := c.str("region")
	ip := plainString(c.prev["privateIpAddress"])
	if ip == "" {
		ip = c.state.allocatePrivateIP(c.privateNetwork(), region, name)
	}
	c.set("connectionName", fmt.Sprintf("%s:%s:%s", c.project, region, name))
	c.set("privateIpAddress", ip)
	addrs := []any{map[string]any{"ipAddress": ip, "type": "PRIVATE", "timeToRetire": ""}}
	public := ""
	if c.ipv4Enabled() {
		public = fmt.Sprintf("34.%d.%d.%d", 1+digits(name, 2), digits(name+"b", 2)+1, digits(name+"c", 2)+2)
		addrs = append([]any{map[string]any{"ipAddress": public, "type": "PRIMARY", "timeToRetire": ""}}, addrs...)
	}
	c.set("publicIpAddress", public)
	c.set("ipAddresses", addrs)
	first := ip
	if public != "" {
		first = public
	}
	c.set("firstIpAddress", first)
	c.set("selfLink", fmt.Sprintf("https://sqladmin.googleapis.com/sql/v1beta4/projects/%s/instances/%s", c.project, name))
	c.set("serviceAccountEmailAddress", fmt.Sprintf("p%d-%s@gcp-sa-cloud-sql.iam.gserviceaccount.com", 100000000000+digits(c.project, 11), fmt.Sprintf("%06x", digits(name, 6))))
	c.set("dnsName", "")
	c.set("pscServiceAttachmentLink", "")
	if c.str("masterInstanceName") != "" {
		c.set("instanceType", "READ_REPLICA_INSTANCE")
	} else {
		c.set("instanceType", "CLOUD_SQL_INSTANCE")
		c.setDefault("masterInstanceName", "")
	}
	c.set("serverCaCerts", []any{map[string]any{
		"cert": "-----BEGIN CERTIFICATE-----\nstand-in\n-----END CERTIFICATE-----", "commonName": "C=US,O=Google\\, Inc,CN=Google Cloud SQL Server CA",
		"createTime": timestamp, "expirationTime": "2036-01-01T00:00:00.000-08:00", "sha1Fingerprint": fmt.Sprintf("%040x", digits(name, 18)),
	}})
	return name
}

func (c *shapeCtx) settings() resource.PropertyMap {
	s := unwrap(c.in["settings"])
	if s.IsObject() {
		return s.ObjectValue()
	}
	return nil
}

func (c *shapeCtx) ipConfiguration() resource.PropertyMap {
	if ipc := unwrap(c.settings()["ipConfiguration"]); ipc.IsObject() {
		return ipc.ObjectValue()
	}
	return nil
}

func (c *shapeCtx) privateNetwork() string {
	return plainString(c.ipConfiguration()["privateNetwork"])
}

// ipv4Enabled: Cloud SQL's ipv4_enabled defaults to true (a public IP)
// when settings.ipConfiguration.ipv4Enabled is not set.
func (c *shapeCtx) ipv4Enabled() bool {
	v := unwrap(c.ipConfiguration()["ipv4Enabled"])
	if v.IsBool() {
		return v.BoolValue()
	}
	return true
}

func shapeSQLUser(c *shapeCtx) string {
	return fmt.Sprintf("%s/%s/%s", c.nameOr(), c.str("host"), c.str("instance"))
}

func shapeSQLDatabase(c *shapeCtx) string {
	id := fmt.Sprintf("projects/%s/instances/%s/databases/%s", c.project, c.str("instance"), c.nameOr())
	c.set("selfLink", "https://sqladmin.googleapis.com/sql/v1beta4/"+id)
	c.setDefault("charset", "UTF8")
	c.setDefault("collation", "en_US.UTF8")
	return id
}

func (c *shapeCtx) runCommon(kind string) string {
	location := c.str("location")
	id := fmt.Sprintf("projects/%s/locations/%s/%s/%s", c.project, location, kind, c.nameOr())
	gen := 1.0
	if p := unwrap(c.prev["generation"]); p.IsString() {
		var g int
		_, _ = fmt.Sscanf(p.StringValue(), "%d", &g)
		gen = float64(g + 1)
	}
	c.set("uid", fmt.Sprintf("%08x-%04x-%04x-%04x-%012x", digits(id, 9)%0xffffffff, digits(id+"1", 4)%0xffff, digits(id+"2", 4)%0xffff, digits(id+"3", 4)%0xffff, digits(id+"4", 14)))
	c.set("etag", fmt.Sprintf("\"%x\"", digits(id+fmt.Sprint(gen), 12)))
	c.set("generation", fmt.Sprintf("%d", int(gen)))
	c.set("observedGeneration", fmt.Sprintf("%d", int(gen)))
	c.set("reconciling", false)
	c.set("conditions", []any{})
	c.set("terminalConditions", []any{map[string]any{"type": "Ready", "state": "CONDITION_SUCCEEDED"}})
	return id
}

func shapeRunService(c *shapeCtx) string {
	id := c.runCommon("services")
	name := c.nameOr()
	// Cloud Run's deterministic URL: https://<service>-<project number>.<region>.run.app
	c.set("uri", fmt.Sprintf("https://%s-%d.%s.run.app", name, projectNumber(c.project), c.str("location")))
	rev := fmt.Sprintf("%s-%05d-%s", name, mustAtoi(plainString(c.out["generation"])), shortHash(id+plainString(c.out["generation"])))
	c.set("latestReadyRevision", id+"/revisions/"+rev)
	c.set("latestCreatedRevision", id+"/revisions/"+rev)
	return id
}

func shapeRunJob(c *shapeCtx) string {
	id := c.runCommon("jobs")
	c.set("latestCreatedExecution", []any{})
	c.keep("executionCount", 0.0)
	return id
}

func shapeAccount(c *shapeCtx) string {
	email := fmt.Sprintf("%s@%s.iam.gserviceaccount.com", c.str("accountId"), c.project)
	id := fmt.Sprintf("projects/%s/serviceAccounts/%s", c.project, email)
	c.set("email", email)
	c.set("member", "serviceAccount:"+email)
	c.set("name", id)
	c.set("uniqueId", fmt.Sprintf("1%020d", digits(email, 18)))
	return id
}

func shapeIAMMember(c *shapeCtx) string {
	c.set("etag", fmt.Sprintf("BwY%08x", digits(c.str("role")+c.str("member"), 8)))
	return fmt.Sprintf("%s/%s/%s", c.str("project"), c.str("role"), c.str("member"))
}

func shapeAPIService(c *shapeCtx) string {
	return fmt.Sprintf("%s/%s", c.project, c.str("service"))
}

func shapeGeneric(c *shapeCtx) string {
	loc := c.str("location")
	if loc == "" {
		loc = c.str("region")
	}
	kind := c.token
	if i := strings.LastIndex(kind, ":"); i >= 0 {
		kind = strings.ToLower(kind[i+1:]) + "s"
	}
	id := fmt.Sprintf("projects/%s/%s/%s", c.project, kind, c.nameOr())
	if loc != "" {
		id = fmt.Sprintf("projects/%s/locations/%s/%s/%s", c.project, loc, kind, c.nameOr())
	}
	c.set("selfLink", id)
	return id
}

// allocatePrivateIP gives a Cloud SQL instance an address from the private
// services access range reserved on its network (a GlobalAddress with
// purpose VPC_PEERING), as Google does: one /24 block per region, hosts
// from .2 upward, never reusing a live instance's address. Without a
// range it uses 10.200.0.0/16.
func (s *State) allocatePrivateIP(network, region, name string) string {
	prefix := netip.MustParsePrefix("10.200.0.0/16")
	for _, r := range s.Resources {
		if r.Type != TypeGlobalAddress {
			continue
		}
		out := r.outputs()
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
	for _, r := range s.Resources {
		if r.Type != TypeSQLInstance {
			continue
		}
		out := r.outputs()
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
