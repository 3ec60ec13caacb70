package loadtest

import (
	"os"
	"strconv"
	"strings"
	"time"
)

// CPUReading is the CPU time paybridge's process and the whole host had
// used at one moment. Two readings tell how much CPU a run cost and whether
// the host had any to spare: a latency measured on a saturated host
// measures its queue, not paybridge.
type CPUReading struct {
	Process           time.Duration
	HostBusy, HostAll uint64 // clock ticks over all CPUs, from /proc/stat
}

// ReadCPU takes a reading of this process and the host; the parts the
// platform cannot tell are zero.
func ReadCPU() CPUReading {
	r := CPUReading{Process: processCPU()}
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return r
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line) // cpu user nice system idle iowait irq softirq steal …
	if len(f) < 9 || f[0] != "cpu" {
		return r
	}
	for i, v := range f[1:9] {
		n, _ := strconv.ParseUint(v, 10, 64)
		r.HostAll += n
		if i != 3 && i != 4 { // idle, iowait
			r.HostBusy += n
		}
	}
	return r
}

// RecordCPU sets the report's CPU use between two readings.
func (r *Report) RecordCPU(start, end CPUReading) {
	if d := end.Process - start.Process; d > 0 && r.Completed > 0 {
		r.CPUMSPerCompleted = round(float64(d.Microseconds())/1000/float64(r.Completed), 3)
	}
	if all := end.HostAll - start.HostAll; all > 0 {
		r.HostCPUBusy = round(float64(end.HostBusy-start.HostBusy)/float64(all), 3)
	}
}
