package main

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"time"
)

// clockTick is USER_HZ, the unit of utime and stime in /proc/<pid>/stat.
// It is 100 on every Linux architecture Go supports (sysconf(_SC_CLK_TCK)
// has not varied since 2.6); a 10 ms resolution, so a step must burn well
// over 10 ms of CPU for its per-call figure to mean anything.
const clockTick = 10 * time.Millisecond

// cpuTime returns the user+system CPU time a process has used so far, all
// its threads included (exited ones too): fields 14 and 15 of
// /proc/<pid>/stat.
func cpuTime(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	return parseStatCPU(b)
}

// parseStatCPU reads utime+stime from the text of /proc/<pid>/stat. The
// second field, comm, is in parentheses and may contain spaces and
// parentheses, so fields are counted from the last ')'.
func parseStatCPU(b []byte) (time.Duration, error) {
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, fmt.Errorf("/proc stat: no ')' in %q", b)
	}
	f := bytes.Fields(b[i+1:])
	// f[0] is field 3 (state); utime is field 14, stime field 15.
	if len(f) < 13 {
		return 0, fmt.Errorf("/proc stat: %d fields after comm", len(f))
	}
	u, err1 := strconv.ParseInt(string(f[11]), 10, 64)
	s, err2 := strconv.ParseInt(string(f[12]), 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("/proc stat: utime %q stime %q", f[11], f[12])
	}
	return time.Duration(u+s) * clockTick, nil
}

// cpuMeter samples the CPU time of a set of processes.
type cpuMeter struct {
	names []string
	pids  []int
}

// sample returns each process's CPU time so far (0 for one that cannot be
// read: it exited, which the caller notices elsewhere).
// The last element is the whole machine's busy time (machineBusy).
func (m *cpuMeter) sample() []time.Duration {
	out := make([]time.Duration, len(m.pids)+1)
	for i, pid := range m.pids {
		out[i], _ = cpuTime(pid)
	}
	out[len(m.pids)], _ = machineBusy()
	return out
}

// machineBusy returns the CPU time all processes on the machine have used
// so far (the first line of /proc/stat, less idle and iowait). Less what
// the benchmark's own processes used, it is the load of everything else,
// which makes latencies on a shared machine unreliable.
func machineBusy() (time.Duration, error) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, err
	}
	return parseMachineBusy(b)
}

func parseMachineBusy(b []byte) (time.Duration, error) {
	line, _, _ := bytes.Cut(b, []byte("\n"))
	f := bytes.Fields(line)
	if len(f) < 5 || string(f[0]) != "cpu" {
		return 0, fmt.Errorf("/proc/stat: first line %q", line)
	}
	var busy int64
	for i, v := range f[1:] {
		n, err := strconv.ParseInt(string(v), 10, 64)
		if err != nil {
			return 0, fmt.Errorf("/proc/stat: %q", line)
		}
		// Fields: user nice system idle iowait irq softirq steal guest
		// guest_nice; guest time is already counted in user.
		if i == 3 || i == 4 || i >= 8 {
			continue
		}
		busy += n
	}
	return time.Duration(busy) * clockTick, nil
}
