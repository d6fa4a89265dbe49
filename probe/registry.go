package probe

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
)

// closeTimeout bounds the polite close (Terminate message) of one
// connection; the socket is closed regardless when it expires.
const closeTimeout = 2 * time.Second

// registry owns every connection the probe opened, so that one call closes
// them all whatever path the storm took (deadline, Ctrl-C, error).
type registry struct {
	mu    sync.Mutex
	conns map[*pgconn.PgConn]struct{}
	open  atomic.Int64
	peak  atomic.Int64
}

func newRegistry() *registry { return &registry{conns: map[*pgconn.PgConn]struct{}{}} }

func (r *registry) add(c *pgconn.PgConn) {
	r.mu.Lock()
	r.conns[c] = struct{}{}
	r.mu.Unlock()
	n := r.open.Add(1)
	for {
		p := r.peak.Load()
		if n <= p || r.peak.CompareAndSwap(p, n) {
			return
		}
	}
}

// close closes one registered connection; nil and unknown are no-ops.
func (r *registry) close(c *pgconn.PgConn) {
	if c == nil {
		return
	}
	r.mu.Lock()
	_, ok := r.conns[c]
	delete(r.conns, c)
	r.mu.Unlock()
	if !ok {
		return
	}
	r.open.Add(-1)
	closeConn(c)
}

// closeAll closes every connection still registered, concurrently (a
// storm can leave thousands) but bounded.
func (r *registry) closeAll() {
	r.mu.Lock()
	all := make([]*pgconn.PgConn, 0, len(r.conns))
	for c := range r.conns {
		all = append(all, c)
	}
	r.conns = map[*pgconn.PgConn]struct{}{}
	r.mu.Unlock()
	sem := make(chan struct{}, 64)
	var wg sync.WaitGroup
	for _, c := range all {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			closeConn(c)
			r.open.Add(-1)
		}()
	}
	wg.Wait()
}

// closeConn uses a fresh context: the storm's may already be cancelled,
// and a cancelled context would skip the Terminate message.
func closeConn(c *pgconn.PgConn) {
	ctx, cancel := context.WithTimeout(context.Background(), closeTimeout)
	defer cancel()
	_ = c.Close(ctx)
}
