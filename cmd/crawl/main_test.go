package main

import (
	"bytes"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/crawl-project/crawl/crawler/crawltest"
)

// runCmd runs the command in-process and returns its exit code and output.
func runCmd(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(args, &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func smallSite(t *testing.T) *httptest.Server {
	t.Helper()
	pages := map[string]string{
		"/":  `<title>Home</title><a href="/a">A</a> <a href="/b">B</a> <a href="mailto:x@y">mail</a>`,
		"/a": `<title>A</title><a href="/">home</a> <a href="/b#top">B</a>`,
		"/b": `<title>B</title><a href="/missing">gone</a> <a href="http://elsewhere.invalid/">out</a>`,
	}
	srv := httptest.NewServer(crawltest.NewPages(pages))
	t.Cleanup(srv.Close)
	return srv
}

func TestSeedsFileErrorsNameEveryBadLine(t *testing.T) {
	dir := t.TempDir()
	seeds := writeFile(t, dir, "seeds.txt", "# seeds\n\nhttp://127.0.0.1:1/\nexample.com/no-scheme\nftp://files.test/\n  \nhttp://[::1\n")
	code, _, stderr := runCmd(t, "--seeds", seeds, "--db", filepath.Join(dir, "c.db"))
	if code != exitUsage {
		t.Fatalf("exit %d, want %d; stderr:\n%s", code, exitUsage, stderr)
	}
	for _, want := range []string{"seeds.txt:4:", "seeds.txt:5:", "seeds.txt:7:", "3 bad line(s)"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
	if strings.Contains(stderr, "seeds.txt:3:") {
		t.Errorf("valid line reported:\n%s", stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "c.db")); err == nil {
		t.Error("database created although the crawl refused to start")
	}
}

func TestSkipBadSeedsCrawlsTheRest(t *testing.T) {
	srv := smallSite(t)
	dir := t.TempDir()
	seeds := writeFile(t, dir, "seeds.txt", "not a url\n"+srv.URL+"/\n")
	code, stdout, stderr := runCmd(t, "--seeds", seeds, "--db", filepath.Join(dir, "c.db"), "--skip-bad-seeds", "--host-rate", "0")
	if code != exitOK {
		t.Fatalf("exit %d; stderr:\n%s", code, stderr)
	}
	if !strings.Contains(stderr, "seeds.txt:1:") {
		t.Errorf("bad line not reported:\n%s", stderr)
	}
	// /, /a, /b, /missing (404). robots.txt is fetched but is not a page.
	if !strings.Contains(stdout, "pages fetched   4 (2xx 3, 3xx 0, 4xx 1") {
		t.Errorf("summary:\n%s", stdout)
	}
}

func TestFlagErrors(t *testing.T) {
	dir := t.TempDir()
	seeds := writeFile(t, dir, "seeds.txt", "http://127.0.0.1:1/\n")
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"--seeds", seeds, "--scope", "planet"}, `unknown scope "planet"`},
		{[]string{"--seeds", seeds, "--workers", "0"}, "--workers 0"},
		{[]string{"--seeds", seeds, "--resolve", "nohost"}, "want host:port:addr"},
		{[]string{"--seeds", seeds, "--resolve", "a.test:80:not-an-ip"}, "not an IP address"},
		{[]string{"--seeds", seeds, "--header", "NoColon"}, "want 'Name: value'"},
		{[]string{"--seeds", seeds, "--include", "("}, "--include"},
		{[]string{"--no-such-flag"}, "unknown flag: --no-such-flag"},
		{[]string{}, "Usage"},
		{[]string{"--seeds", filepath.Join(dir, "missing.txt")}, "missing.txt"},
		{[]string{"frobnicate"}, `unknown command "frobnicate"`},
	}
	for _, c := range cases {
		code, _, stderr := runCmd(t, c.args...)
		if code != exitUsage || !strings.Contains(stderr, c.want) {
			t.Errorf("crawl %q: exit %d, stderr %q; want exit %d and %q", c.args, code, stderr, exitUsage, c.want)
		}
	}
}

// flagError is a crawl command line that must be refused: its flags, and what the error says.
type flagError struct {
	args []string
	want string
}

// checkCrawlFlagErrors runs the crawl with seeds, a database and each case's flags, and
// checks that it exits with a usage error naming what was wrong, before creating the database.
func checkCrawlFlagErrors(t *testing.T, cases []flagError) {
	t.Helper()
	dir := t.TempDir()
	seeds := writeFile(t, dir, "seeds.txt", "http://127.0.0.1:1/\n")
	db := filepath.Join(dir, "c.db")
	for _, c := range cases {
		code, _, stderr := runCmd(t, append([]string{"--seeds", seeds, "--db", db}, c.args...)...)
		if code != exitUsage || !strings.Contains(stderr, c.want) {
			t.Errorf("crawl %q: exit %d, stderr %q; want exit %d and %q", c.args, code, stderr, exitUsage, c.want)
		}
		if _, err := os.Stat(db); err == nil {
			t.Fatalf("crawl %q: database created although the crawl refused to start", c.args)
		}
	}
}

func TestVersionAndHelp(t *testing.T) {
	if code, out, _ := runCmd(t, "--version"); code != 0 || !strings.HasPrefix(out, "crawl ") {
		t.Errorf("--version: %d %q", code, out)
	}
	if code, out, _ := runCmd(t, "help"); code != 0 || !strings.Contains(out, "Commands:") {
		t.Errorf("help: %d %q", code, out)
	}
}

// TestHelpGoesToStdout checks the conventions of GNU and cobra commands: asked for, the help
// goes to stdout with exit 0, the crawl's flags listed by topic.
func TestHelpGoesToStdout(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--help"}, "Commands:"},
		{[]string{"--help"}, "--max-depth int"}, // the crawl's flags, not only the commands
		{[]string{"-h"}, "Politeness:"},
		{[]string{"help"}, "Commands:"},
		{[]string{"help", "crawl"}, "--seeds FILE"},
		{[]string{"help", "version"}, "crawl version [flags]"},
		{[]string{"crawl", "--help"}, "-i, --seeds FILE"},
		{[]string{"crawl", "-h"}, "--metrics-addr"},
		{[]string{"crawl", "-help"}, "--log-format"}, // Go's single-dash form still works
		{[]string{"--seeds", "x", "--help"}, "--seeds"},
		{[]string{"version", "--help"}, "crawl version [flags]"},
		{[]string{"status", "--help"}, "--json"},
		{[]string{"help", "status"}, "crawl status [flags]"},
		{[]string{"export", "--help"}, "-f, --format"},
		{[]string{"help", "export"}, "crawl export [flags]"},
		{[]string{"report", "-h"}, "--referrers"},
		{[]string{"help", "report"}, "crawl report [flags]"},
		{[]string{"help", "config"}, "crawl config --show"},
		{[]string{"config", "--help"}, "where each value comes from"},
	} {
		code, stdout, stderr := runCmd(t, c.args...)
		if code != exitOK || !strings.Contains(stdout, c.want) || stderr != "" {
			t.Errorf("crawl %q: exit %d, stdout %q, stderr %q; want exit 0 and %q on stdout", c.args, code, stdout, stderr, c.want)
		}
	}
}

// TestUsageErrorsAreOneLine checks that a bad command line says what was wrong on one line,
// then where the help is, on stderr with exit 2: not the whole usage.
func TestUsageErrorsAreOneLine(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--no-such-flag"}, "crawl: unknown flag: --no-such-flag\nRun 'crawl --help' for usage.\n"},
		{[]string{"--workers", "many"}, `crawl: invalid argument "many" for "-c, --workers" flag: strconv.ParseInt: parsing "many": invalid syntax` + "\nRun 'crawl --help' for usage.\n"},
		{[]string{"--seeds"}, "crawl: flag needs an argument: --seeds\nRun 'crawl --help' for usage.\n"},
		{[]string{"--seeds", "s.txt", "extra"}, `crawl: unknown command "extra"` + "\nRun 'crawl --help' for usage.\n"},
		{[]string{"exprot"}, `crawl: unknown command "exprot" (did you mean "export"?)` + "\nRun 'crawl --help' for usage.\n"},
		{[]string{"--db", "x.db"}, "crawl: no seed URL: give URLs as arguments, with -u URL, or in a file with --seeds FILE (- for standard input)\nRun 'crawl --help' for usage.\n"},
		{[]string{"version", "--short"}, "crawl version: unknown flag: --short\nRun 'crawl help version' for usage.\n"},
		{[]string{"version", "now"}, `crawl version: unexpected argument "now"` + "\nRun 'crawl help version' for usage.\n"},
		{[]string{"status", "extra"}, `crawl status: unexpected argument "extra"` + "\nRun 'crawl help status' for usage.\n"},
		{[]string{"status", "--jsn"}, "crawl status: unknown flag: --jsn\nRun 'crawl help status' for usage.\n"},
		{[]string{"export", "graph.graphml"}, `crawl export: unexpected argument "graph.graphml"` + "\nRun 'crawl help export' for usage.\n"},
		{[]string{"export", "--max-nodes", "x"}, `crawl export: invalid argument "x" for "--max-nodes" flag: strconv.ParseInt: parsing "x": invalid syntax` + "\nRun 'crawl help export' for usage.\n"},
		{[]string{"report", "extra"}, `crawl report: unexpected argument "extra"` + "\nRun 'crawl help report' for usage.\n"},
		{[]string{"report", "--limit"}, "crawl report: flag needs an argument: --limit\nRun 'crawl help report' for usage.\n"},
	} {
		code, stdout, stderr := runCmd(t, c.args...)
		if code != exitUsage || stdout != "" || stderr != c.want {
			t.Errorf("crawl %q: exit %d, stdout %q, stderr %q; want exit %d and %q", c.args, code, stdout, stderr, exitUsage, c.want)
		}
	}
}

// noEnv is an empty environment.
func noEnv(string) (string, bool) { return "", false }
