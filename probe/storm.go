package probe

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"math"
	mrand "math/rand/v2"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/headroom-dev/headroom/infra/capacity"
)

// Limits that keep a storm bounded whatever the flags say. A storm bigger
// than this is not a probe any more, it is a load test of something else.
const (
	MaxInstances          = 5000
	MaxStartupConnections = 100
	MaxSessions           = 10000 // Instances × StartupConnections
	MaxDeadline           = 30 * time.Minute
)

// Backoff is the application's retry policy after a failed connection
// attempt: the first retry waits Initial, each next one Multiplier times
// longer, capped at Max. With Jitter, each wait is drawn uniformly from
// [½, 1] × that delay ("equal jitter"). Both rules are the capacity
// model's own (capacity.RetryDelay, capacity.EqualJitter): the simulator
// and the probe call the same functions, which the model-vs-measurement
// agreement depends on.
type Backoff struct {
	Initial    time.Duration
	Max        time.Duration
	Multiplier float64
	Jitter     bool
}

// Delay is the wait before retry number n (0-based).
func (b Backoff) Delay(n int) time.Duration {
	return time.Duration(capacity.RetryDelay(float64(b.Initial), b.Multiplier, float64(b.Max), n))
}

// wait is the actual pause before retry n: Delay, jittered when asked.
func (b Backoff) wait(n int) time.Duration {
	d := b.Delay(n)
	if !b.Jitter {
		return d
	}
	return time.Duration(capacity.EqualJitter(float64(d), mrand.Float64()))
}

// Config describes one cold-start storm.
type Config struct {
	// DSN of the target (URL or keyword/value form, as libpq/pgx accept).
	DSN string
	// MonitorDSN, when set, is used for one extra connection that polls
	// pg_stat_activity for the peak number of the probe's sessions on the
	// server. It should be a role that sees every session (superuser or
	// pg_monitor); it takes one slot for the duration of the storm.
	MonitorDSN string
	// Instances start over Ramp (0 = all at once), instance i at
	// Ramp × i / Instances.
	Instances int
	Ramp      time.Duration
	// StartupConnections each instance opens concurrently before it is
	// ready (the app's pool warm-up).
	StartupConnections int
	// ConnectTimeout is the instance's budget for all its startup
	// connections, retries included (the app's DB connect timeout).
	ConnectTimeout time.Duration
	// AttemptTimeout bounds one connection attempt; 0 = ConnectTimeout.
	AttemptTimeout time.Duration
	Backoff        Backoff
	// Hold is how long a ready instance keeps its startup connections
	// before closing them (0 = close at once).
	Hold time.Duration
	// Old, when set, is a rollout: the previous revision's sessions are
	// opened before the storm and held until it ends.
	Old OldRevision
	// Deadline bounds the whole storm; unfinished work is aborted.
	Deadline time.Duration
	// ApplicationName tags every session; empty = a generated unique tag.
	ApplicationName string
	// Progress, when set, receives a snapshot every ProgressInterval.
	Progress         func(Snapshot)
	ProgressInterval time.Duration
	// PollInterval is the pg_stat_activity polling period (default 20 ms).
	PollInterval time.Duration
}

// Validate checks the storm's shape. A bad setting is a *SettingError
// naming the Config field's Setting (callers map it to their flag or key).
func (c *Config) Validate() error {
	switch {
	case c.DSN == "":
		return settingErrorf(SettingDSN, "required")
	case c.Instances < 1 || c.Instances > MaxInstances:
		return settingErrorf(SettingInstances, "must be 1…%d, got %d", MaxInstances, c.Instances)
	case c.StartupConnections < 1 || c.StartupConnections > MaxStartupConnections:
		return settingErrorf(SettingStartupConnections, "must be 1…%d, got %d", MaxStartupConnections, c.StartupConnections)
	case c.Instances*c.StartupConnections > MaxSessions:
		return settingErrorf(SettingSessions, "instances × startup connections must be at most %d sessions, got %d", MaxSessions, c.Instances*c.StartupConnections)
	case c.Ramp < 0:
		return settingErrorf(SettingRamp, "must be ≥ 0, got %s", c.Ramp)
	case c.ConnectTimeout <= 0:
		return settingErrorf(SettingConnectTimeout, "must be > 0, got %s", c.ConnectTimeout)
	case c.AttemptTimeout < 0:
		return settingErrorf(SettingAttemptTimeout, "must be ≥ 0, got %s", c.AttemptTimeout)
	case c.Backoff.Initial < 0:
		return settingErrorf(SettingRetryInitial, "must be ≥ 0, got %s", c.Backoff.Initial)
	case c.Backoff.Max < c.Backoff.Initial:
		return settingErrorf(SettingRetryMax, "must be ≥ the initial retry delay (%s), got %s", c.Backoff.Initial, c.Backoff.Max)
	case !(c.Backoff.Multiplier >= 1) || math.IsInf(c.Backoff.Multiplier, 0):
		return settingErrorf(SettingRetryMult, "must be ≥ 1, got %v", c.Backoff.Multiplier)
	case c.Hold < 0:
		return settingErrorf(SettingHold, "must be ≥ 0, got %s", c.Hold)
	case c.Deadline <= 0 || c.Deadline > MaxDeadline:
		return settingErrorf(SettingDeadline, "must be in (0, %s], got %s", MaxDeadline, c.Deadline)
	}
	if err := c.Old.validate(c.Instances, c.StartupConnections); err != nil {
		return err
	}
	if _, err := pgconn.ParseConfig(c.DSN); err != nil {
		return dsnError(SettingDSN, err)
	}
	if c.MonitorDSN != "" {
		if _, err := pgconn.ParseConfig(c.MonitorDSN); err != nil {
			return dsnError(SettingMonitorDSN, err)
		}
	}
	return nil
}

// OldRevision is a revision that keeps running while the storm's (new)
// revision starts: a rollout. Cloud Run keeps an old revision's instances
// for minutes after the traffic has moved, their pools still open
// (docs/gcp-limits.md#cloud-run-rollout). The probe opens Instances ×
// Connections sessions before the storm (with the storm's DSN and tag) and
// holds them until the storm ends.
type OldRevision struct {
	Instances   int
	Connections int // sessions each old instance holds
}

// Sessions is the number of sessions the old revision holds.
func (o OldRevision) Sessions() int { return o.Instances * o.Connections }

func (o OldRevision) validate(instances, startup int) error {
	switch {
	case o.Instances < 0 || o.Instances > MaxInstances:
		return settingErrorf(SettingOld, "old instances must be 0…%d, got %d", MaxInstances, o.Instances)
	case o.Connections < 0 || o.Connections > MaxStartupConnections:
		return settingErrorf(SettingOld, "old connections per instance must be 0…%d, got %d", MaxStartupConnections, o.Connections)
	case (o.Instances == 0) != (o.Connections == 0):
		return settingErrorf(SettingOld, "old instances and connections are both 0 or both ≥ 1, got %d and %d", o.Instances, o.Connections)
	case o.Sessions()+instances*startup > MaxSessions:
		return settingErrorf(SettingSessions, "old and new sessions must be at most %d, got %d", MaxSessions, o.Sessions()+instances*startup)
	}
	return nil
}

// OldRevisionError means the old revision's sessions could not all be
// opened before the storm (the server has fewer free slots than the
// rollout assumes): the storm did not run.
type OldRevisionError struct {
	Opened, Wanted int
	Err            error
}

func (e *OldRevisionError) Error() string {
	return fmt.Sprintf("old revision: opened %d of %d sessions: %v", e.Opened, e.Wanted, e.Err)
}
func (e *OldRevisionError) Unwrap() error { return e.Err }

// Snapshot is the storm's progress at one moment.
type Snapshot struct {
	Elapsed  time.Duration
	Started  int
	Ready    int
	Failed   int
	Open     int
	Attempts int
	// FailedAttempts counts attempts that failed (any class but ok).
	FailedAttempts int
}

// InstanceResult is one simulated Cloud Run instance.
type InstanceResult struct {
	Index int `json:"index"`
	// StartSeconds is the instance's start, seconds after the storm began.
	StartSeconds float64 `json:"startSeconds"`
	Ready        bool    `json:"ready"`
	// TimeToReadySeconds is from the instance's start until all its startup
	// connections were established (0 when not ready).
	TimeToReadySeconds float64 `json:"timeToReadySeconds"`
	Attempts           int     `json:"attempts"`
	// Failure is the outcome class that made the instance give up.
	Failure Outcome `json:"failure,omitempty"`
}

// Result is the measurement of one storm.
type Result struct {
	// Target is host:port/database as user; never the password.
	Target          string    `json:"target"`
	ApplicationName string    `json:"applicationName"`
	StartedAt       time.Time `json:"startedAt"`
	DurationSeconds float64   `json:"durationSeconds"`
	// DeadlineReached is true when --deadline cut the storm short;
	// Interrupted when the context was cancelled (Ctrl-C).
	DeadlineReached bool `json:"deadlineReached"`
	Interrupted     bool `json:"interrupted"`
	// Unfinished counts instances the deadline or Ctrl-C caught before they
	// were ready or had given up (failure "aborted"); they count as failed.
	Unfinished int `json:"unfinished"`

	Instances   int     `json:"instances"`
	Ready       int     `json:"ready"`
	Failed      int     `json:"failed"`
	SuccessRate float64 `json:"successRate"`

	// Attempts counts finished connection attempts; Outcomes splits them by
	// class (every class present). Aborted attempts (deadline, Ctrl-C) are
	// counted apart and not classified.
	Attempts int             `json:"attempts"`
	Outcomes map[Outcome]int `json:"outcomes"`
	Aborted  int             `json:"aborted"`
	// ErrorSamples holds the first error message seen per failing class.
	ErrorSamples map[Outcome]string `json:"errorSamples,omitempty"`

	// AttemptLatency is the establishment latency of successful attempts.
	AttemptLatency Percentiles `json:"attemptLatency"`
	// ConnectLatency is, per established connection, the time from its first
	// attempt to success, retries and backoff included: what the
	// application experiences as "connect" (post-mortem criterion < 30 s, docs/incident-1278.md).
	ConnectLatency Percentiles `json:"connectLatency"`
	// TimeToReady of ready instances, from each instance's own start.
	TimeToReady Percentiles `json:"timeToReady"`

	// PeakSessions is the largest number of the probe's sessions open at
	// once: as seen on the server (pg_stat_activity, PeakSource "server")
	// when a monitor DSN was given, else as counted by the probe ("client").
	PeakSessions int    `json:"peakSessions"`
	PeakSource   string `json:"peakSource"`
	// PeakClientSessions is the probe's own count, always measured.
	PeakClientSessions int `json:"peakClientSessions"`
	// PeakServerBackends is the peak of all client backends on the server
	// (any application), when monitored.
	PeakServerBackends int `json:"peakServerBackends,omitempty"`
	// OldSessions is the number of sessions the old revision held during
	// the storm (Config.Old); they count in PeakSessions.
	OldSessions int `json:"oldSessions,omitempty"`
	// LeftoverSessions is the number of the probe's sessions still on the
	// server after it closed everything (monitored runs only; must be 0).
	LeftoverSessions int `json:"leftoverSessions"`

	InstanceResults []InstanceResult `json:"instanceResults"`

	// attemptSamples and connectSamples are the raw samples behind
	// AttemptLatency and ConnectLatency (task.go reports them so a merge can
	// compute exact percentiles over many tasks).
	attemptSamples, connectSamples []time.Duration
}

// Run executes the storm. It returns an error only when the storm could not
// run at all (bad config, monitor unreachable); connection failures of the
// storm itself are measurements, not errors. Every connection it opened is
// closed before it returns.
func Run(ctx context.Context, cfg Config) (*Result, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.AttemptTimeout == 0 || cfg.AttemptTimeout > cfg.ConnectTimeout {
		cfg.AttemptTimeout = cfg.ConnectTimeout
	}
	if cfg.ApplicationName == "" {
		cfg.ApplicationName = NewTag()
	}
	if cfg.ProgressInterval <= 0 {
		cfg.ProgressInterval = 250 * time.Millisecond
	}
	base, err := pgconn.ParseConfig(cfg.DSN)
	if err != nil {
		return nil, dsnError(SettingDSN, err)
	}
	base.RuntimeParams["application_name"] = cfg.ApplicationName
	// One attempt is one TCP connection: the probe's own per-attempt
	// timeout applies, not a DSN connect_timeout, and no TLS→plaintext
	// fallback doubles the attempts (use sslmode=disable or require).
	base.ConnectTimeout = 0

	reg := newRegistry()
	defer reg.closeAll()

	var mon *monitor
	if cfg.MonitorDSN != "" {
		mon, err = startMonitor(ctx, cfg.MonitorDSN, cfg.ApplicationName, cfg.PollInterval)
		if err != nil {
			return nil, &MonitorError{Err: err}
		}
		defer mon.close()
	}

	s := &storm{cfg: cfg, base: base, reg: reg, outcomes: map[Outcome]int{}, samples: map[Outcome]string{}}
	if n := cfg.Old.Sessions(); n > 0 {
		if opened, err := s.openOld(ctx, n); err != nil {
			return nil, &OldRevisionError{Opened: opened, Wanted: n, Err: redactErr(err)}
		}
	}
	res := &Result{
		OldSessions:     cfg.Old.Sessions(),
		Target:          describeTarget(base),
		ApplicationName: cfg.ApplicationName,
		Instances:       cfg.Instances,
		InstanceResults: make([]InstanceResult, cfg.Instances),
	}

	sctx, cancel := context.WithTimeout(ctx, cfg.Deadline)
	defer cancel()
	s.start = time.Now()
	res.StartedAt = s.start.UTC()

	stopProgress := s.reportProgress(sctx)
	var wg sync.WaitGroup
	for i := range cfg.Instances {
		offset := time.Duration(0)
		if cfg.Instances > 0 {
			offset = time.Duration(float64(cfg.Ramp) * float64(i) / float64(cfg.Instances))
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			res.InstanceResults[i] = s.instance(sctx, i, offset)
		}()
	}
	wg.Wait()
	stopProgress()
	res.DurationSeconds = round6(time.Since(s.start).Seconds())
	if sctx.Err() != nil {
		res.Interrupted = ctx.Err() != nil
		res.DeadlineReached = !res.Interrupted
	}

	// Close before reading the server's view so LeftoverSessions is the
	// truth after cleanup.
	reg.closeAll()
	if mon != nil {
		mon.stop()
		res.PeakSessions, res.PeakServerBackends = mon.peaks()
		res.PeakSource = "server"
		res.LeftoverSessions = mon.waitGone(5 * time.Second)
	} else {
		res.PeakSessions = int(reg.peak.Load())
		res.PeakSource = "client"
	}
	res.PeakClientSessions = int(reg.peak.Load())

	s.mu.Lock()
	defer s.mu.Unlock()
	res.Outcomes = map[Outcome]int{}
	for _, o := range Outcomes {
		res.Outcomes[o] = s.outcomes[o]
		res.Attempts += s.outcomes[o]
	}
	res.Aborted = s.aborted
	if len(s.samples) > 0 {
		res.ErrorSamples = s.samples
	}
	res.attemptSamples, res.connectSamples = s.attemptOK, s.connectOK
	res.AttemptLatency = Summarize(s.attemptOK)
	res.ConnectLatency = Summarize(s.connectOK)
	var ttr []time.Duration
	for _, ir := range res.InstanceResults {
		if ir.Ready {
			res.Ready++
			ttr = append(ttr, time.Duration(ir.TimeToReadySeconds*float64(time.Second)))
		} else {
			res.Failed++
			if ir.Failure == OutcomeAborted {
				res.Unfinished++
			}
		}
	}
	res.TimeToReady = Summarize(ttr)
	res.SuccessRate = round6(float64(res.Ready) / float64(res.Instances))
	return res, nil
}

type storm struct {
	cfg   Config
	base  *pgconn.Config
	reg   *registry
	start time.Time

	started, ready, failed, attempts, failedAttempts atomic.Int64

	mu        sync.Mutex
	outcomes  map[Outcome]int
	samples   map[Outcome]string
	aborted   int
	attemptOK []time.Duration
	connectOK []time.Duration
}

func (s *storm) record(o Outcome, latency time.Duration, err error) {
	s.attempts.Add(1)
	if o != OutcomeOK {
		s.failedAttempts.Add(1)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.outcomes[o]++
	if o == OutcomeOK {
		s.attemptOK = append(s.attemptOK, latency)
	} else if _, ok := s.samples[o]; !ok && err != nil {
		s.samples[o] = redactErr(err).Error()
	}
}

func (s *storm) instance(ctx context.Context, idx int, offset time.Duration) InstanceResult {
	ir := InstanceResult{Index: idx, StartSeconds: round6(offset.Seconds())}
	if !sleepUntil(ctx, s.start.Add(offset)) {
		ir.Failure = OutcomeAborted
		s.failed.Add(1)
		return ir
	}
	s.started.Add(1)
	begin := time.Now()
	ir.StartSeconds = round6(begin.Sub(s.start).Seconds())
	deadline := begin.Add(s.cfg.ConnectTimeout)

	// An instance gives up as a whole: when one startup connection fails
	// for good, the app exits and its other connections go with it.
	ictx, giveUp := context.WithCancel(ctx)
	defer giveUp()
	conns := make([]*pgconn.PgConn, s.cfg.StartupConnections)
	fails := make([]Outcome, s.cfg.StartupConnections)
	attempts := make([]int, s.cfg.StartupConnections)
	var wg sync.WaitGroup
	for j := range s.cfg.StartupConnections {
		wg.Add(1)
		go func() {
			defer wg.Done()
			conns[j], fails[j], attempts[j] = s.establish(ictx, deadline)
			if conns[j] == nil {
				giveUp()
			}
		}()
	}
	wg.Wait()
	readyAt := time.Now()
	for _, n := range attempts {
		ir.Attempts += n
	}
	ok := true
	for j, c := range conns {
		if c == nil {
			ok = false
			if ir.Failure == "" || ir.Failure == OutcomeAborted {
				ir.Failure = fails[j]
			}
		}
	}
	if !ok {
		if ctx.Err() != nil && time.Now().Before(deadline) {
			// The storm ended, not the instance's own budget.
			ir.Failure = OutcomeAborted
		}
		for _, c := range conns {
			s.reg.close(c)
		}
		s.failed.Add(1)
		return ir
	}
	ir.Ready = true
	ir.TimeToReadySeconds = round6(readyAt.Sub(begin).Seconds())
	s.ready.Add(1)
	if s.cfg.Hold > 0 {
		t := time.NewTimer(s.cfg.Hold)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
		}
	}
	for _, c := range conns {
		s.reg.close(c)
	}
	return ir
}

// establish opens one startup connection the way an application does:
// attempt, and on failure back off and retry until the instance's connect
// deadline. It returns the connection, or nil with the class of the last
// failure ("aborted" when the storm itself ended).
func (s *storm) establish(ctx context.Context, deadline time.Time) (*pgconn.PgConn, Outcome, int) {
	first := time.Now()
	last := OutcomeAborted
	n := 0
	for retry := 0; ; retry++ {
		remaining := time.Until(deadline)
		if remaining <= 0 {
			return nil, last, n
		}
		if ctx.Err() != nil {
			return nil, last, n
		}
		at := min(s.cfg.AttemptTimeout, remaining)
		actx, cancel := context.WithTimeout(ctx, at)
		t0 := time.Now()
		conn, err := pgconn.ConnectConfig(actx, s.base)
		lat := time.Since(t0)
		cancel()
		if err == nil {
			// Register before anything else so no path can leak it.
			s.reg.add(conn)
			n++
			s.record(OutcomeOK, lat, nil)
			s.mu.Lock()
			s.connectOK = append(s.connectOK, time.Since(first))
			s.mu.Unlock()
			return conn, OutcomeOK, n
		}
		if ctx.Err() != nil {
			// The storm ended (deadline, Ctrl-C) or a sibling gave up:
			// this attempt's fate is not a property of the server.
			s.mu.Lock()
			s.aborted++
			s.mu.Unlock()
			return nil, last, n
		}
		n++
		last = Classify(err)
		s.record(last, lat, err)
		if !retryable(last) {
			return nil, last, n
		}
		wait := s.cfg.Backoff.wait(retry)
		if time.Now().Add(wait).After(deadline) {
			return nil, last, n
		}
		if !sleepUntil(ctx, time.Now().Add(wait)) {
			return nil, last, n
		}
	}
}

func (s *storm) reportProgress(ctx context.Context) (stop func()) {
	if s.cfg.Progress == nil {
		return func() {}
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(s.cfg.ProgressInterval)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				s.cfg.Progress(s.snapshot())
			case <-done:
				s.cfg.Progress(s.snapshot())
				return
			}
		}
	}()
	return func() { close(done); wg.Wait() }
}

func (s *storm) snapshot() Snapshot {
	return Snapshot{
		Elapsed:  time.Since(s.start),
		Started:  int(s.started.Load()),
		Ready:    int(s.ready.Load()),
		Failed:   int(s.failed.Load()),
		Open:     int(s.reg.open.Load()),
		Attempts: int(s.attempts.Load()),

		FailedAttempts: int(s.failedAttempts.Load()),
	}
}

// openOld opens the old revision's n sessions, a few at a time, before the
// storm; they stay in the registry (closed when Run ends). It returns how
// many it opened.
func (s *storm) openOld(ctx context.Context, n int) (int, error) {
	const workers = 4
	var (
		mu     sync.Mutex
		opened int
		first  error
		wg     sync.WaitGroup
	)
	next := make(chan struct{})
	go func() {
		defer close(next)
		for range n {
			select {
			case next <- struct{}{}:
			case <-ctx.Done():
				return
			}
		}
	}()
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range next {
				actx, cancel := context.WithTimeout(ctx, s.cfg.AttemptTimeout)
				c, err := pgconn.ConnectConfig(actx, s.base)
				cancel()
				mu.Lock()
				if err != nil {
					if first == nil {
						first = err
					}
				} else {
					s.reg.add(c)
					opened++
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if first == nil && opened < n {
		first = ctx.Err()
	}
	return opened, first
}

// sleepUntil waits until t or ctx is done; false when ctx ended first.
func sleepUntil(ctx context.Context, t time.Time) bool {
	d := time.Until(t)
	if d <= 0 {
		return ctx.Err() == nil
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// NewTag returns a unique application_name for one probe run, so its
// sessions can be told apart from everything else on the server.
func NewTag() string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("headroom-probe-%d-%s", os.Getpid(), hex.EncodeToString(b[:]))
}

func describeTarget(c *pgconn.Config) string {
	return fmt.Sprintf("%s:%d/%s as %s", c.Host, c.Port, c.Database, c.User)
}
