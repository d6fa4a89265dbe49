package probe

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
)

// monitorAppName tags the monitor's own session (never counted as the
// probe's).
const monitorAppName = "headroom-probe-monitor"

// monitor polls pg_stat_activity on a separate connection for the peak
// number of the probe's sessions and of all client backends.
type monitor struct {
	conn     *pgx.Conn
	tag      string
	interval time.Duration

	mu       sync.Mutex
	peakOwn  int
	peakAll  int
	lastErr  error
	done     chan struct{}
	finished chan struct{}
	stopOnce sync.Once
}

const countSQL = `SELECT count(*) FILTER (WHERE application_name = $1),
       count(*) FILTER (WHERE backend_type = 'client backend')
  FROM pg_stat_activity`

func startMonitor(ctx context.Context, dsn, tag string, interval time.Duration) (*monitor, error) {
	if interval <= 0 {
		interval = 20 * time.Millisecond
	}
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, redactErr(err)
	}
	cfg.RuntimeParams["application_name"] = monitorAppName
	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	conn, err := pgx.ConnectConfig(cctx, cfg)
	if err != nil {
		return nil, redactErr(err)
	}
	m := &monitor{conn: conn, tag: tag, interval: interval, done: make(chan struct{}), finished: make(chan struct{})}
	if err := m.poll(cctx); err != nil {
		closeMonitorConn(conn)
		return nil, fmt.Errorf("reading pg_stat_activity: %w", redactErr(err))
	}
	go m.loop()
	return m, nil
}

func (m *monitor) poll(ctx context.Context) error {
	var own, all int
	if err := m.conn.QueryRow(ctx, countSQL, m.tag).Scan(&own, &all); err != nil {
		return err
	}
	m.mu.Lock()
	m.peakOwn = max(m.peakOwn, own)
	m.peakAll = max(m.peakAll, all)
	m.mu.Unlock()
	return nil
}

func (m *monitor) loop() {
	defer close(m.finished)
	t := time.NewTicker(m.interval)
	defer t.Stop()
	for {
		select {
		case <-m.done:
			return
		case <-t.C:
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			if err := m.poll(ctx); err != nil {
				// The server may be gone (stopped mid-storm); keep the
				// peak seen so far.
				m.mu.Lock()
				m.lastErr = err
				m.mu.Unlock()
			}
			cancel()
		}
	}
}

// stop ends polling (idempotent).
func (m *monitor) stop() {
	m.stopOnce.Do(func() { close(m.done); <-m.finished })
}

func (m *monitor) peaks() (own, all int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.peakOwn, m.peakAll
}

// waitGone polls until none of the probe's sessions is left on the server
// or timeout passes; it returns how many are left (-1 if it cannot tell).
// Backends exit asynchronously after the Terminate message, so a short wait
// is normal.
func (m *monitor) waitGone(timeout time.Duration) int {
	end := time.Now().Add(timeout)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		var n int
		err := m.conn.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity WHERE application_name = $1`, m.tag).Scan(&n)
		cancel()
		if err != nil {
			return -1
		}
		if n == 0 || time.Now().After(end) {
			return n
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (m *monitor) close() {
	m.stop()
	closeMonitorConn(m.conn)
}

func closeMonitorConn(c *pgx.Conn) {
	ctx, cancel := context.WithTimeout(context.Background(), closeTimeout)
	defer cancel()
	_ = c.Close(ctx)
}
