package report

import (
	"bufio"
	"encoding/xml"
	"fmt"
	"io"
	"strings"
)

// The JUnit XML file a CI system shows as test results: a test suite per category of
// finding (see Categories), a failed test case per finding listed (its text the finding's,
// its body the referrers), one more for those left out by Options.Limit, and one passed
// test case for a category without findings.

type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name     string      `xml:"name,attr"`
	Tests    int         `xml:"tests,attr"`
	Failures int         `xml:"failures,attr"`
	Cases    []junitCase `xml:"testcase"`
}

type junitCase struct {
	Classname string        `xml:"classname,attr"`
	Name      string        `xml:"name,attr"`
	Failure   *junitFailure `xml:"failure,omitempty"`
}

type junitFailure struct {
	Type    string `xml:"type,attr"`
	Message string `xml:"message,attr"`
	Text    string `xml:",chardata"`
}

// WriteJUnit writes the findings of a report of the database at dbPath as JUnit XML.
func WriteJUnit(w io.Writer, r *Report, dbPath string) error {
	d := layout(r, dbPath)
	doc := junitSuites{Name: "crawl report " + dbPath}
	for _, c := range categories {
		suite := junitSuite{Name: c.name}
		class := "crawl." + c.name
		for _, s := range d.sections {
			if s.category != c.name {
				continue
			}
			for _, it := range s.items {
				suite.Cases = append(suite.Cases, junitCase{Classname: class, Name: oneLine(it.text),
					Failure: &junitFailure{Type: c.name, Message: s.title, Text: strings.Join(it.sub, "\n")}})
			}
			if more := s.total - s.shown; more > 0 && s.none == "" {
				suite.Cases = append(suite.Cases, junitCase{Classname: class, Name: fmt.Sprintf("%s: %d more", s.title, more),
					Failure: &junitFailure{Type: c.name, Message: fmt.Sprintf("%d more not listed (crawl report --limit)", more)}})
			}
		}
		suite.Failures = len(suite.Cases)
		if len(suite.Cases) == 0 {
			suite.Cases = []junitCase{{Classname: class, Name: "no " + c.doc}}
		}
		suite.Tests = len(suite.Cases)
		doc.Tests += suite.Tests
		doc.Failures += suite.Failures
		doc.Suites = append(doc.Suites, suite)
	}
	b := bufio.NewWriter(w)
	b.WriteString(xml.Header)
	enc := xml.NewEncoder(b)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return err
	}
	b.WriteString("\n")
	return b.Flush()
}
