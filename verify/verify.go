// Package verify is the post-deploy check of the post-mortem's criterion
// "E2E tests return HTTP 200" (docs/incident-1278.md): each service's health path is polled until
// it answers 200 or the service's window runs out. Services are checked
// concurrently; every request has its own timeout inside the window.
package verify

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync"
	"time"
)

// Target is one service to check.
type Target struct {
	Service string // Cloud Run service name
	URL     string // base URL (https://….run.app or a test server)
	Path    string // health path, "/" when empty
	// Window is how long the service has to answer 200, from the start of
	// the check.
	Window time.Duration
}

// Options tune the polling.
type Options struct {
	// Interval between attempts (default 2 s).
	Interval time.Duration
	// RequestTimeout bounds one attempt (default 10 s; never past the window).
	RequestTimeout time.Duration
	// Client is the HTTP client (default: one that does not follow
	// redirects, so a 302 to a login page is not mistaken for health).
	Client *http.Client
	// Now and Sleep are seams for tests; nil means the real clock.
	Now func() time.Time
}

// Result is one service's outcome.
type Result struct {
	Service string `json:"service"`
	URL     string `json:"url"`
	Path    string `json:"path"`
	// OK is true when the service answered 200 within its window.
	OK bool `json:"ok"`
	// ReadySeconds is the time from the start of the check to the first 200.
	ReadySeconds  float64 `json:"readySeconds"`
	WindowSeconds float64 `json:"windowSeconds"`
	Attempts      int     `json:"attempts"`
	// LastStatus is the last HTTP status seen (0 when no response).
	LastStatus int `json:"lastStatus"`
	// LastError is the last transport error or non-200 status, when not OK.
	LastError string `json:"lastError,omitempty"`
	// Statuses counts the responses by status code ("200", "503",
	// "error").
	Statuses map[string]int `json:"statuses"`
}

// Report is every service's outcome.
type Report struct {
	Kind    string   `json:"kind"` // "verify"
	Stack   string   `json:"stack"`
	Verdict string   `json:"verdict"` // "pass" or "fail"
	Passed  int      `json:"passed"`
	Failed  int      `json:"failed"`
	Results []Result `json:"services"`
}

// Run checks every target and returns the report (sorted by service).
func Run(ctx context.Context, stack string, targets []Target, o Options) Report {
	if o.Interval <= 0 {
		o.Interval = 2 * time.Second
	}
	if o.RequestTimeout <= 0 {
		o.RequestTimeout = 10 * time.Second
	}
	if o.Client == nil {
		o.Client = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	start := o.Now()
	results := make([]Result, len(targets))
	var wg sync.WaitGroup
	for i, t := range targets {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = check(ctx, t, o, start)
		}()
	}
	wg.Wait()
	sort.Slice(results, func(i, j int) bool { return results[i].Service < results[j].Service })
	r := Report{Kind: "verify", Stack: stack, Verdict: "pass", Results: results}
	for _, res := range results {
		if res.OK {
			r.Passed++
		} else {
			r.Failed++
		}
	}
	if r.Failed > 0 || len(results) == 0 {
		r.Verdict = "fail"
	}
	return r
}

// JoinURL appends a path to a base URL.
func JoinURL(base, path string) (string, error) {
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("want an http(s) URL, got %q", base)
	}
	if path == "" {
		path = "/"
	}
	if !strings.HasPrefix(path, "/") {
		return "", fmt.Errorf("health path must start with /, got %q", path)
	}
	return strings.TrimSuffix(u.String(), "/") + path, nil
}

func check(ctx context.Context, t Target, o Options, start time.Time) Result {
	res := Result{Service: t.Service, URL: t.URL, Path: t.Path, WindowSeconds: t.Window.Seconds(), Statuses: map[string]int{}}
	if res.Path == "" {
		res.Path = "/"
	}
	full, err := JoinURL(t.URL, res.Path)
	if err != nil {
		res.LastError = err.Error()
		return res
	}
	deadline := start.Add(t.Window)
	ctx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()
	for {
		res.Attempts++
		status, err := attempt(ctx, o, full)
		switch {
		case err != nil:
			res.Statuses["error"]++
			res.LastError = err.Error()
		default:
			res.LastStatus = status
			res.Statuses[fmt.Sprint(status)]++
			if status == http.StatusOK {
				res.OK = true
				res.LastError = ""
				res.ReadySeconds = o.Now().Sub(start).Seconds()
				return res
			}
			res.LastError = fmt.Sprintf("HTTP %d", status)
		}
		wait := time.NewTimer(o.Interval)
		select {
		case <-ctx.Done():
			wait.Stop()
			if res.LastError == "" {
				res.LastError = "no answer within the window"
			}
			return res
		case <-wait.C:
		}
	}
}

func attempt(ctx context.Context, o Options, full string) (int, error) {
	ctx, cancel := context.WithTimeout(ctx, o.RequestTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, full, nil)
	if err != nil {
		return 0, err
	}
	resp, err := o.Client.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return 0, err
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
	_ = resp.Body.Close()
	return resp.StatusCode, nil
}
