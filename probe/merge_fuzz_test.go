package probe

import (
	"strings"
	"testing"
)

// FuzzReadTaskLines: any input is parsed or refused with an error, never a
// panic, and whatever parses merges or is refused without a panic.
func FuzzReadTaskLines(f *testing.F) {
	f.Add(`{"schema":"headroom.probe.task/v1","task":0,"taskCount":1,"run":"r","firstConnectSeconds":0.1,"attemptSeconds":[0.01],"connectSeconds":[0.01],"result":{"instances":1,"ready":1,"outcomes":{"ok":1},"instanceResults":[{"index":0,"ready":true}]}}`)
	f.Add("log line\n{}\n")
	f.Add(`{"schema":"headroom.probe.task/v1","task":1,"taskCount":1,"result":{}}`)
	f.Add(`{"schema":"headroom.probe.task/v1","task":0,"taskCount":2,"result":{"instances":-1,"instanceResults":[]}}`)
	f.Fuzz(func(t *testing.T, s string) {
		lines, err := ReadTaskLines(strings.NewReader(s), "fuzz")
		if err != nil || len(lines) == 0 {
			return
		}
		res, sum, err := Merge(lines)
		if err != nil {
			return
		}
		if res.Instances < sum.Received || res.Ready+res.Failed != res.Instances {
			t.Fatalf("merged counts inconsistent: %+v %+v", res, sum)
		}
	})
}
