package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"runtime/metrics"
	"runtime/pprof"
	"strconv"
	"sync"
	"time"

	"github.com/spf13/pflag"

	"github.com/crawl-project/crawl/cmd/internal/statsfile"
	"github.com/crawl-project/crawl/crawler"
)

// Diagnostics for benchmarks and profiling, behind flags that the usage text leaves out.

// diagFlags are the hidden diagnostic flags.
type diagFlags struct {
	statsFile, cpuProfile string
}

func (d *diagFlags) register(fs *pflag.FlagSet) {
	fs.StringVar(&d.statsFile, "stats-file", "", "write the run's figures as JSON to this file when the crawl ends")
	fs.StringVar(&d.cpuProfile, "cpuprofile", "", "write a CPU profile of the crawl to this file")
	// For benchmarks only: not listed by --help.
	_ = fs.MarkHidden("stats-file")
	_ = fs.MarkHidden("cpuprofile")
}

// diagnostics runs while a crawl does: a CPU profile and a sampler of the Go heap.
type diagnostics struct {
	flags   diagFlags
	prof    *os.File
	stop    chan struct{}
	done    chan struct{}
	once    sync.Once
	heapMax uint64 // peak of heap in use, written by the sampler, read after it stops
}

// heapSampleEvery is how often the heap in use is sampled for its peak.
const heapSampleEvery = 20 * time.Millisecond

// startDiagnostics starts what the flags ask for; stop it with finish.
func startDiagnostics(f diagFlags) (*diagnostics, error) {
	d := &diagnostics{flags: f, stop: make(chan struct{}), done: make(chan struct{})}
	if f.cpuProfile != "" {
		p, err := os.Create(f.cpuProfile)
		if err != nil {
			return nil, fmt.Errorf("--cpuprofile: %w", err)
		}
		if err := pprof.StartCPUProfile(p); err != nil {
			p.Close()
			return nil, fmt.Errorf("--cpuprofile: %w", err)
		}
		d.prof = p
	}
	if f.statsFile == "" {
		close(d.done)
		return d, nil
	}
	go func() {
		defer close(d.done)
		t := time.NewTicker(heapSampleEvery)
		defer t.Stop()
		for {
			d.heapMax = max(d.heapMax, heapInUse())
			select {
			case <-t.C:
			case <-d.stop:
				return
			}
		}
	}()
	return d, nil
}

// heapInUse is runtime.MemStats.HeapInuse, read without stopping the world.
func heapInUse() uint64 {
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}, {Name: "/memory/classes/heap/unused:bytes"}}
	metrics.Read(s)
	var n uint64
	for _, v := range s {
		if v.Value.Kind() == metrics.KindUint64 {
			n += v.Value.Uint64()
		}
	}
	return n
}

// finish stops the profile and the sampler and writes the stats file. Safe to call twice.
func (d *diagnostics) finish(stats *crawler.Stats) error {
	var err error
	d.once.Do(func() {
		if d.prof != nil {
			pprof.StopCPUProfile()
			if cerr := d.prof.Close(); cerr != nil {
				err = fmt.Errorf("--cpuprofile: %w", cerr)
			}
		}
		close(d.stop)
		<-d.done
		if d.flags.statsFile == "" || stats == nil {
			return
		}
		if werr := d.writeStats(stats); werr != nil && err == nil {
			err = werr
		}
	})
	return err
}

func (d *diagnostics) writeStats(stats *crawler.Stats) error {
	sum := stats.Snapshot()
	end := heapInUse()
	r := statsfile.Report{
		ElapsedSeconds: sum.Elapsed.Seconds(), Fetched: sum.Responses, Failed: sum.Failed, Bytes: sum.Bytes,
		Links: sum.Links, NewURLs: sum.NewURLs, Committed: sum.Committed, Commits: stats.Commits(),
		HeapInusePeak: max(d.heapMax, end), HeapInuseEnd: end,
	}
	mem := procStatus()
	r.VmHWM, r.VmRSS, r.RssAnon, r.RssFile = mem["VmHWM"], mem["VmRSS"], mem["RssAnon"], mem["RssFile"]
	for _, s := range stats.Stages() {
		r.Stages = append(r.Stages, statsfile.Stage{
			Name: s.Name, Width: s.Width, Items: s.Items,
			BusySeconds: s.Busy.Seconds(), BlockedSeconds: s.Blocked.Seconds(),
			QueueAvg: s.QueueAvg, QueuePeak: s.QueuePeak, QueueCap: s.QueueCap,
		})
	}
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return fmt.Errorf("--stats-file: %w", err)
	}
	if err := os.WriteFile(d.flags.statsFile, append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("--stats-file: %w", err)
	}
	return nil
}

// procStatus returns the memory figures (kB lines) of /proc/self/status in bytes; empty where
// there is no such file.
func procStatus() map[string]uint64 {
	out := map[string]uint64{}
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return out
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		name, rest, ok := bytes.Cut(sc.Bytes(), []byte(":"))
		f := bytes.Fields(rest)
		if !ok || len(f) != 2 || string(f[1]) != "kB" {
			continue
		}
		if n, err := strconv.ParseUint(string(f[0]), 10, 64); err == nil {
			out[string(name)] = n << 10
		}
	}
	return out
}
