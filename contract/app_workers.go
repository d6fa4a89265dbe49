package contract

import (
	"fmt"
	"strconv"
	"strings"
)

// Worker-count sources, named as a stack key's last part names them.
const (
	WorkersFromArgs            = "args"
	WorkersFromGunicornCmdArgs = EnvGunicornCmdArgs
	WorkersFromWebConcurrency  = EnvWebConcurrency
)

// WorkerCount reads the number of worker processes a container states for
// itself: a --workers/-w option of gunicorn or uvicorn in its command line
// (command then args; a shell's "-c" string is split into words too), else
// gunicorn's GUNICORN_CMD_ARGS, else WEB_CONCURRENCY — gunicorn's own
// precedence (https://docs.gunicorn.org/en/stable/settings.html#workers;
// uvicorn also defaults --workers from WEB_CONCURRENCY,
// https://www.uvicorn.org/settings/#production). found is false when none
// states a count; source is one of the WorkersFrom* names; err reports a
// stated count that is not an integer ≥ 1 (it never echoes other words of
// the command line, which may carry secrets).
func WorkerCount(command, args []string, env map[string]string) (n int, source string, found bool, err error) {
	words := make([]string, 0, len(command)+len(args))
	for _, a := range append(append([]string{}, command...), args...) {
		words = append(words, strings.Fields(a)...)
	}
	if n, ok, err := workersOption(words); ok || err != nil {
		return n, WorkersFromArgs, ok, err
	}
	if v, ok := env[WorkersFromGunicornCmdArgs]; ok {
		if n, ok, err := workersOption(strings.Fields(v)); ok || err != nil {
			return n, WorkersFromGunicornCmdArgs, ok, err
		}
	}
	if v, ok := env[WorkersFromWebConcurrency]; ok {
		n, err := positiveWorkers(strings.TrimSpace(v))
		return n, WorkersFromWebConcurrency, err == nil, err
	}
	return 0, "", false, nil
}

// workersOption finds the last -w/--workers option among command-line
// words (the last one wins in argparse, which both servers use).
func workersOption(words []string) (n int, found bool, err error) {
	for i := 0; i < len(words); i++ {
		w := strings.Trim(words[i], `"'`)
		var val string
		var has bool
		switch {
		case w == "-w" || w == "--workers":
			if i+1 >= len(words) {
				return 0, false, fmt.Errorf("%s has no value", w)
			}
			val, has = strings.Trim(words[i+1], `"'`), true
			i++
		case strings.HasPrefix(w, "--workers="):
			val, has = strings.TrimPrefix(w, "--workers="), true
		case strings.HasPrefix(w, "-w") && len(w) > 2 && w[2] >= '0' && w[2] <= '9':
			val, has = w[2:], true
		}
		if !has {
			continue
		}
		v, perr := positiveWorkers(val)
		if perr != nil {
			return 0, false, fmt.Errorf("%s: %w", strings.SplitN(w, "=", 2)[0], perr)
		}
		n, found = v, true
	}
	return n, found, nil
}

func positiveWorkers(s string) (int, error) {
	v, err := strconv.Atoi(s)
	if err != nil || v < 1 {
		return 0, fmt.Errorf("want a worker count (an integer ≥ 1)")
	}
	return v, nil
}
