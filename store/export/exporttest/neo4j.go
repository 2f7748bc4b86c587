package exporttest

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// neo4jTypes are the property types of neo4j-admin's import header format; any of them may
// be an array (name:type[]), whose elements are separated by ';' (the default
// --array-delimiter).
var neo4jTypes = map[string]func(string) error{
	"int":     func(v string) error { _, err := strconv.ParseInt(v, 10, 32); return err },
	"long":    func(v string) error { _, err := strconv.ParseInt(v, 10, 64); return err },
	"short":   func(v string) error { _, err := strconv.ParseInt(v, 10, 16); return err },
	"byte":    func(v string) error { _, err := strconv.ParseInt(v, 10, 8); return err },
	"float":   func(v string) error { _, err := strconv.ParseFloat(v, 32); return err },
	"double":  func(v string) error { _, err := strconv.ParseFloat(v, 64); return err },
	"boolean": func(v string) error { return want(v == "true" || v == "false", "true or false") },
	"char":    func(v string) error { return want(len([]rune(v)) == 1, "one character") },
	"string":  func(string) error { return nil },
	"datetime": func(v string) error {
		_, err := time.Parse(time.RFC3339Nano, v)
		return err
	},
	"date": func(v string) error { _, err := time.Parse(time.DateOnly, v); return err },
}

func want(ok bool, what string) error {
	if !ok {
		return fmt.Errorf("want %s", what)
	}
	return nil
}

// neo4jField is one parsed header field.
var neo4jField = regexp.MustCompile(`^([^:]*)(?::(ID|START_ID|END_ID)(?:\(([^()]+)\))?|:(LABEL|TYPE|IGNORE)|:([a-z]+)(\[\])?)?$`)

type neo4jColumn struct {
	name, special, space, typ string
	array                     bool
}

func parseNeo4jHeader(fields []string) ([]neo4jColumn, error) {
	cols := make([]neo4jColumn, len(fields))
	names := map[string]bool{}
	for i, f := range fields {
		m := neo4jField.FindStringSubmatch(f)
		if m == nil {
			return nil, fmt.Errorf("header field %q is not name:type", f)
		}
		c := neo4jColumn{name: m[1], special: m[2] + m[4], space: m[3], typ: m[5], array: m[6] != ""}
		if c.special == "" {
			if c.name == "" {
				return nil, fmt.Errorf("header field %q has no name", f)
			}
			if c.typ == "" {
				c.typ = "string"
			}
			if neo4jTypes[c.typ] == nil {
				return nil, fmt.Errorf("header field %q: unknown type %q", f, c.typ)
			}
		}
		if c.name != "" && c.special != "START_ID" && c.special != "END_ID" {
			if names[c.name] {
				return nil, fmt.Errorf("property %q twice in the header", c.name)
			}
			names[c.name] = true
		}
		cols[i] = c
	}
	return cols, nil
}

// neo4jFile is one file of an import, read by its header.
type neo4jFile struct {
	cols []neo4jColumn
	rows [][]string
}

func readNeo4jFile(data []byte, comma rune) (*neo4jFile, error) {
	recs, err := readRecords(data, comma)
	if err != nil {
		return nil, err
	}
	cols, err := parseNeo4jHeader(recs[0])
	if err != nil {
		return nil, err
	}
	f := &neo4jFile{cols: cols, rows: recs[1:]}
	for i, row := range f.rows {
		for j, c := range cols {
			if err := checkNeo4jValue(c, row[j]); err != nil {
				return nil, fmt.Errorf("row %d %s: %q: %w", i+2, recs[0][j], row[j], err)
			}
		}
	}
	return f, nil
}

func checkNeo4jValue(c neo4jColumn, v string) error {
	switch {
	case v == "" || c.special == "IGNORE":
		if c.special == "ID" || c.special == "START_ID" || c.special == "END_ID" || c.special == "TYPE" {
			return fmt.Errorf("empty")
		}
		return nil
	case c.special == "LABEL":
		for l := range strings.SplitSeq(v, ";") {
			if l == "" {
				return fmt.Errorf("empty label")
			}
		}
		return nil
	case c.special != "":
		return nil
	case c.array:
		for e := range strings.SplitSeq(v, ";") {
			if err := neo4jTypes[c.typ](e); err != nil {
				return err
			}
		}
		return nil
	}
	return neo4jTypes[c.typ](v)
}

// only returns the one column of f with the special type, or an error.
func (f *neo4jFile) only(special string) (int, error) {
	at := -1
	for i, c := range f.cols {
		if c.special == special {
			if at >= 0 {
				return 0, fmt.Errorf("two :%s fields", special)
			}
			at = i
		}
	}
	if at < 0 {
		return 0, fmt.Errorf("no :%s field", special)
	}
	return at, nil
}

// CheckNeo4j checks a nodes file and a relationships file against the header format of
// neo4j-admin database import, as its manual describes it: every header field is name:type
// with a known type (arrays as type[], ';' between elements), :LABEL or :IGNORE; a nodes file
// has one :ID field, optionally in an ID space (id:ID(Space)); a relationships file has one
// :START_ID, one :END_ID and one :TYPE; every value parses as its type; every id is unique in
// its ID space, and every relationship's ends are ids of nodes in the spaces named.
func CheckNeo4j(nodes, edges []byte, comma rune) error {
	return CheckNeo4jImport([][]byte{nodes}, [][]byte{edges}, comma)
}

// CheckNeo4jImport is CheckNeo4j for one import of several nodes and relationships files.
func CheckNeo4jImport(nodeFiles, edgeFiles [][]byte, comma rune) error {
	ids := map[string]map[string]bool{} // by ID space ("" for none)
	for i, data := range nodeFiles {
		f, err := readNeo4jFile(data, comma)
		if err != nil {
			return fmt.Errorf("nodes file %d: %w", i+1, err)
		}
		at, err := f.only("ID")
		if err != nil {
			return fmt.Errorf("nodes file %d: %w", i+1, err)
		}
		for _, c := range f.cols {
			if c.special == "START_ID" || c.special == "END_ID" || c.special == "TYPE" {
				return fmt.Errorf("nodes file %d: relationship field :%s", i+1, c.special)
			}
		}
		space := f.cols[at].space
		if ids[space] == nil {
			ids[space] = map[string]bool{}
		}
		for _, row := range f.rows {
			if ids[space][row[at]] {
				return fmt.Errorf("nodes file %d: id %s twice in ID space %q", i+1, row[at], space)
			}
			ids[space][row[at]] = true
		}
	}
	for i, data := range edgeFiles {
		f, err := readNeo4jFile(data, comma)
		if err != nil {
			return fmt.Errorf("relationships file %d: %w", i+1, err)
		}
		var ends [2]int
		for j, special := range []string{"START_ID", "END_ID"} {
			if ends[j], err = f.only(special); err != nil {
				return fmt.Errorf("relationships file %d: %w", i+1, err)
			}
			if ids[f.cols[ends[j]].space] == nil {
				return fmt.Errorf("relationships file %d: no nodes in ID space %q", i+1, f.cols[ends[j]].space)
			}
		}
		if _, err := f.only("TYPE"); err != nil {
			return fmt.Errorf("relationships file %d: %w", i+1, err)
		}
		for r, row := range f.rows {
			for _, at := range ends {
				if !ids[f.cols[at].space][row[at]] {
					return fmt.Errorf("relationships file %d row %d: no node %s in ID space %q", i+1, r+2, row[at], f.cols[at].space)
				}
			}
		}
	}
	return nil
}
