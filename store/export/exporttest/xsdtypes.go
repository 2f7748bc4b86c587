package exporttest

import (
	"encoding/xml"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

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
