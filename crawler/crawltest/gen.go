package crawltest

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Page paths. Page 0 is "/"; the others spread over several directory
// levels, some are directory URLs and some carry a query string.
func pagePath(i int) string {
	n := strconv.Itoa(i)
	switch {
	case i == 0:
		return "/"
	case i%10 == 3:
		return "/catalog/item?id=" + n + "&view=full"
	case i%10 == 7:
		return "/guide/c" + n + "/"
	case i%3 == 0:
		return "/p" + n + ".html"
	case i%3 == 1:
		return "/docs/s" + strconv.Itoa(i%7) + "/p" + n + ".html"
	default:
		return fmt.Sprintf("/blog/%d/%02d/p%d.html", 2015+i%10, 1+i%12, i)
	}
}

// parsePage maps a request path and raw query to a page; only the exact
// form produced by pagePath is accepted.
func (s *Site) parsePage(path, rawQuery string) (int, bool) {
	var digits string
	switch {
	case path == "/":
		return 0, rawQuery == ""
	case path == "/catalog/item":
		digits = strings.TrimSuffix(strings.TrimPrefix(rawQuery, "id="), "&view=full")
	case strings.HasPrefix(path, "/guide/c") && strings.HasSuffix(path, "/"):
		digits = path[len("/guide/c") : len(path)-1]
	case strings.HasSuffix(path, ".html"):
		seg := path[strings.LastIndexByte(path, '/')+1:]
		if !strings.HasPrefix(seg, "p") {
			return 0, false
		}
		digits = strings.TrimSuffix(seg[1:], ".html")
	default:
		return 0, false
	}
	n, err := strconv.Atoi(digits)
	if err != nil || n <= 0 || n >= s.cfg.Pages {
		return 0, false
	}
	full := path
	if rawQuery != "" {
		full += "?" + rawQuery
	}
	return n, pagePath(n) == full
}

// redirectPrefix starts the paths that redirect to the page whose path follows.
const redirectPrefix = "/moved"

// brokenPath returns the k-th path of the pool of paths that answer 404.
func (s *Site) brokenPath(k int) string {
	switch k % 3 {
	case 0:
		return "/missing/p" + strconv.Itoa(k) + ".html"
	case 1:
		return "/p" + strconv.Itoa(s.cfg.Pages+k) + ".html"
	default:
		return "/docs/old/removed-" + strconv.Itoa(k) + ".html"
	}
}

var externalHosts = []string{"external.invalid", "www.external.invalid", "partner.invalid", "cdn.partner.invalid"}

// externalURL returns the k-th URL of the pool of off-site URLs.
func externalURL(k int) string {
	scheme := "http"
	if k%2 == 1 {
		scheme = "https"
	}
	host := externalHosts[k%len(externalHosts)]
	if k%5 == 4 {
		return scheme + "://" + host + "/article?id=" + strconv.Itoa(k)
	}
	return scheme + "://" + host + "/ref/" + strconv.Itoa(k) + ".html"
}

// hrefForm is how a link to a site URL is written.
type hrefForm uint8

const (
	formRoot     hrefForm = iota // "/path"
	formRelative                 // "../path" or "path"
	formAbsolute                 // "http://host:port/path"
	formProtocol                 // "//host:port/path"
	formFragment                 // "#frag", to the page itself
)

// spec is the generator's view of one link, independent of the base URL.
type spec struct {
	kind  LinkKind
	host  int    // target host index (site links)
	page  int    // target page, or -1
	path  string // broken path, or the external URL
	form  hrefForm
	dot   bool // prefix a relative href with "./"
	frag  string
	text  string
	rel   string
	quote byte // attribute quote in the markup
	upper bool // upper-case tag and attribute names
}

// PRNG streams, so that link generation never depends on rendering.
const (
	streamLinks uint64 = 0x6c696e6b
	streamText  uint64 = 0x74657874
)

func splitmix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ x>>30) * 0xbf58476d1ce4e5b9
	x = (x ^ x>>27) * 0x94d049bb133111eb
	return x ^ x>>31
}

func (s *Site) rng(h, page int, stream uint64) *rand.Rand {
	a := splitmix(uint64(s.cfg.Seed) ^ splitmix(stream))
	b := splitmix(s.hostSeed[h] ^ splitmix(uint64(page)+stream))
	return rand.New(rand.NewPCG(a, b))
}

// forwardWindow bounds ordinary forward links so that depth grows with the
// page number, giving the graph a range of depths.
const forwardWindow = 16

var fragments = []string{"top", "s1", "s2", "s3", "s4"}

// specs returns the links of page i of host h, in document order.
func (s *Site) specs(h, i int) []spec {
	cfg := &s.cfg
	r := s.rng(h, i, streamLinks)
	n := cfg.MinLinks + r.IntN(cfg.MaxLinks-cfg.MinLinks+1)
	out := make([]spec, 0, n)

	next := i + 1
	if next == cfg.Pages {
		next = 0
	}
	first := spec{kind: LinkPage, host: h, page: next, form: formRoot, text: "Next: " + titleWords(r, 2)}
	if r.IntN(2) == 0 {
		first.form = formRelative
	}
	out = append(out, first)
	if n > 1 {
		out = append(out, spec{kind: LinkPage, host: h, page: 0, form: formRoot, text: "Home"})
	}
	cross := cfg.CrossHostFraction
	broken := cross + cfg.BrokenFraction
	external := broken + cfg.ExternalFraction
	for len(out) < n {
		sp := spec{host: h, page: -1}
		u := r.Float64()
		switch {
		case u < cross:
			sp.kind = LinkCrossHost
			sp.host = r.IntN(len(cfg.Hosts) - 1)
			if sp.host >= h {
				sp.host++
			}
			sp.page = r.IntN(cfg.Pages)
			sp.form = formAbsolute
			if r.IntN(5) == 0 {
				sp.form = formProtocol
			}
		case u < broken:
			sp.kind = LinkBroken
			sp.path = s.brokenPath(r.IntN(max(8, cfg.Pages/10)))
			sp.form = pickForm(r)
		case u < external:
			sp.kind = LinkExternal
			sp.path = externalURL(r.IntN(50))
			sp.form = formAbsolute
		default:
			sp.kind = LinkPage
			v := r.IntN(100)
			switch {
			case v < 5:
				sp.page = i
				sp.form = formFragment
			case v < 55:
				sp.page = r.IntN(i + 1)
			case v < 95:
				sp.page = i + 1 + r.IntN(forwardWindow)
				if sp.page >= cfg.Pages {
					sp.page = r.IntN(cfg.Pages)
				}
			default:
				sp.page = r.IntN(cfg.Pages)
			}
			if sp.form != formFragment {
				sp.form = pickForm(r)
				if cfg.RedirectFraction > 0 && r.Float64() < cfg.RedirectFraction {
					sp.kind = LinkRedirect
				}
			}
		}
		sp.dot = r.IntN(4) == 0
		if sp.form == formFragment || (sp.kind == LinkPage && r.IntN(10) == 0) {
			sp.frag = fragments[r.IntN(len(fragments))]
		}
		sp.text = titleWords(r, 1+r.IntN(4))
		switch x := r.IntN(100); {
		case sp.form == formFragment:
		case sp.kind == LinkExternal && x < 30:
			sp.rel = "noopener"
		case x < 4:
			sp.rel = "nofollow"
		case x == 4:
			sp.rel = "nofollow noopener"
		}
		switch x := r.IntN(100); {
		case x < 8:
			sp.quote = '\''
		case x < 10:
			sp.upper = true
		}
		out = append(out, sp)
	}
	return out
}

func pickForm(r *rand.Rand) hrefForm {
	switch x := r.IntN(100); {
	case x < 40:
		return formRoot
	case x < 80:
		return formRelative
	default:
		return formAbsolute
	}
}

// target returns the path (with query) of a site link.
func (s *Site) target(sp *spec) string {
	switch sp.kind {
	case LinkBroken:
		return sp.path
	case LinkRedirect:
		return redirectPrefix + pagePath(sp.page)
	}
	return pagePath(sp.page)
}

// href returns the attribute value of a link on page i as served with
// the given origins, and the resolved URL without fragment.
func (s *Site) href(sp *spec, i int, origin func(int) string) (href, abs string) {
	if sp.kind == LinkExternal {
		return sp.path, sp.path
	}
	t := s.target(sp)
	abs = origin(sp.host) + t
	switch sp.form {
	case formFragment:
		return "#" + sp.frag, abs
	case formRoot:
		href = t
	case formRelative:
		href = relRef(pagePath(i), t)
		if sp.dot && !strings.HasPrefix(href, ".") {
			href = "./" + href
		}
	case formAbsolute:
		href = abs
	case formProtocol:
		href = abs[strings.Index(abs, "://")+1:]
	}
	if sp.frag != "" {
		href += "#" + sp.frag
	}
	return href, abs
}

// relRef returns a document-relative reference from the page at path from
// to target (both absolute paths, target possibly with a query).
func relRef(from, target string) string {
	if q := strings.IndexByte(from, '?'); q >= 0 {
		from = from[:q]
	}
	query := ""
	if q := strings.IndexByte(target, '?'); q >= 0 {
		target, query = target[:q], target[q:]
	}
	fromDirs := splitDirs(from[:strings.LastIndexByte(from, '/')+1])
	slash := strings.LastIndexByte(target, '/')
	toDirs, file := splitDirs(target[:slash+1]), target[slash+1:]
	c := 0
	for c < len(fromDirs) && c < len(toDirs) && fromDirs[c] == toDirs[c] {
		c++
	}
	var b strings.Builder
	b.WriteString(strings.Repeat("../", len(fromDirs)-c))
	for _, d := range toDirs[c:] {
		b.WriteString(d)
		b.WriteByte('/')
	}
	b.WriteString(file)
	b.WriteString(query)
	if b.Len() == 0 {
		return "./"
	}
	return b.String()
}

func splitDirs(dir string) []string {
	dir = strings.Trim(dir, "/")
	if dir == "" {
		return nil
	}
	return strings.Split(dir, "/")
}

var wordList = strings.Fields(`
about above across action active actual address advance after again agent
almost along already also always amount analysis answer anyone archive area
around article aspect average balance basic become before begin behind below
better between beyond bridge brief budget build business button cable camera
capital carbon careful carry center chapter choice circle clear climate close
coast collect column common compare complete concept connect context control
copper corner county course cover create credit current custom daily debate
decade default define degree deliver design detail device direct distance
document domain double during early easy economy editor effect effort energy
engine entire equal estate event evidence exact example expert factor family
feature field figure filter final finance first focus follow forest format
forward frame future garden general gentle global golden gradual graph ground
growth guide habit handle harbor health heavy history holiday honest hotel
human image impact include index inner input island journal journey kernel
label ladder language later layer leader legacy letter level library light
limit linear little local logic manual market master matter measure medium
member memory method middle minute mirror model modern module moment motion
native nature network normal notice number object office online option orange
origin output packet palace paper parallel partner pattern people period
person planet plastic policy portal power practice present primary process
product profile program public purpose quality quarter question quick radio
random rapid reason record region relay remote report request result review
river robust route sample scale schedule school screen search season second
section select sensor series server service session signal silver simple
single source space special spring stable standard station status storage
stream street strong studio subject summer supply surface system table target
theory thread timber today token topic total track trade travel update useful
valley value vector version vessel visual volume water weekly window winter
wonder worker yellow café naïve résumé über façade jalapeño
`)

func titleWords(r *rand.Rand, n int) string {
	var b strings.Builder
	for k := range n {
		if k > 0 {
			b.WriteByte(' ')
		}
		w := wordList[r.IntN(len(wordList))]
		if k == 0 {
			c, size := utf8.DecodeRuneInString(w)
			b.WriteRune(unicode.ToUpper(c))
			b.WriteString(w[size:])
		} else {
			b.WriteString(w)
		}
	}
	return b.String()
}
