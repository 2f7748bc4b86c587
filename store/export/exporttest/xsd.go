package exporttest

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
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

// Validate checks the document against the schema.
func (s *Schema) Validate(doc []byte) error {
	root, err := parseXML(doc, "document")
	if err != nil {
		return err
	}
	decl, ok := s.elements[root.name]
	if !ok {
		return fmt.Errorf("root element %v is not declared", root.name)
	}
	return s.element(root, decl, "/"+root.name.Local)
}

// element checks n against the element declaration decl.
func (s *Schema) element(n, decl *xnode, path string) error {
	if typ, ok, err := decl.qname("type"); err != nil {
		return err
	} else if ok {
		if typ.Space == xsdNS {
			return s.simpleElement(n, builtin(typ.Local), path)
		}
		if ct, ok := s.complex[typ]; ok {
			return s.complexElement(n, ct, path)
		}
		if st, ok := s.simple[typ]; ok {
			return s.simpleElement(n, st, path)
		}
		return fmt.Errorf("%s: type %v is not declared", path, typ)
	}
	for _, k := range decl.kids {
		switch k.name.Local {
		case "complexType":
			return s.complexElement(n, k, path)
		case "simpleType":
			return s.simpleElement(n, k, path)
		case "annotation":
		default:
			return fmt.Errorf("%s: xs:%s in an element declaration is not supported", decl.file, k.name.Local)
		}
	}
	return s.simpleElement(n, builtin("anyType"), path)
}

// builtin returns a synthetic simple type node for a built-in XSD type.
func builtin(local string) *xnode {
	return &xnode{name: xml.Name{Space: xsdNS, Local: "builtin"}, text: local}
}

func (s *Schema) simpleElement(n, typ *xnode, path string) error {
	if len(n.kids) > 0 {
		return fmt.Errorf("%s: element content in a simple-typed element", path)
	}
	if err := s.attributes(n, nil, path); err != nil {
		return err
	}
	if typ.text == "anyType" && typ.name.Local == "builtin" {
		return nil
	}
	if err := s.simpleValue(n.text, typ); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

func (s *Schema) complexElement(n, ct *xnode, path string) error {
	var particle *xnode
	var attrs []*xnode
	for _, k := range ct.kids {
		switch k.name.Local {
		case "sequence", "choice":
			if particle != nil {
				return fmt.Errorf("%s: two content models", ct.file)
			}
			particle = k
		case "attribute", "attributeGroup":
			attrs = append(attrs, k)
		case "annotation":
		default:
			return fmt.Errorf("%s: xs:%s in a complex type is not supported", ct.file, k.name.Local)
		}
	}
	if v, _ := ct.attr("mixed"); v == "true" {
		return fmt.Errorf("%s: mixed content is not supported", ct.file)
	}
	if strings.TrimSpace(n.text) != "" {
		return fmt.Errorf("%s: text %q in element-only content", path, strings.TrimSpace(n.text))
	}
	if err := s.attributes(n, attrs, path); err != nil {
		return err
	}
	if particle == nil {
		if len(n.kids) > 0 {
			return fmt.Errorf("%s: %v not allowed in empty content", path, n.kids[0].name)
		}
		return nil
	}
	ends, err := s.match(particle, n.kids, 0)
	if err != nil {
		return err
	}
	if !slices.Contains(ends, len(n.kids)) {
		return fmt.Errorf("%s: children %s do not match the content model", path, childNames(n.kids))
	}
	for i, k := range n.kids {
		decl, err := s.findDecl(particle, k.name)
		if err != nil {
			return err
		}
		if err := s.element(k, decl, fmt.Sprintf("%s/%s[%d]", path, k.name.Local, i+1)); err != nil {
			return err
		}
	}
	return nil
}

func childNames(kids []*xnode) string {
	names := make([]string, len(kids))
	for i, k := range kids {
		names[i] = k.name.Local
	}
	if len(names) > 8 {
		names = append(names[:8], "...")
	}
	return "[" + strings.Join(names, " ") + "]"
}

// occurs returns a particle's minOccurs and maxOccurs (-1 for unbounded).
func occurs(p *xnode) (int, int, error) {
	lo, hi := 1, 1
	if v, ok := p.attr("minOccurs"); ok {
		n, err := strconv.Atoi(v)
		if err != nil {
			return 0, 0, fmt.Errorf("%s: minOccurs %q", p.file, v)
		}
		lo = n
	}
	if v, ok := p.attr("maxOccurs"); ok {
		if v == "unbounded" {
			hi = -1
		} else {
			n, err := strconv.Atoi(v)
			if err != nil {
				return 0, 0, fmt.Errorf("%s: maxOccurs %q", p.file, v)
			}
			hi = n
		}
	}
	return lo, hi, nil
}

// elementName is the name an element particle matches, and its declaration.
func (s *Schema) elementName(p *xnode) (xml.Name, *xnode, error) {
	if ref, ok, err := p.qname("ref"); err != nil {
		return xml.Name{}, nil, err
	} else if ok {
		decl, found := s.elements[ref]
		if !found {
			return xml.Name{}, nil, fmt.Errorf("%s: element %v is not declared", p.file, ref)
		}
		return ref, decl, nil
	}
	name, ok := p.attr("name")
	if !ok {
		return xml.Name{}, nil, fmt.Errorf("%s: element without name or ref", p.file)
	}
	return xml.Name{Space: p.tns, Local: name}, p, nil
}

// match returns every position of kids at which particle p, started at start, can end.
func (s *Schema) match(p *xnode, kids []*xnode, start int) ([]int, error) {
	lo, hi, err := occurs(p)
	if err != nil {
		return nil, err
	}
	once := func(at int) ([]int, error) {
		switch p.name.Local {
		case "element":
			name, _, err := s.elementName(p)
			if err != nil {
				return nil, err
			}
			if at < len(kids) && kids[at].name == name {
				return []int{at + 1}, nil
			}
			return nil, nil
		case "sequence":
			cur := []int{at}
			for _, k := range p.kids {
				if k.name.Local == "annotation" {
					continue
				}
				var next []int
				for _, c := range cur {
					e, err := s.match(k, kids, c)
					if err != nil {
						return nil, err
					}
					next = union(next, e)
				}
				cur = next
			}
			return cur, nil
		case "choice":
			var out []int
			for _, k := range p.kids {
				if k.name.Local == "annotation" {
					continue
				}
				e, err := s.match(k, kids, at)
				if err != nil {
					return nil, err
				}
				out = union(out, e)
			}
			return out, nil
		}
		return nil, fmt.Errorf("%s: particle xs:%s is not supported", p.file, p.name.Local)
	}
	var ends []int
	if lo == 0 {
		ends = []int{start}
	}
	cur := []int{start}
	for i := 1; hi < 0 || i <= hi; i++ {
		var next []int
		for _, c := range cur {
			e, err := once(c)
			if err != nil {
				return nil, err
			}
			for _, x := range e {
				if x > c || i <= lo { // an empty match repeated gains nothing
					next = union(next, []int{x})
				}
			}
		}
		if len(next) == 0 {
			break
		}
		if i >= lo {
			ends = union(ends, next)
		}
		cur = next
		if i > len(kids)+lo {
			break
		}
	}
	return ends, nil
}

func union(a, b []int) []int {
	for _, x := range b {
		if !slices.Contains(a, x) {
			a = append(a, x)
		}
	}
	return a
}

// findDecl finds the declaration of the element named name in particle p.
func (s *Schema) findDecl(p *xnode, name xml.Name) (*xnode, error) {
	if p.name.Local == "element" {
		n, decl, err := s.elementName(p)
		if err != nil || n != name {
			return nil, err
		}
		return decl, nil
	}
	for _, k := range p.kids {
		if k.name.Local == "annotation" {
			continue
		}
		decl, err := s.findDecl(k, name)
		if err != nil || decl != nil {
			return decl, err
		}
	}
	if p.name.Local == "sequence" || p.name.Local == "choice" {
		return nil, nil
	}
	return nil, fmt.Errorf("%s: %v not found", p.file, name)
}

// attributes checks n's attributes against the attribute uses in decls (xs:attribute and
// xs:attributeGroup references).
func (s *Schema) attributes(n *xnode, decls []*xnode, path string) error {
	uses := map[string]*xnode{}
	var collect func(ds []*xnode) error
	collect = func(ds []*xnode) error {
		for _, d := range ds {
			switch d.name.Local {
			case "attribute":
				name, ok := d.attr("name")
				if !ok {
					return fmt.Errorf("%s: attribute without a name is not supported", d.file)
				}
				uses[name] = d
			case "attributeGroup":
				ref, ok, err := d.qname("ref")
				if err != nil || !ok {
					return fmt.Errorf("%s: attribute group without ref (%v)", d.file, err)
				}
				g, found := s.attrGroups[ref]
				if !found {
					return fmt.Errorf("%s: attribute group %v is not declared", d.file, ref)
				}
				if err := collect(g.kids); err != nil {
					return err
				}
			case "annotation":
			default:
				return fmt.Errorf("%s: xs:%s among attributes is not supported", d.file, d.name.Local)
			}
		}
		return nil
	}
	if err := collect(decls); err != nil {
		return err
	}
	seen := map[string]bool{}
	for _, a := range n.attrs {
		switch {
		case a.Name.Space == "xmlns", a.Name.Space == "" && a.Name.Local == "xmlns":
			continue
		case a.Name.Space == "http://www.w3.org/2001/XMLSchema-instance":
			continue
		case a.Name.Space != "":
			return fmt.Errorf("%s: attribute %v is not declared", path, a.Name)
		}
		d, ok := uses[a.Name.Local]
		if !ok {
			return fmt.Errorf("%s: attribute %s is not declared", path, a.Name.Local)
		}
		seen[a.Name.Local] = true
		typ, err := s.attrType(d)
		if err != nil {
			return err
		}
		if err := s.simpleValue(a.Value, typ); err != nil {
			return fmt.Errorf("%s/@%s: %w", path, a.Name.Local, err)
		}
	}
	for name, d := range uses {
		if use, _ := d.attr("use"); use == "required" && !seen[name] {
			return fmt.Errorf("%s: required attribute %s is missing", path, name)
		}
	}
	return nil
}

// attrType is the simple type of an attribute declaration.
func (s *Schema) attrType(d *xnode) (*xnode, error) {
	if typ, ok, err := d.qname("type"); err != nil {
		return nil, err
	} else if ok {
		return s.simpleType(typ, d.file)
	}
	for _, k := range d.kids {
		if k.name.Local == "simpleType" {
			return k, nil
		}
	}
	return builtin("anySimpleType"), nil
}

func (s *Schema) simpleType(name xml.Name, file string) (*xnode, error) {
	if name.Space == xsdNS {
		return builtin(name.Local), nil
	}
	if st, ok := s.simple[name]; ok {
		return st, nil
	}
	return nil, fmt.Errorf("%s: simple type %v is not declared", file, name)
}

var (
	integerRE = regexp.MustCompile(`^[+-]?[0-9]+$`)
	decimalRE = regexp.MustCompile(`^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?$|^(-?INF|NaN)$`)
	dateRE    = regexp.MustCompile(`^-?[0-9]{4,}-[0-9]{2}-[0-9]{2}(Z|[+-][0-9]{2}:[0-9]{2})?$`)
	dateTmRE  = regexp.MustCompile(`^-?[0-9]{4,}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})?$`)
)

// collapse is XSD's whiteSpace="collapse".
func collapse(v string) string { return strings.Join(strings.Fields(v), " ") }

// checkBuiltin checks v against a built-in type.
func checkBuiltin(local, v string) error {
	switch local {
	case "string", "anySimpleType", "anyType":
		return nil
	case "token", "anyURI":
		return nil // any string is a token once collapsed, and anyURI takes nearly any
	}
	v = collapse(v)
	ok := true
	switch local {
	case "integer":
		ok = integerRE.MatchString(v)
	case "nonNegativeInteger":
		ok = integerRE.MatchString(v) && (!strings.HasPrefix(v, "-") || strings.Trim(v, "-0") == "")
	case "long":
		_, err := strconv.ParseInt(strings.TrimPrefix(v, "+"), 10, 64)
		ok = err == nil
	case "float", "double":
		ok = decimalRE.MatchString(v)
	case "boolean":
		ok = v == "true" || v == "false" || v == "1" || v == "0"
	case "date":
		ok = dateRE.MatchString(v)
	case "dateTime":
		ok = dateTmRE.MatchString(v)
	default:
		return fmt.Errorf("built-in type xs:%s is not supported", local)
	}
	if !ok {
		return fmt.Errorf("%q is not a valid xs:%s", v, local)
	}
	return nil
}

// simpleValue checks v against a simple type: a built-in, a restriction or a union.
func (s *Schema) simpleValue(v string, typ *xnode) error {
	if typ.name.Local == "builtin" {
		return checkBuiltin(typ.text, v)
	}
	for _, k := range typ.kids {
		switch k.name.Local {
		case "annotation":
		case "restriction":
			return s.restriction(v, k)
		case "union":
			members, _ := k.attr("memberTypes")
			var errs []string
			for _, m := range strings.Fields(members) {
				probe := &xnode{attrs: []xml.Attr{{Name: xml.Name{Local: "type"}, Value: m}}, prefixes: k.prefixes, file: k.file}
				name, _, err := probe.qname("type")
				if err != nil {
					return err
				}
				mt, err := s.simpleType(name, k.file)
				if err != nil {
					return err
				}
				if err := s.simpleValue(v, mt); err == nil {
					return nil
				} else {
					errs = append(errs, err.Error())
				}
			}
			return fmt.Errorf("%q matches no member of the union (%s)", v, strings.Join(errs, "; "))
		default:
			return fmt.Errorf("%s: xs:%s in a simple type is not supported", k.file, k.name.Local)
		}
	}
	return fmt.Errorf("%s: empty simple type", typ.file)
}

func (s *Schema) restriction(v string, r *xnode) error {
	baseName, ok, err := r.qname("base")
	if err != nil || !ok {
		return fmt.Errorf("%s: restriction without base (%v)", r.file, err)
	}
	base, err := s.simpleType(baseName, r.file)
	if err != nil {
		return err
	}
	if err := s.simpleValue(v, base); err != nil {
		return err
	}
	if baseName.Space == xsdNS && baseName.Local != "string" {
		v = collapse(v)
	}
	var enum []string
	for _, f := range r.kids {
		fv, _ := f.attr("value")
		switch f.name.Local {
		case "enumeration":
			enum = append(enum, fv)
		case "minInclusive", "maxInclusive":
			x, err1 := strconv.ParseFloat(v, 64)
			bound, err2 := strconv.ParseFloat(fv, 64)
			if err1 != nil || err2 != nil || math.IsNaN(x) {
				return fmt.Errorf("%q is not comparable with %s %s", v, f.name.Local, fv)
			}
			if f.name.Local == "minInclusive" && x < bound || f.name.Local == "maxInclusive" && x > bound {
				return fmt.Errorf("%q is out of range (%s %s)", v, f.name.Local, fv)
			}
		case "annotation":
		default:
			return fmt.Errorf("%s: facet xs:%s is not supported", r.file, f.name.Local)
		}
	}
	if enum != nil && !slices.Contains(enum, v) {
		return fmt.Errorf("%q is not one of %v", v, enum)
	}
	return nil
}
