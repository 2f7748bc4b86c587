package exporttest

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

// ParseDOT reads a dot export of the given level (page, host or domain; "" is page): the
// subset of DOT the encoder writes, a digraph named crawl that asks for the sfdp layout,
// with quoted node names and quoted attribute values. A node's label must be the one label
// describes; it is not kept as an attribute. Graphviz's URL attribute is read as url.
func ParseDOT(data []byte, level string) (*Graph, error) {
	l := &dotLexer{s: string(data)}
	for _, w := range []string{"digraph", "crawl", "{", "graph", "[", "layout", "=", `"sfdp`, ",", "overlap", "=", `"false`, ",", "outputorder", "=", `"edgesfirst`, "]", ";"} {
		if err := l.expect(w); err != nil {
			return nil, err
		}
	}
	g := NewGraph()
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
		m, lbl := map[string]string{}, ""
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
			switch name {
			case "label":
				lbl = v
			case "URL":
				m["url"] = v // Graphviz's name for it
			case "url":
				return nil, fmt.Errorf("node %s: url, not Graphviz's URL", a)
			default:
				m[name] = v
			}
		}
		if err := l.expect(";"); err != nil {
			return nil, err
		}
		if isEdge {
			m["source"], m["target"] = a, b
			g.AddEdge(m)
			continue
		}
		if want := label(level, m); lbl != want {
			return nil, fmt.Errorf("node %s label %q, want %q", a, lbl, want)
		}
		if err := g.AddNode(a, m); err != nil {
			return nil, err
		}
	}
	if tok, err := l.next(); err != nil || tok != "" {
		return nil, fmt.Errorf("trailing %q (%v)", tok, err)
	}
	return g, nil
}
