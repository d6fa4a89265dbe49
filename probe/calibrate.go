package probe

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"gopkg.in/yaml.v3"
)

// CalibrateConfig tunes a calibration run. Zero values take defaults.
type CalibrateConfig struct {
	DSN string
	// Serial is the number of one-at-a-time connections whose median
	// latency is the handshake (default 30).
	Serial int
	// Workers is the burst's concurrency (default: min(8, free slots − 2)).
	Workers int
	// Burst is how long the concurrent connect+close burst runs (default 3 s).
	Burst time.Duration
	// AttemptTimeout bounds one connection (default 10 s).
	AttemptTimeout time.Duration
	// ApplicationName tags the sessions; empty = generated.
	ApplicationName string
}

// Calibration is what the target measured like.
type Calibration struct {
	Target     string    `json:"target"`
	MeasuredAt time.Time `json:"measuredAt"`
	// Server settings and sessions seen at the start.
	ServerVersion                string `json:"serverVersion"`
	MaxConnections               int    `json:"maxConnections"`
	SuperuserReservedConnections int    `json:"superuserReservedConnections"`
	// OtherSessions are client backends that are not the calibration's own
	// (Cloud SQL's cloudsqladmin sessions, other applications, a monitor).
	OtherSessions int `json:"otherSessions"`
	// ReservedConnections = SuperuserReservedConnections + OtherSessions:
	// the slots the applications cannot have (model: Assumptions.ReservedConnections).
	ReservedConnections int `json:"reservedConnections"`

	// Handshake is the serial (unqueued) establishment latency.
	Handshake        Percentiles `json:"handshake"`
	HandshakeSeconds float64     `json:"handshakeSeconds"` // = Handshake.P50

	// AcceptRatePerSecond is connections completed (connect + close) per
	// second by Workers concurrent clients during the burst.
	AcceptRatePerSecond float64 `json:"acceptRatePerSecond"`
	BurstWorkers        int     `json:"burstWorkers"`
	BurstConnections    int     `json:"burstConnections"`
	BurstSeconds        float64 `json:"burstSeconds"`
	// BurstFailures counts failed burst attempts by class (should be empty).
	BurstFailures map[Outcome]int `json:"burstFailures,omitempty"`
}

// Calibrate measures the target: settings, handshake latency (serial), and
// accept rate (concurrent burst). Every session is closed before it returns.
func Calibrate(ctx context.Context, cc CalibrateConfig) (*Calibration, error) {
	if cc.Serial <= 0 {
		cc.Serial = 30
	}
	if cc.Burst <= 0 {
		cc.Burst = 3 * time.Second
	}
	if cc.AttemptTimeout <= 0 {
		cc.AttemptTimeout = 10 * time.Second
	}
	if cc.ApplicationName == "" {
		cc.ApplicationName = NewTag()
	}
	base, err := pgconn.ParseConfig(cc.DSN)
	if err != nil {
		return nil, dsnError(SettingDSN, err)
	}
	base.RuntimeParams["application_name"] = cc.ApplicationName
	base.ConnectTimeout = 0

	cal := &Calibration{Target: describeTarget(base), MeasuredAt: time.Now().UTC()}
	if err := readSettings(ctx, cc.DSN, cc.ApplicationName, cal); err != nil {
		return nil, err
	}

	// Handshake: one at a time, so nothing queues.
	var lat []time.Duration
	for range cc.Serial {
		d, err := connectClose(ctx, base, cc.AttemptTimeout)
		if err != nil {
			return nil, fmt.Errorf("serial handshake: %s: %w", Classify(err), redactErr(err))
		}
		lat = append(lat, d)
	}
	cal.Handshake = Summarize(lat)
	cal.HandshakeSeconds = cal.Handshake.P50

	// Accept rate: a concurrent connect+close burst that stays below the
	// free slots, so what limits it is the server's accept path (fork,
	// authentication), not max_connections.
	free := cal.MaxConnections - cal.ReservedConnections
	w := cc.Workers
	if w <= 0 {
		w = min(8, free-2)
	}
	if w < 1 {
		return nil, fmt.Errorf("accept rate: no free connection slots (max_connections %d, reserved %d)", cal.MaxConnections, cal.ReservedConnections)
	}
	cal.BurstWorkers = w
	n, failures, elapsed := churn(ctx, base, w, cc.Burst, cc.AttemptTimeout)
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	cal.BurstConnections = n
	cal.BurstSeconds = round6(elapsed.Seconds())
	if len(failures) > 0 {
		cal.BurstFailures = failures
	}
	if n == 0 {
		return nil, errors.New("accept rate: no connection completed during the burst")
	}
	cal.AcceptRatePerSecond = round6(float64(n) / elapsed.Seconds())
	return cal, nil
}

func readSettings(ctx context.Context, dsn, tag string, cal *Calibration) error {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return dsnError(SettingDSN, err)
	}
	cfg.RuntimeParams["application_name"] = tag
	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	conn, err := pgx.ConnectConfig(cctx, cfg)
	if err != nil {
		return fmt.Errorf("connecting: %s: %w", Classify(err), redactErr(err))
	}
	defer closeMonitorConn(conn)
	var maxConn, reserved string
	err = conn.QueryRow(cctx, `SELECT current_setting('server_version'),
	        current_setting('max_connections'),
	        current_setting('superuser_reserved_connections'),
	        (SELECT count(*) FROM pg_stat_activity
	          WHERE backend_type = 'client backend' AND pid <> pg_backend_pid())`).
		Scan(&cal.ServerVersion, &maxConn, &reserved, &cal.OtherSessions)
	if err != nil {
		return fmt.Errorf("reading settings: %w", redactErr(err))
	}
	if cal.MaxConnections, err = strconv.Atoi(maxConn); err != nil {
		return fmt.Errorf("max_connections %q: %w", maxConn, err)
	}
	if cal.SuperuserReservedConnections, err = strconv.Atoi(reserved); err != nil {
		return fmt.Errorf("superuser_reserved_connections %q: %w", reserved, err)
	}
	cal.ReservedConnections = cal.SuperuserReservedConnections + cal.OtherSessions
	return nil
}

func connectClose(ctx context.Context, base *pgconn.Config, timeout time.Duration) (time.Duration, error) {
	actx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	t0 := time.Now()
	c, err := pgconn.ConnectConfig(actx, base)
	d := time.Since(t0)
	if err != nil {
		return d, err
	}
	closeConn(c)
	return d, nil
}

// churn runs workers concurrent connect+close loops for d and returns the
// number of completed connections, failures by class, and the elapsed time
// until the last worker stopped.
func churn(ctx context.Context, base *pgconn.Config, workers int, d, attemptTimeout time.Duration) (int, map[Outcome]int, time.Duration) {
	var mu sync.Mutex
	total := 0
	failures := map[Outcome]int{}
	start := time.Now()
	end := start.Add(d)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			n := 0
			local := map[Outcome]int{}
			for time.Now().Before(end) && ctx.Err() == nil {
				if _, err := connectClose(ctx, base, attemptTimeout); err != nil {
					if ctx.Err() != nil {
						break
					}
					local[Classify(err)]++
					continue
				}
				n++
			}
			mu.Lock()
			total += n
			for k, v := range local {
				failures[k] += v
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	return total, failures, time.Since(start)
}

// ChurnResult is a connect+close loop's throughput (the probe's
// pgbench -C comparison).
type ChurnResult struct {
	Target        string          `json:"target"`
	Workers       int             `json:"workers"`
	Connections   int             `json:"connections"`
	Seconds       float64         `json:"seconds"`
	RatePerSecond float64         `json:"ratePerSecond"`
	Failures      map[Outcome]int `json:"failures,omitempty"`
}

// Churn runs workers concurrent connect+close loops against dsn for d.
func Churn(ctx context.Context, dsn string, workers int, d, attemptTimeout time.Duration) (*ChurnResult, error) {
	if workers < 1 || workers > MaxInstances {
		return nil, settingErrorf(SettingInstances, "must be 1…%d, got %d", MaxInstances, workers)
	}
	if d <= 0 {
		return nil, settingErrorf(SettingChurn, "must be > 0, got %s", d)
	}
	base, err := pgconn.ParseConfig(dsn)
	if err != nil {
		return nil, dsnError(SettingDSN, err)
	}
	base.RuntimeParams["application_name"] = NewTag()
	base.ConnectTimeout = 0
	if attemptTimeout <= 0 {
		attemptTimeout = 10 * time.Second
	}
	n, failures, elapsed := churn(ctx, base, workers, d, attemptTimeout)
	r := &ChurnResult{Target: describeTarget(base), Workers: workers, Connections: n, Seconds: round6(elapsed.Seconds())}
	if len(failures) > 0 {
		r.Failures = failures
	}
	if elapsed > 0 {
		r.RatePerSecond = round6(float64(n) / elapsed.Seconds())
	}
	return r, nil
}

// AssumptionsYAML renders the calibration as a headroom:assumptions
// document: the keys are config.Assumptions' YAML keys (a stack's
// headroom:assumptions; the policy-pack config uses the same names). Only
// measured keys are written (absent = model default); the raw measurements
// are comments.
func (c *Calibration) AssumptionsYAML() ([]byte, error) {
	doc := &yaml.Node{Kind: yaml.DocumentNode}
	m := &yaml.Node{Kind: yaml.MappingNode}
	doc.Content = []*yaml.Node{m}
	doc.HeadComment = fmt.Sprintf(
		"headroom:assumptions measured by `headroom calibrate` against %s at %s\n"+
			"server %s: max_connections %d, superuser_reserved_connections %d, other sessions %d\n"+
			"handshake p50 %.6fs p95 %.6fs (%d serial); accept rate %d connections in %.3fs by %d workers",
		c.Target, c.MeasuredAt.Format(time.RFC3339), c.ServerVersion, c.MaxConnections,
		c.SuperuserReservedConnections, c.OtherSessions, c.Handshake.P50, c.Handshake.P95,
		c.Handshake.Count, c.BurstConnections, c.BurstSeconds, c.BurstWorkers)
	add := func(key, value, comment string) {
		k := &yaml.Node{Kind: yaml.ScalarNode, Value: key}
		v := &yaml.Node{Kind: yaml.ScalarNode, Value: value, LineComment: comment}
		m.Content = append(m.Content, k, v)
	}
	add("acceptRatePerSecond", strconv.FormatFloat(c.AcceptRatePerSecond, 'f', -1, 64), "connections/s completed by a concurrent burst")
	add("handshakeSeconds", strconv.FormatFloat(c.HandshakeSeconds, 'f', -1, 64), "median serial establishment latency")
	add("reservedConnections", strconv.Itoa(c.ReservedConnections),
		fmt.Sprintf("superuser_reserved_connections %d + %d other sessions", c.SuperuserReservedConnections, c.OtherSessions))
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(doc); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
