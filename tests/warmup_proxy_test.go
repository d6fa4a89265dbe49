package tests

import (
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// warmupProxy is a TCP proxy on loopback that reproduces a fresh Cloud Run
// instance's Direct VPC egress warm-up: for D seconds after the first client
// connection arrives (the storm's start) the path passes nothing — the
// connections are accepted but held, unanswered — and then every held and
// later connection is forwarded to the target. An attempt whose own timeout
// ends inside the window fails with a timeout, as on a path that does not
// work yet (docs/gcp-limits.md#direct-vpc-egress).
type warmupProxy struct {
	ln     net.Listener
	target string
	delay  time.Duration

	mu    sync.Mutex
	first time.Time // first accepted connection: the window opens
	wg    sync.WaitGroup
	done  chan struct{}
}

// startWarmupProxy listens on a random loopback port; Addr is its address.
func startWarmupProxy(t *testing.T, target string, delay time.Duration) *warmupProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	p := &warmupProxy{ln: ln, target: target, delay: delay, done: make(chan struct{})}
	p.wg.Add(1)
	go p.serve()
	t.Cleanup(p.close)
	return p
}

func (p *warmupProxy) Addr() *net.TCPAddr { return p.ln.Addr().(*net.TCPAddr) }

// reset re-arms the warm-up window for the next storm.
func (p *warmupProxy) reset() {
	p.mu.Lock()
	p.first = time.Time{}
	p.mu.Unlock()
}

func (p *warmupProxy) close() {
	select {
	case <-p.done:
		return
	default:
	}
	close(p.done)
	_ = p.ln.Close()
	p.wg.Wait()
}

func (p *warmupProxy) serve() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		if p.first.IsZero() {
			p.first = time.Now()
		}
		open := p.first.Add(p.delay)
		p.mu.Unlock()
		p.wg.Add(1)
		go p.forward(c, open)
	}
}

// forward holds the client until the path opens, then pipes both ways.
func (p *warmupProxy) forward(c net.Conn, open time.Time) {
	defer p.wg.Done()
	defer c.Close()
	if d := time.Until(open); d > 0 {
		t := time.NewTimer(d)
		select {
		case <-t.C:
		case <-p.done:
			t.Stop()
			return
		}
	}
	s, err := net.Dial("tcp", p.target)
	if err != nil {
		return
	}
	defer s.Close()
	var pipes sync.WaitGroup
	pipes.Add(2)
	pipe := func(dst, src net.Conn) {
		defer pipes.Done()
		_, _ = io.Copy(dst, src)
		if tc, ok := dst.(*net.TCPConn); ok {
			_ = tc.CloseWrite()
		}
	}
	go pipe(s, c)
	go pipe(c, s)
	stop := make(chan struct{})
	go func() {
		select {
		case <-p.done:
			_ = c.Close()
			_ = s.Close()
		case <-stop:
		}
	}()
	pipes.Wait()
	close(stop)
}
