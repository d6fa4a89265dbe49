package probe

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"strconv"
	"time"
)

// A Cloud Run job runs its tasks as separate containers; each task of the
// probe job plays one starting instance of a workload behind the real VPC
// egress path and prints one JSON line (TaskLine). Merge turns the lines of
// every task into one Result, judged like a single-process storm.

// Cloud Run job environment (set by Cloud Run in every task's container).
const (
	EnvTaskIndex = "CLOUD_RUN_TASK_INDEX"
	EnvTaskCount = "CLOUD_RUN_TASK_COUNT"
	EnvExecution = "CLOUD_RUN_EXECUTION"
)

// TaskSchema identifies the task line format.
const TaskSchema = "headroom.probe.task/v1"

// TaskLine is what one task prints: its storm (one instance, or
// Config.Instances of them) with the raw samples a merge needs.
type TaskLine struct {
	Schema string `json:"schema"`
	// Task is CLOUD_RUN_TASK_INDEX (0-based), TaskCount CLOUD_RUN_TASK_COUNT.
	Task      int `json:"task"`
	TaskCount int `json:"taskCount"`
	// Run names the job execution (CLOUD_RUN_EXECUTION) or the local run;
	// every line of one merge must share it.
	Run string `json:"run"`
	// TaskStart is when the task process began (before the storm).
	TaskStart time.Time `json:"taskStart"`
	// FirstConnectSeconds is the time from TaskStart to the task's first
	// successful connection: process start, VPC egress warm-up or connector
	// scale-out, and the handshake. −1 when no connection succeeded.
	FirstConnectSeconds float64 `json:"firstConnectSeconds"`
	// AttemptSeconds and ConnectSeconds are the raw samples behind the
	// result's AttemptLatency and ConnectLatency.
	AttemptSeconds []float64 `json:"attemptSeconds"`
	ConnectSeconds []float64 `json:"connectSeconds"`
	Result         *Result   `json:"result"`
	// Settings are the caller's storm settings, passed through to the
	// merge (which checks that every task had the same).
	Settings json.RawMessage `json:"settings,omitempty"`
	Targets  Targets         `json:"targets"`
}

// TaskEnv reads the task's index and count from the Cloud Run job
// environment. Without CLOUD_RUN_TASK_COUNT the process is task 0 of 1.
func TaskEnv(getenv func(string) string) (index, count int, run string, err error) {
	if getenv == nil {
		getenv = os.Getenv
	}
	count, index = 1, 0
	if s := getenv(EnvTaskCount); s != "" {
		if count, err = strconv.Atoi(s); err != nil || count < 1 {
			return 0, 0, "", fmt.Errorf("%s: want an integer ≥ 1, got %q", EnvTaskCount, s)
		}
	}
	if s := getenv(EnvTaskIndex); s != "" {
		if index, err = strconv.Atoi(s); err != nil || index < 0 || index >= count {
			return 0, 0, "", fmt.Errorf("%s: want an integer in 0…%d, got %q", EnvTaskIndex, count-1, s)
		}
	}
	return index, count, getenv(EnvExecution), nil
}

// RunTask runs one task's storm and returns its line. taskStart is when the
// task process began.
func RunTask(ctx context.Context, cfg Config, index, count int, run string, taskStart time.Time) (*TaskLine, error) {
	if run == "" {
		run = "local"
	}
	if cfg.ApplicationName == "" {
		cfg.ApplicationName = NewTag()
	}
	res, err := Run(ctx, cfg)
	if err != nil {
		return nil, err
	}
	line := &TaskLine{
		Schema: TaskSchema, Task: index, TaskCount: count, Run: run,
		TaskStart: taskStart.UTC(), Result: res, FirstConnectSeconds: -1,
		AttemptSeconds: taskSeconds(res.attemptSamples), ConnectSeconds: taskSeconds(res.connectSamples),
	}
	// Every instance of the task starts its connections at its own start;
	// the fastest connection of the earliest instance is the first one.
	first := math.Inf(1)
	offset := res.StartedAt.Sub(taskStart).Seconds()
	for _, ir := range res.InstanceResults {
		if ir.Ready && ir.StartSeconds < first {
			first = ir.StartSeconds
		}
	}
	if !math.IsInf(first, 1) && res.ConnectLatency.Count > 0 {
		line.FirstConnectSeconds = round6(offset + first + res.ConnectLatency.Min)
	}
	return line, nil
}

func taskSeconds(ds []time.Duration) []float64 {
	out := make([]float64, len(ds))
	for i, d := range ds {
		out[i] = round6(d.Seconds())
	}
	return out
}
