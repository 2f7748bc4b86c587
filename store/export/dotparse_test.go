package export

import (
	"fmt"
	"strings"
	"unicode"
)

// dotLexer splits the DOT subset the encoder writes into tokens. Quoted strings come back
// decoded (\\, \", \n, \r), marked with a leading '"'.
type dotLexer struct {
	s   string
	pos int
}

func (l *dotLexer) next() (string, error) {
	for l.pos < len(l.s) && strings.ContainsRune(" \t\r\n", rune(l.s[l.pos])) {
		l.pos++
	}
	if l.pos >= len(l.s) {
		return "", nil
	}
	s := l.s[l.pos:]
	switch {
	case strings.HasPrefix(s, "->"):
		l.pos += 2
		return "->", nil
	case strings.ContainsRune("{}[]=,;", rune(s[0])):
		l.pos++
		return s[:1], nil
	case s[0] == '"':
		var b strings.Builder
		b.WriteByte('"')
		for i := 1; i < len(s); i++ {
			switch c := s[i]; c {
			case '"':
				l.pos += i + 1
				return b.String(), nil
			case '\n':
				return "", fmt.Errorf("raw line break in a quoted string at %d", l.pos+i)
			case '\\':
				i++
				if i == len(s) {
					return "", fmt.Errorf("unterminated string")
				}
				switch s[i] {
				case '\\', '"':
					b.WriteByte(s[i])
				case 'n':
					b.WriteByte('\n')
				case 'r':
					b.WriteByte('\r')
				default:
					return "", fmt.Errorf("unexpected escape \\%c", s[i])
				}
			default:
				b.WriteByte(c)
			}
		}
		return "", fmt.Errorf("unterminated string at %d", l.pos)
	}
	i := 0
	for i < len(s) && (unicode.IsLetter(rune(s[i])) || unicode.IsDigit(rune(s[i])) || s[i] == '_') {
		i++
	}
	if i == 0 {
		return "", fmt.Errorf("unexpected %q at %d", s[0], l.pos)
	}
	l.pos += i
	return s[:i], nil
}

func (l *dotLexer) expect(want string) error {
	tok, err := l.next()
	if err != nil {
		return err
	}
	if tok != want {
		return fmt.Errorf("got %q, want %q", tok, want)
	}
	return nil
}

// quoted returns the content of a quoted-string token.
func quoted(tok string) (string, error) {
	if !strings.HasPrefix(tok, `"`) {
		return "", fmt.Errorf("want a quoted string, got %q", tok)
	}
	return tok[1:], nil
}

func parseDOT(src string, opt Options) (*graph, error) {
	l := &dotLexer{s: src}
	for _, w := range []string{"digraph", "crawl", "{"} {
		if err := l.expect(w); err != nil {
			return nil, err
		}
	}
	g := newGraph()
	for {
		tok, err := l.next()
		if err != nil {
			return nil, err
		}
		if tok == "}" {
			break
		}
		a, err := quoted(tok)
		if err != nil {
			return nil, err
		}
		tok, err = l.next()
		if err != nil {
			return nil, err
		}
		b, isEdge := "", tok == "->"
		if isEdge {
			if tok, err = l.next(); err != nil {
				return nil, err
			}
			if b, err = quoted(tok); err != nil {
				return nil, err
			}
			if tok, err = l.next(); err != nil {
				return nil, err
			}
		}
		if tok != "[" {
			return nil, fmt.Errorf("got %q, want [", tok)
		}
		m, label := map[string]string{}, ""
		for {
			name, err := l.next()
			if err != nil {
				return nil, err
			}
			if name == "]" {
				break
			}
			if name == "," {
				continue
			}
			if err := l.expect("="); err != nil {
				return nil, err
			}
			tok, err := l.next()
			if err != nil {
				return nil, err
			}
			v, err := quoted(tok)
			if err != nil {
				return nil, err
			}
			if name == "label" {
				label = v
			} else {
				m[name] = v
			}
		}
		if err := l.expect(";"); err != nil {
			return nil, err
		}
		if isEdge {
			m["source"], m["target"] = a, b
			g.addEdge(m)
			continue
		}
		if want := displayLabel(opt, m); label != want {
			return nil, fmt.Errorf("node %s label %q, want %q", a, label, want)
		}
		if err := g.addNode(a, m); err != nil {
			return nil, err
		}
	}
	if tok, err := l.next(); err != nil || tok != "" {
		return nil, fmt.Errorf("trailing %q (%v)", tok, err)
	}
	return g, nil
}
