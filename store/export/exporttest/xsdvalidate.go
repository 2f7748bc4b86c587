package exporttest

import (
	"encoding/xml"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

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
