package main

import (
	"io"
	"log/slog"
	"math"
	"os"
	"sync"
	"time"
	"unicode/utf8"

	"golang.org/x/term"

	"github.com/crawl-project/crawl/crawler"
)

// Live progress of a running crawl. It only reads the crawl's atomic counters
// (crawler.Stats.Snapshot) on a ticker, so it never holds up a stage.

const (
	// redrawEvery paces the status line on a terminal: often enough to look live, rarely
	// enough to cost nothing.
	redrawEvery = 250 * time.Millisecond
	// rateWindow is the span over which "pages/s now" is measured.
	rateWindow = 5 * time.Second
)

// terminalFd returns the file descriptor of w if w is a terminal.
func terminalFd(w io.Writer) (int, bool) {
	f, ok := w.(*os.File)
	if !ok {
		return 0, false
	}
	fd := int(f.Fd())
	return fd, term.IsTerminal(fd)
}

// capableTerminal reports whether the terminal understands carriage returns and escape
// codes: not when TERM is unset or dumb (Emacs shells, some CI logs). The status line is
// shown only on a capable terminal; elsewhere the plain progress lines are written. crawl
// writes no colour anywhere, so NO_COLOR has nothing to turn off.
func capableTerminal(getenv func(string) (string, bool)) bool {
	term, _ := getenv("TERM")
	return term != "" && term != "dumb"
}

// statusWriter owns a terminal that shows a status line on its last row. Everything else
// written through it (log lines, messages) first clears the status line, then redraws it
// below, so the two never mix on one row.
type statusWriter struct {
	mu    sync.Mutex
	w     io.Writer
	fd    int
	shown string // the status line on screen, "" for none
}

func (s *statusWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.shown == "" {
		return s.w.Write(p)
	}
	if _, err := io.WriteString(s.w, "\r\x1b[K"); err != nil {
		return 0, err
	}
	n, err := s.w.Write(p)
	if err == nil && len(p) > 0 && p[len(p)-1] == '\n' {
		_, err = io.WriteString(s.w, s.shown)
	}
	return n, err
}

// show replaces the status line: carriage return, the line cut to the terminal's width,
// clear to the end of the row.
func (s *statusWriter) show(line string) {
	if width, _, err := term.GetSize(s.fd); err == nil && width > 1 {
		line = truncateRunes(line, width-1)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.shown = line
	_, _ = io.WriteString(s.w, "\r"+line+"\x1b[K")
}

// clear removes the status line, leaving the cursor at the start of an empty row.
func (s *statusWriter) clear() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.shown != "" {
		_, _ = io.WriteString(s.w, "\r\x1b[K")
		s.shown = ""
	}
}

func round1(x float64) float64 { return math.Round(x*10) / 10 }

func truncateRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	i := 0
	for j := range s {
		if i == n {
			return s[:j]
		}
		i++
	}
	return s
}

// rateMeter turns a growing count into a rate over the last window.
type rateMeter struct {
	window  time.Duration
	samples []rateSample
}

type rateSample struct {
	at time.Time
	n  int64
}

// add records the count n at time at and returns the rate per second since the oldest
// sample still inside the window (or the one just before it).
func (m *rateMeter) add(at time.Time, n int64) float64 {
	m.samples = append(m.samples, rateSample{at, n})
	for len(m.samples) > 2 && at.Sub(m.samples[1].at) >= m.window {
		m.samples = m.samples[1:]
	}
	first := m.samples[0]
	dt := at.Sub(first.at).Seconds()
	if dt <= 0 {
		return 0
	}
	return float64(n-first.n) / dt
}

// progress reports a crawl's counters until stopped: a status line redrawn in place on a
// terminal, otherwise one line (text or JSON, like the logs) every interval.
type progress struct {
	stats *crawler.Stats
	term  *statusWriter // nil when not on a terminal
	plain io.Writer     // the plain-line destination when not on a terminal
	json  bool          // plain lines as JSON records, for a stderr that carries JSON logs
	every time.Duration // the redraw or line interval

	meter rateMeter
	stop  chan struct{}
	done  chan struct{}
}

// startProgress starts reporting and returns the function that stops it; that function
// returns once the reporter has finished (and cleared the status line).
func startProgress(stats *crawler.Stats, p *progress) func() {
	p.stats = stats
	p.meter = rateMeter{window: rateWindow}
	p.meter.add(time.Now(), 0)
	p.stop, p.done = make(chan struct{}), make(chan struct{})
	go p.run(p.every)
	var once sync.Once
	return func() {
		once.Do(func() {
			close(p.stop)
			<-p.done
		})
	}
}

func (p *progress) run(interval time.Duration) {
	defer close(p.done)
	tick := time.NewTicker(interval)
	defer tick.Stop()
	if p.term != nil {
		defer p.term.clear()
	}
	for {
		select {
		case now := <-tick.C:
			p.report(now)
		case <-p.stop:
			return
		}
	}
}

func (p *progress) report(now time.Time) {
	s := p.stats.Snapshot()
	rate := p.meter.add(now, s.Committed)
	switch {
	case p.term != nil:
		p.term.show(statusLine(progressFields(s, rate)))
	case p.json:
		slog.New(slog.NewJSONHandler(p.plain, nil)).Info("progress",
			"done", s.Committed, "pending", s.Pending, "in_flight", s.InFlight,
			"pages_per_second", round1(rate), "pages_per_second_avg", round1(averageRate(s)),
			"errors", s.Failed, "hosts_active", s.ActiveHosts, "bytes", s.Bytes,
			"elapsed", s.Elapsed)
	default:
		_, _ = io.WriteString(p.plain, progressLine(progressFields(s, rate))+"\n")
	}
}
