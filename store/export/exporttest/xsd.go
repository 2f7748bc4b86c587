package exporttest

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// An XML Schema (XSD 1.0) validator for the constructs the GEXF schemas use, so that the
// GEXF exports are checked against the published schemas on any machine, with no tool but
// Go. It reads xs:schema with include and import, global and local elements (name, type,
// ref, inline types, minOccurs, maxOccurs), complex types with sequence and choice content
// and attributes (also through attribute groups), simple types by restriction (enumeration,
// minInclusive, maxInclusive) or union of the built-in types the schemas name. Anything else
// in a schema is an error, never ignored, so that a document is never passed by a construct
// this validator does not know. Instance documents are checked for the element structure,
// required and undeclared attributes, and every attribute value and simple element content
// against its type; xsi: attributes and namespace declarations are allowed anywhere.
// Loading is here, validation in xsdvalidate.go, simple types in xsdtypes.go.

const xsdNS = "http://www.w3.org/2001/XMLSchema"

// xnode is a parsed XML element with the namespace prefixes in scope at its schema's root.
type xnode struct {
	name     xml.Name
	attrs    []xml.Attr
	kids     []*xnode
	text     string
	prefixes map[string]string // of the schema document, for QName values ("" is the default)
	tns      string            // the schema document's target namespace
	file     string
}

func (n *xnode) attr(local string) (string, bool) {
	for _, a := range n.attrs {
		if a.Name.Space == "" && a.Name.Local == local {
			return a.Value, true
		}
	}
	return "", false
}

// qname resolves a QName-valued attribute of a schema element.
func (n *xnode) qname(local string) (xml.Name, bool, error) {
	v, ok := n.attr(local)
	if !ok {
		return xml.Name{}, false, nil
	}
	prefix, name, found := strings.Cut(v, ":")
	if !found {
		prefix, name = "", v
	}
	ns, known := n.prefixes[prefix]
	if !known && prefix != "" {
		return xml.Name{}, false, fmt.Errorf("%s: unknown prefix in %q", n.file, v)
	}
	return xml.Name{Space: ns, Local: name}, true, nil
}

// parseXML reads a document into xnodes.
func parseXML(data []byte, file string) (*xnode, error) {
	d := xml.NewDecoder(bytes.NewReader(data))
	var stack []*xnode
	var root *xnode
	for {
		tok, err := d.Token()
		if err != nil {
			if root != nil && len(stack) == 0 && err == io.EOF {
				return root, nil
			}
			return nil, fmt.Errorf("%s: %w", file, err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			n := &xnode{name: t.Name, attrs: t.Attr, file: file}
			if len(stack) > 0 {
				p := stack[len(stack)-1]
				p.kids = append(p.kids, n)
			} else if root != nil {
				return nil, fmt.Errorf("%s: two root elements", file)
			} else {
				root = n
			}
			stack = append(stack, n)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		case xml.CharData:
			if len(stack) > 0 {
				stack[len(stack)-1].text += string(t)
			}
		}
	}
}

// Schema is a loaded XML schema.
type Schema struct {
	elements   map[xml.Name]*xnode
	complex    map[xml.Name]*xnode
	simple     map[xml.Name]*xnode
	attrGroups map[xml.Name]*xnode
	loaded     map[string]bool
}

// LoadSchema reads the schema at path and the schemas it includes and imports (paths
// relative to it).
func LoadSchema(path string) (*Schema, error) {
	s := &Schema{elements: map[xml.Name]*xnode{}, complex: map[xml.Name]*xnode{},
		simple: map[xml.Name]*xnode{}, attrGroups: map[xml.Name]*xnode{}, loaded: map[string]bool{}}
	if err := s.load(path, ""); err != nil {
		return nil, err
	}
	return s, nil
}

// load reads one schema document; chameleon is the target namespace an include without
// one of its own takes.
func (s *Schema) load(path, chameleon string) error {
	path = filepath.Clean(path)
	if s.loaded[path] {
		return nil
	}
	s.loaded[path] = true
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	root, err := parseXML(data, path)
	if err != nil {
		return err
	}
	if root.name != (xml.Name{Space: xsdNS, Local: "schema"}) {
		return fmt.Errorf("%s: root %v is not xs:schema", path, root.name)
	}
	prefixes := map[string]string{}
	for _, a := range root.attrs {
		switch {
		case a.Name.Space == "xmlns":
			prefixes[a.Name.Local] = a.Value
		case a.Name.Space == "" && a.Name.Local == "xmlns":
			prefixes[""] = a.Value
		}
	}
	tns, _ := root.attr("targetNamespace")
	if tns == "" {
		tns = chameleon
	}
	if v, _ := root.attr("elementFormDefault"); v != "qualified" && tns != "" {
		return fmt.Errorf("%s: elementFormDefault %q is not supported", path, v)
	}
	var setScope func(n *xnode) error
	setScope = func(n *xnode) error {
		n.prefixes, n.tns = prefixes, tns
		for _, a := range n.attrs {
			if n != root && (a.Name.Space == "xmlns" || a.Name.Space == "" && a.Name.Local == "xmlns") {
				return fmt.Errorf("%s: namespace declarations below xs:schema are not supported", path)
			}
		}
		for _, k := range n.kids {
			if err := setScope(k); err != nil {
				return err
			}
		}
		return nil
	}
	if err := setScope(root); err != nil {
		return err
	}
	dir := filepath.Dir(path)
	for _, k := range root.kids {
		name := xml.Name{Space: tns}
		name.Local, _ = k.attr("name")
		switch k.name.Local {
		case "include":
			loc, _ := k.attr("schemaLocation")
			if err := s.load(filepath.Join(dir, loc), tns); err != nil {
				return err
			}
		case "import":
			loc, _ := k.attr("schemaLocation")
			if err := s.load(filepath.Join(dir, loc), ""); err != nil {
				return err
			}
		case "element":
			s.elements[name] = k
		case "complexType":
			s.complex[name] = k
		case "simpleType":
			s.simple[name] = k
		case "attributeGroup":
			s.attrGroups[name] = k
		case "annotation":
		default:
			return fmt.Errorf("%s: top-level xs:%s is not supported", path, k.name.Local)
		}
	}
	return nil
}
