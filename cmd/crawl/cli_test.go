//go:build unix

package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/creack/pty"
	"github.com/spf13/pflag"

	"github.com/crawl-project/crawl"
	"github.com/crawl-project/crawl/store"
)

// The command line as people use it, through the real binary: seeds from everywhere, exit
// codes, the config file and variables, the terminal, completion and the man page.

// runIO runs the binary with the environment env (added to a minimal one), stdin and args.
func runIO(t *testing.T, env []string, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute) // a hang guard only
	defer cancel()
	cmd := exec.CommandContext(ctx, crawlBinary(t), args...)
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}, env...)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		t.Fatalf("crawl %q: %v", args, err)
	}
	return cmd.ProcessState.ExitCode(), out.String(), errb.String()
}

// nodeStates reads the state and error of every URL of a database.
func nodeStates(t *testing.T, db string) map[string]crawl.Node {
	t.Helper()
	d, err := store.Open(db, store.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	out := map[string]crawl.Node{}
	err = d.View(func(s *store.Snapshot) error {
		return s.EachNode(func(n crawl.Node) error { out[n.URL] = n; return nil })
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestSeedsFromEverywhere gives a seed as an argument, one with -u and two on standard input
// (--seeds -), in one command.
func TestSeedsFromEverywhere(t *testing.T) {
	srv := smallSite(t)
	db := filepath.Join(t.TempDir(), "c.db")
	code, stdout, stderr := runIO(t, nil, "# from a pipe\n"+srv.URL+"/b\n"+srv.URL+"/missing\n",
		srv.URL+"/a", "-u", srv.URL+"/", "--seeds", "-", "-d", db, "--host-rate", "0", "--max-depth", "0")
	if code != exitOK {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	nodes := nodeStates(t, db)
	for _, p := range []string{"/", "/a", "/b", "/missing"} {
		if n := nodes[srv.URL+p]; n.State != crawl.StateDone {
			t.Errorf("%s: %v, want done (a seed, at depth 0)", p, n.State)
		}
	}
	// A bad line on standard input is reported as the file's are.
	code, _, stderr = runIO(t, nil, "ftp://x.test/\n", "--seeds", "-", "-d", filepath.Join(t.TempDir(), "d.db"))
	if code != exitUsage || !strings.Contains(stderr, "crawl: bad seed: standard input:1:") {
		t.Errorf("bad seed on stdin: exit %d, stderr %q", code, stderr)
	}
}

// TestBareHost crawls "127.0.0.1:PORT" typed without a scheme as https, saying so.
func TestBareHost(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		io.WriteString(w, "<title>tls</title>")
	}))
	t.Cleanup(srv.Close)
	host := strings.TrimPrefix(srv.URL, "https://")
	db := filepath.Join(t.TempDir(), "c.db")
	code, stdout, stderr := runIO(t, nil, "", host, "--insecure", "-d", db, "--host-rate", "0")
	if code != exitOK || !strings.Contains(stderr, "crawl: "+host+" has no scheme: crawling https://"+host+"/\n") {
		t.Fatalf("exit %d, stderr %q\n%s", code, stderr, stdout)
	}
	if n := nodeStates(t, db)["https://"+host+"/"]; n.State != crawl.StateDone || n.Title != "tls" {
		t.Errorf("the bare host was not crawled over https: %+v", n)
	}
	for _, c := range []struct{ arg, want string }{
		{"urls.txt", `"urls.txt" is not a URL: write it with its scheme, e.g. https://urls.txt`},
		{"frobnicate", `unknown command "frobnicate"`},
	} {
		if code, _, stderr := runIO(t, nil, "", c.arg); code != exitUsage || !strings.Contains(stderr, c.want) {
			t.Errorf("crawl %s: exit %d, stderr %q; want %q", c.arg, code, stderr, c.want)
		}
	}
}

// TestNoSeedFetchedAndRerun: a crawl whose only seed refuses connections exits 3, counts the
// error by cause and stores it; its rerun says the crawl is complete and exits 0.
func TestNoSeedFetchedAndRerun(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	seed := "http://" + ln.Addr().String() + "/"
	ln.Close() // nothing listens there now: connection refused
	db := filepath.Join(t.TempDir(), "c.db")
	args := []string{seed, "-d", db, "--retries", "0"}
	code, stdout, stderr := runIO(t, nil, "", args...)
	if code != exitNoSeed {
		t.Fatalf("exit %d, want %d\n%s\n%s", code, exitNoSeed, stdout, stderr)
	}
	if !strings.Contains(stdout, "fetch errors    1 (1 connection refused)") {
		t.Errorf("the summary does not count the error by cause:\n%s", stdout)
	}
	if want := "crawl: no seed could be fetched: " + seed + ": robots.txt unavailable: connection refused\n"; !strings.Contains(stderr, want) {
		t.Errorf("stderr %q lacks %q", stderr, want)
	}
	if n := nodeStates(t, db)[seed]; n.State != crawl.StateFailed || n.Error != "robots.txt unavailable: connection refused" {
		t.Errorf("stored %v %q", n.State, n.Error)
	}
	code, stdout, stderr = runIO(t, nil, "", args...)
	if code != exitOK || !strings.HasPrefix(stdout, "Crawl complete: "+db+" has nothing left to fetch (1 URLs recorded, 0 fetched).") {
		t.Errorf("rerun: exit %d\n%s\n%s", code, stdout, stderr)
	}
}

// TestConfigPrecedence sets values in a config file, in CRAWL_ variables and as flags, and
// reads back with crawl config --show which one won: flag > variable > file > default.
func TestConfigPrecedence(t *testing.T) {
	dir := t.TempDir()
	conf := writeFile(t, dir, "crawl.toml", `# settings of the docs crawl
db = "docs.db"
workers = 3
max-depth = 2
include = ["^https://example\\.org/docs/", "/guide/"]
timeout = "30s"
quiet = true
`)
	env := []string{"CRAWL_CONFIG=" + conf, "CRAWL_MAX_DEPTH=5", "CRAWL_EXCLUDE=\\.pdf$\n/private/"}
	code, stdout, stderr := runIO(t, env, "", "config", "--show", "--workers", "7", "-q=false")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range [][2]string{
		{"workers = 7", "flag"},
		{"quiet = false", "flag"},
		{"max-depth = 5", "env CRAWL_MAX_DEPTH"},
		{`exclude = ["\\.pdf$", "/private/"]`, "env CRAWL_EXCLUDE"},
		{`db = "docs.db"`, "file " + conf + ":2"},
		{`include = ["^https://example\\.org/docs/", "/guide/"]`, "file " + conf + ":5"},
		{`timeout = "30s"`, "file " + conf + ":6"},
		{`scope = "host"`, "default"},
	} {
		if !hasSetting(stdout, want[0], want[1]) {
			t.Errorf("config --show lacks %s from %s:\n%s", want[0], want[1], stdout)
		}
	}
	// The output is a config file itself, and reads back to the same values.
	again := writeFile(t, dir, "again.toml", stdout)
	code, out2, stderr := runIO(t, nil, "", "config", "--show", "--config", again)
	if code != exitOK || !strings.Contains(out2, "max-depth = 5") || !strings.Contains(out2, "workers = 7") {
		t.Errorf("--show output as a config file: exit %d\n%s\n%s", code, out2, stderr)
	}
	// Another command takes the keys of its own flags: db, not max-depth.
	code, stdout, _ = runIO(t, []string{"CRAWL_CONFIG=" + conf}, "", "config", "--show", "export", "-f", "gexf")
	if code != exitOK || !hasSetting(stdout, `db = "docs.db"`, "file "+conf+":2") || !hasSetting(stdout, `format = "gexf"`, "flag") {
		t.Errorf("config --show export: exit %d\n%s", code, stdout)
	}
	// A setting in the file reaches the crawl: max-pages 1 fetches one page.
	srv := smallSite(t)
	pages := writeFile(t, dir, "pages.toml", "max-pages = 1\nhost-rate = 0\n")
	code, stdout, stderr = runIO(t, nil, "", srv.URL+"/", "--config", pages, "-d", filepath.Join(dir, "p.db"))
	if code != exitOK || !strings.Contains(stdout, "pages fetched   1 ") {
		t.Errorf("crawl with max-pages from the file: exit %d\n%s\n%s", code, stdout, stderr)
	}
}

// hasSetting reports whether crawl config --show printed the setting with its source.
func hasSetting(out, setting, source string) bool {
	for _, line := range strings.Split(out, "\n") {
		value, comment, _ := strings.Cut(line, " # ")
		if strings.TrimSpace(value) == setting && comment == source {
			return true
		}
	}
	return false
}

// TestConfigErrors: a bad file or variable is a one-line error naming it, exit 2.
func TestConfigErrors(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		file, env, want string
	}{
		{"workers = 3\nwokers = 4\n", "", "crawl.toml:2: unknown setting \"wokers\": no command has a flag --wokers"},
		{"workers = \"many\"\n", "", "crawl.toml:1: workers: invalid argument \"many\""},
		{"[export]\nformat = \"gexf\"\n", "", "crawl.toml:1: [export]: tables are not read"},
		{"workers = \n", "", "crawl.toml:1: "},
		{"", "CRAWL_WORKERS=many", "CRAWL_WORKERS=\"many\": invalid argument \"many\""},
	} {
		conf := writeFile(t, dir, "crawl.toml", c.file)
		env := []string{"CRAWL_CONFIG=" + conf}
		if c.env != "" {
			env = append(env, c.env)
		}
		code, stdout, stderr := runIO(t, env, "", "http://127.0.0.1:1/", "-d", filepath.Join(dir, "c.db"))
		if code != exitUsage || stdout != "" || !strings.Contains(stderr, c.want) || strings.Count(stderr, "\n") != 2 {
			t.Errorf("%q %s: exit %d, stderr %q; want exit 2 and %q", c.file, c.env, code, stderr, c.want)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "c.db")); err == nil {
		t.Error("a crawl with a bad configuration created its database")
	}
}

// TestGoFlagForms: the forms Go's flag package took keep working: one dash before a long
// flag, and a switch followed by true or false.
func TestGoFlagForms(t *testing.T) {
	code, stdout, stderr := runIO(t, nil, "", "config", "--show", "-db", "x.db", "-max-depth=4", "--quiet", "false", "-insecure", "true")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{`db = "x.db"`, "max-depth = 4", "quiet = false", "insecure = true"} {
		if !hasSetting(stdout, want, "flag") {
			t.Errorf("config --show lacks %q:\n%s", want, stdout)
		}
	}
}

// TestDumbTerminal runs a crawl on a pseudo-terminal whose TERM is dumb: no status line, no
// carriage return, no escape code.
func TestDumbTerminal(t *testing.T) {
	srv := smallSite(t)
	for _, env := range [][]string{{"TERM=dumb"}, {"TERM=dumb", "NO_COLOR=1"}, nil} {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute) // a hang guard only
		cmd := exec.CommandContext(ctx, crawlBinary(t), srv.URL+"/", "-d", filepath.Join(t.TempDir(), "c.db"), "--host-rate", "0", "--progress-every", "1ms")
		cmd.Env = append([]string{"PATH=" + os.Getenv("PATH")}, env...)
		tty, err := pty.StartWithSize(cmd, &pty.Winsize{Rows: 40, Cols: 120})
		if err != nil {
			cancel()
			t.Fatal(err)
		}
		var out bytes.Buffer
		_, _ = io.Copy(&out, tty) // ends with EIO once the crawl exits
		werr := cmd.Wait()
		tty.Close()
		cancel()
		if werr != nil {
			t.Fatalf("TERM %v: %v\n%q", env, werr, out.String())
		}
		text := strings.ReplaceAll(out.String(), "\r\n", "\n") // the terminal's own line ends
		if strings.ContainsAny(text, "\r\x1b") {
			t.Errorf("TERM %v: carriage return or escape code on a dumb terminal:\n%q", env, text)
		}
		if !strings.Contains(text, "Crawl summary") || !strings.Contains(text, "crawl: progress: done") {
			t.Errorf("TERM %v: no summary or no progress lines:\n%s", env, text)
		}
	}
}

// TestCompletionScripts checks that the completion scripts for bash, zsh and fish are
// written, that each shell installed here reads its script, and that the completions come
// from the flags' definitions.
func TestCompletionScripts(t *testing.T) {
	for _, shell := range []string{"bash", "zsh", "fish"} {
		code, script, stderr := runIO(t, nil, "", "completion", shell)
		if code != exitOK || !strings.Contains(script, "crawl") || len(script) < 1000 {
			t.Errorf("completion %s: exit %d, %d bytes, stderr %q", shell, code, len(script), stderr)
			continue
		}
		path, err := exec.LookPath(shell)
		if err != nil {
			t.Logf("%s is not installed: its script is not parsed", shell)
			continue
		}
		f := writeFile(t, t.TempDir(), "crawl."+shell, script)
		check := []string{"-n", f}
		if shell == "fish" {
			check = []string{"--no-execute", f}
		}
		if out, err := exec.Command(path, check...).CombinedOutput(); err != nil {
			t.Errorf("%s does not read the completion script: %v\n%s", shell, err, out)
		}
	}
	code, stdout, _ := runIO(t, nil, "", "__complete", "export", "--format", "")
	for _, f := range []string{"csv", "gexf", "dot"} {
		if code != exitOK || !strings.Contains(stdout, f+"\n") {
			t.Errorf("completing --format: exit %d, %q lacks %s", code, stdout, f)
		}
	}
	code, stdout, _ = runIO(t, nil, "", "__complete", "--max-")
	if code != exitOK || !strings.Contains(stdout, "--max-depth") {
		t.Errorf("completing --max-: exit %d, %q", code, stdout)
	}
}

// TestManPage checks that the man page lists every flag of every command and the exit
// codes, and that groff, where installed, formats it without a warning.
func TestManPage(t *testing.T) {
	code, page, stderr := runIO(t, nil, "", "man")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	root := newRootCommand(&env{stdout: io.Discard, stderr: io.Discard, getenv: noEnv})
	for _, c := range append(root.Commands(), root) {
		c.Flags().VisitAll(func(f *pflag.Flag) {
			if !f.Hidden && f.Name != "help" && !strings.Contains(page, `\-\-`+strings.ReplaceAll(f.Name, "-", `\-`)) {
				t.Errorf("the man page lacks --%s of %s", f.Name, c.Name())
			}
		})
	}
	for _, c := range exitCodes {
		if !strings.Contains(page, "\n.B "+strconv.Itoa(c.code)+"\n") {
			t.Errorf("the man page lacks exit code %d", c.code)
		}
	}
	groff, err := exec.LookPath("groff")
	if err != nil {
		t.Skip("groff not installed: the page is not formatted")
	}
	cmd := exec.Command(groff, "-man", "-Tutf8", "-ww", "-z")
	cmd.Stdin = strings.NewReader(page)
	if out, err := cmd.CombinedOutput(); err != nil || len(out) > 0 {
		t.Errorf("groff: %v\n%s", err, out)
	}
}
