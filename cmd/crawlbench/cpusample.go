package main

import (
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

// cpuSampler records, every interval while it runs, the CPU time (user+system) used so far
// by a set of child processes, read from /proc/PID/stat, and by this process, which runs the
// site and the nats-server. A figure over a window of the run then says how much of the
// machine's CPUs the crawl had to itself: near every CPU busy, more nodes cannot go faster.
type cpuSampler struct {
	pids []int
	stop chan struct{}
	done chan struct{}

	mu      sync.Mutex
	samples []cpuSample
}

// cpuSample is the CPU time used up to at: by the children together and by this process.
type cpuSample struct {
	at             time.Time
	children, self time.Duration
}

// clockTick is the unit of /proc/PID/stat's times: USER_HZ, 100 on every Linux build in use.
const clockTick = 10 * time.Millisecond

// sampleCPU starts sampling pids and this process every interval, and once at once.
func sampleCPU(pids []int, interval time.Duration) *cpuSampler {
	s := &cpuSampler{pids: pids, stop: make(chan struct{}), done: make(chan struct{})}
	last := make([]time.Duration, len(pids)) // a process that has gone keeps its last figure
	take := func() {
		var c time.Duration
		for i, pid := range pids {
			if t, ok := procCPU(pid); ok {
				last[i] = t
			}
			c += last[i]
		}
		smp := cpuSample{at: time.Now(), children: c, self: selfCPU()}
		s.mu.Lock()
		s.samples = append(s.samples, smp)
		s.mu.Unlock()
	}
	take()
	go func() {
		defer close(s.done)
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				take()
			case <-s.stop:
				take()
				return
			}
		}
	}()
	return s
}

// finish takes a last sample and stops the sampler. A child's figure is its last read
// before it was waited for: its /proc entry goes then.
func (s *cpuSampler) finish() {
	close(s.stop)
	<-s.done
}

// cpuUse is what the processes used over a window of the run.
type cpuUse struct {
	window         time.Duration
	children, self time.Duration
}

// busy is the share of cpus the processes kept busy over the window, 1 for all of them.
func (u cpuUse) busy(cpus int) float64 {
	if u.window <= 0 || cpus <= 0 {
		return 0
	}
	return (u.children + u.self).Seconds() / u.window.Seconds() / float64(cpus)
}

// over returns the CPU used from the last sample at or before from to the first at or after
// to (the window widens to the samples that bound it).
func (s *cpuSampler) over(from, to time.Time) cpuUse {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.samples) == 0 {
		return cpuUse{}
	}
	a, b := s.samples[0], s.samples[len(s.samples)-1]
	for _, smp := range s.samples {
		if !smp.at.After(from) {
			a = smp
		}
	}
	for i := len(s.samples) - 1; i >= 0; i-- {
		if !s.samples[i].at.Before(to) {
			b = s.samples[i]
		}
	}
	return cpuUse{window: b.at.Sub(a.at), children: b.children - a.children, self: b.self - a.self}
}

// procCPU reads the user+system time of process pid from /proc/PID/stat.
func procCPU(pid int) (time.Duration, bool) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, false
	}
	return parseProcStat(string(b))
}

// parseProcStat reads utime and stime (fields 14 and 15) from a /proc/PID/stat line. The
// command name, field 2, is in parentheses and may hold spaces, so fields are counted from
// its closing parenthesis.
func parseProcStat(line string) (time.Duration, bool) {
	i := strings.LastIndexByte(line, ')')
	if i < 0 {
		return 0, false
	}
	f := strings.Fields(line[i+1:]) // f[0] is field 3, the state
	if len(f) < 13 {
		return 0, false
	}
	utime, err1 := strconv.ParseInt(f[11], 10, 64)
	stime, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, false
	}
	return time.Duration(utime+stime) * clockTick, true
}
