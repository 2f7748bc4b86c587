package crawltest

import (
	"io"
	"net/http"
	"path"
	"regexp"
	"strings"
)

// FileServer serves a directory of static files, such as
// testdata/demo-site, like http.FileServer (index.html for directory URLs)
// but with Content-Type headers that do not depend on the machine:
//
//   - an HTML file gets the charset declared by its <meta charset> or
//     <meta http-equiv="Content-Type"> within its first 1024 bytes, or
//     utf-8 when none is declared;
//   - common extensions (.txt, .csv, .png, ...) get a fixed type instead of
//     one from the system MIME tables;
//   - a directory URL without index.html answers 404 instead of a listing;
//   - in an .xml file (a sitemap), {{base}} is replaced by the scheme and host the request
//     came to ("http://127.0.0.1:41234"), since a sitemap lists absolute URLs and the
//     server's port is known only when it runs.
func FileServer(dir string) http.Handler {
	root := http.Dir(dir)
	return &fileServer{root: root, files: http.FileServer(root)}
}

type fileServer struct {
	root  http.Dir
	files http.Handler
}

var staticTypes = map[string]string{
	".txt":  "text/plain; charset=utf-8",
	".csv":  "text/csv; charset=utf-8",
	".css":  "text/css; charset=utf-8",
	".js":   "text/javascript; charset=utf-8",
	".json": "application/json",
	".xml":  "application/xml",
	".png":  "image/png",
	".gif":  "image/gif",
	".jpg":  "image/jpeg",
	".svg":  "image/svg+xml",
	".pdf":  "application/pdf",
}

func (f *fileServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	name := path.Clean("/" + r.URL.Path)
	if strings.HasSuffix(r.URL.Path, "/") {
		name = path.Join(name, "index.html")
		if !f.exists(name) {
			http.NotFound(w, r)
			return
		}
	}
	switch ext := strings.ToLower(path.Ext(name)); ext {
	case ".html", ".htm":
		if cs, ok := f.charset(name); ok {
			w.Header().Set("Content-Type", "text/html; charset="+cs)
		}
	case ".xml":
		if f.serveTemplate(w, r, name) {
			return
		}
		fallthrough
	default:
		if t, ok := staticTypes[ext]; ok {
			w.Header().Set("Content-Type", t)
		}
	}
	f.files.ServeHTTP(w, r)
}

// serveTemplate serves an .xml file that holds {{base}} with it replaced, and reports
// whether it did; other files are served as they are.
func (f *fileServer) serveTemplate(w http.ResponseWriter, r *http.Request, name string) bool {
	file, err := f.root.Open(name)
	if err != nil {
		return false
	}
	defer file.Close()
	body, err := io.ReadAll(io.LimitReader(file, 1<<20))
	if err != nil || !strings.Contains(string(body), "{{base}}") {
		return false
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	w.Header().Set("Content-Type", staticTypes[".xml"])
	io.WriteString(w, strings.ReplaceAll(string(body), "{{base}}", scheme+"://"+r.Host))
	return true
}

func (f *fileServer) exists(name string) bool {
	file, err := f.root.Open(name)
	if err != nil {
		return false
	}
	defer file.Close()
	st, err := file.Stat()
	return err == nil && !st.IsDir()
}

var metaCharset = regexp.MustCompile(`(?is)<meta\b[^>]*?charset\s*=\s*["']?\s*([a-z0-9_.:-]+)`)

// charset returns the charset an HTML file declares (utf-8 if none), and
// false if the file cannot be read.
func (f *fileServer) charset(name string) (string, bool) {
	file, err := f.root.Open(name)
	if err != nil {
		return "", false
	}
	defer file.Close()
	head := make([]byte, 1024)
	n, err := io.ReadFull(file, head)
	if err != nil && err != io.ErrUnexpectedEOF && err != io.EOF {
		return "", false
	}
	if m := metaCharset.FindSubmatch(head[:n]); m != nil {
		return strings.ToLower(string(m[1])), true
	}
	return "utf-8", true
}
