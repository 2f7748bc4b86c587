package parse_test

import (
	"bytes"
	"fmt"
	"net/url"
	"runtime"
	"runtime/metrics"
	"strings"
	"testing"
	"time"

	"github.com/crawl-project/crawl/parse"
)

// Hostile pages: each is built to cost the extractor as much as a page of its size can.

// anchorDensePage is size bytes of <a href=/x>x</a>: as many elements as a page can hold.
func anchorDensePage(size int) []byte {
	const a = "<a href=/x>x</a>"
	return bytes.Repeat([]byte(a), size/len(a))
}

// nestedSVGAnchorsPage nests depth <a> elements inside one <svg> (foreign content lets <a>
// nest), with nodes elements and text nodes below the innermost.
func nestedSVGAnchorsPage(depth, nodes int) []byte {
	var b strings.Builder
	b.WriteString("<html><body><svg>")
	for i := range depth {
		fmt.Fprintf(&b, `<a href="/n%d">`, i)
	}
	for range nodes / 2 {
		b.WriteString("<g>x</g>")
	}
	for range depth {
		b.WriteString("</a>")
	}
	b.WriteString("</svg></body></html>")
	return []byte(b.String())
}

// deepPage nests depth <div> elements, with links before the nesting, at its middle and at
// its bottom.
func deepPage(depth int) []byte {
	var b strings.Builder
	b.WriteString(`<html><head><title>Deep</title></head><body><a href="/before">before</a>`)
	for i := range depth {
		b.WriteString("<div>")
		if i == depth/2 || i == depth-1 {
			fmt.Fprintf(&b, `<a href="/at%d">at %d</a>`, i, i)
		}
	}
	for range depth {
		b.WriteString("</div>")
	}
	b.WriteString(`<a href="/after">after</a></body></html>`)
	return []byte(b.String())
}

// reconstructPage leaves open distinct formatting elements, then repeats a paragraph: the tree
// builder copies every open one into every paragraph.
func reconstructPage(open, paragraphs int) []byte {
	var b strings.Builder
	b.WriteString(`<html><head><title>Copies</title></head><body><a href="/before">before</a>`)
	for i := range open {
		fmt.Fprintf(&b, `<b id="b%d">`, i)
	}
	for range paragraphs {
		b.WriteString("<p>x</p>")
	}
	b.WriteString(`<a href="/after">after</a></body></html>`)
	return []byte(b.String())
}

type hostilePage struct {
	name string
	body []byte
}

// hostilePages are the pages of the attack on the extractor, and one like the second small
// enough for the tree path.
func hostilePages() []hostilePage {
	return []hostilePage{
		{"anchors-10MiB", anchorDensePage(10 << 20)},
		{"svg-anchors-500x2.6M", nestedSVGAnchorsPage(500, 2_600_000)},
		{"deep-2000", deepPage(2000)},
		{"formatting-400x25k", reconstructPage(400, 25_000)},
		{"svg-anchors-500x60k-tree", nestedSVGAnchorsPage(500, 60_000)},
	}
}

// heapSampler records the largest heap in use (live and not yet collected objects) while
// it runs: a measurement, read every 200µs, not a synchronisation.
type heapSampler struct {
	stop chan struct{}
	done chan uint64
}

func sampleHeap() *heapSampler {
	h := &heapSampler{stop: make(chan struct{}), done: make(chan uint64)}
	go func() {
		s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
		var peak uint64
		t := time.NewTicker(200 * time.Microsecond)
		defer t.Stop()
		for {
			metrics.Read(s)
			peak = max(peak, s[0].Value.Uint64())
			select {
			case <-h.stop:
				h.done <- peak
				return
			case <-t.C:
			}
		}
	}()
	return h
}

func (h *heapSampler) peak() uint64 {
	close(h.stop)
	return <-h.done
}

// BenchmarkExtractHostile parses each hostile page and reports CPU time, bytes allocated and
// the peak heap per page (run with -benchtime=1x or 3x; on a shared machine the figures are noisy).
func BenchmarkExtractHostile(b *testing.B) {
	pageURL, _ := url.Parse("http://hostile.test/p")
	for _, p := range hostilePages() {
		b.Run(p.name, func(b *testing.B) {
			x := parse.Extractor{MaxLinks: 6000}
			var m0, m1 runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&m0)
			base := m0.HeapAlloc
			h := sampleHeap()
			cpu0 := processCPU()
			var links, dropped int
			var err error
			for range b.N {
				var page *parse.Page
				page, err = x.Extract(p.body, "text/html; charset=utf-8", pageURL)
				if err == nil {
					links, dropped = len(page.Links), page.Dropped
				}
			}
			cpu := processCPU() - cpu0
			peak := h.peak()
			runtime.ReadMemStats(&m1)
			if err != nil {
				b.Logf("%s: %v", p.name, err)
			}
			b.SetBytes(int64(len(p.body)))
			b.ReportMetric(float64(cpu.Milliseconds())/float64(b.N), "cpu-ms/page")
			b.ReportMetric(float64(m1.TotalAlloc-m0.TotalAlloc)/float64(b.N)/(1<<20), "alloc-MiB/page")
			b.ReportMetric(float64(peak-min(peak, base))/(1<<20), "peak-heap-MiB")
			b.ReportMetric(float64(links), "links")
			b.ReportMetric(float64(dropped), "dropped")
		})
	}
}
