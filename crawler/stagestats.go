package crawler

import (
	"sync"
	"sync/atomic"
	"time"
)

// Per-stage figures show where a crawl spends its time, so that its bottleneck is visible: the
// slowest stage is busy nearly all the time, the stages before it wait to hand on their output
// (blocked), and the stages after it wait for input (idle). Each stage costs a few clock reads
// and atomic adds per item; queue lengths are sampled by one goroutine while the pipeline runs.

// stageClock accumulates the time one stage's goroutines spend on items and the time they
// spend waiting for the next stage to take their output. The rest of their time is idle.
type stageClock struct {
	items   atomic.Int64
	busy    atomic.Int64 // nanoseconds
	blocked atomic.Int64 // nanoseconds
}

// worked records n items whose work started at start, and returns now, when the
// handing-on of their output starts.
func (c *stageClock) worked(start time.Time, n int) time.Time {
	now := time.Now()
	c.items.Add(int64(n))
	c.busy.Add(int64(now.Sub(start)))
	return now
}

// handedOn records the wait, since start, for the next stage to take an item's output.
func (c *stageClock) handedOn(start time.Time) {
	c.blocked.Add(int64(time.Since(start)))
}

// queueGauge accumulates samples of a channel's length. Only the sampler goroutine writes it
// while the pipeline runs; it is read after the sampler has stopped.
type queueGauge struct {
	sum, samples int64
	peak         int
	capacity     int
}

func (g *queueGauge) add(n int) {
	g.sum += int64(n)
	g.samples++
	g.peak = max(g.peak, n)
}

// stage is one of the pipeline's stages: the index of its row in every per-stage table.
type stage int

// The pipeline's stages, in pipeline order.
const (
	stageFrontier stage = iota
	stageFetch
	stageParse
	stageWrite
	numStages
)

// stageNames are the stages' names in Stats.Stages.
var stageNames = [numStages]string{
	stageFrontier: "frontier",
	stageFetch:    "fetch",
	stageParse:    "parse",
	stageWrite:    "write",
}

// stageStats holds the figures of the pipeline's stages, by stage.
type stageStats struct {
	clocks  [numStages]stageClock
	commits atomic.Int64 // write transactions

	mu     sync.Mutex // guards the fields below, written once the sampler stops
	queues [numStages]queueGauge
	widths [numStages]int
}

// clock is the clock of one stage.
func (s *stageStats) clock(st stage) *stageClock { return &s.clocks[st] }

// queueSampleEvery is how often queue lengths are sampled.
const queueSampleEvery = 5 * time.Millisecond

// stageInput describes a stage: how many goroutines run it, and the channels it reads,
// whose lengths and capacities add up to its input.
type stageInput struct {
	width  int
	inputs []queue
}

// stageTable is the pipeline's stages as the wiring makes them: it sizes each stage's pool
// of goroutines, and the sampler reports from it.
type stageTable [numStages]stageInput

func (in stageInput) depth() (length, capacity int) {
	for _, q := range in.inputs {
		n, c := q.len()
		length, capacity = length+n, capacity+c
	}
	return length, capacity
}

// sampleQueues samples the input length of each stage until the returned stop function is
// called; stop waits for the sampler to end and records what it saw, widths included.
func (s *stageStats) sampleQueues(stages stageTable) (stop func()) {
	done := make(chan struct{})
	ended := make(chan struct{})
	go func() {
		defer close(ended)
		var g [numStages]queueGauge
		tick := time.NewTicker(queueSampleEvery)
		defer tick.Stop()
		for {
			select {
			case <-tick.C:
				for i, st := range stages {
					n, _ := st.depth()
					g[i].add(n)
				}
			case <-done:
				s.mu.Lock()
				for i, st := range stages {
					_, g[i].capacity = st.depth()
					s.widths[i] = st.width
				}
				s.queues = g
				s.mu.Unlock()
				return
			}
		}
	}()
	var once sync.Once
	return func() {
		once.Do(func() {
			close(done)
			<-ended
		})
	}
}

// StageFigures describes one stage of a finished (or running) crawl.
type StageFigures struct {
	Name    string        // frontier, fetch, parse, write
	Width   int           // goroutines running the stage
	Items   int64         // items the stage handled: URLs handed out, fetched, parsed, committed
	Busy    time.Duration // summed over the stage's goroutines: working on items
	Blocked time.Duration // summed: waiting for the next stage to take output
	// Queue figures are of the stage's input channel, sampled every few milliseconds.
	QueueAvg  float64
	QueuePeak int
	QueueCap  int
}

// Utilisation is the share of the stage's goroutine time spent working, over elapsed.
func (f StageFigures) Utilisation(elapsed time.Duration) float64 {
	if elapsed <= 0 || f.Width <= 0 {
		return 0
	}
	return float64(f.Busy) / float64(elapsed) / float64(f.Width)
}

// Stages returns the per-stage figures of the run. Queue figures are complete once Run has
// returned.
func (s *Stats) Stages() []StageFigures {
	st := &s.stages
	st.mu.Lock()
	queues, widths := st.queues, st.widths
	st.mu.Unlock()
	out := make([]StageFigures, numStages)
	for i := range numStages {
		c, q := st.clock(i), queues[i]
		items := c.items.Load()
		if i == stageFrontier {
			items = s.leased.Load() // the frontier's items are its hand-outs
		}
		out[i] = StageFigures{
			Name: stageNames[i], Width: widths[i],
			Items: items, Busy: time.Duration(c.busy.Load()), Blocked: time.Duration(c.blocked.Load()),
			QueuePeak: q.peak, QueueCap: q.capacity,
		}
		if q.samples > 0 {
			out[i].QueueAvg = float64(q.sum) / float64(q.samples)
		}
	}
	return out
}

// Commits returns the number of write transactions of the run.
func (s *Stats) Commits() int64 { return s.stages.commits.Load() }
