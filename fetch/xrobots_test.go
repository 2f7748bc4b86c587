package fetch

import (
	"net/http"
	"testing"
)

func TestXRobotsTag(t *testing.T) {
	tests := []struct {
		name   string
		values []string
		want   Directives
	}{
		{"none sent", nil, Directives{}},
		{"nofollow", []string{"nofollow"}, Directives{NoFollow: true}},
		{"noindex", []string{"noindex"}, Directives{NoIndex: true}},
		{"both, mixed case", []string{"NoIndex, NOFOLLOW"}, Directives{NoIndex: true, NoFollow: true}},
		{"none", []string{"none"}, Directives{NoIndex: true, NoFollow: true}},
		{"all", []string{"all"}, Directives{}},
		{"our agent", []string{"crawl: nofollow"}, Directives{NoFollow: true}},
		{"our agent, upper case", []string{"CRAWL: noindex, nofollow"}, Directives{NoIndex: true, NoFollow: true}},
		{"another agent", []string{"googlebot: nofollow"}, Directives{}},
		{"agent sharing a prefix", []string{"crawler: nofollow"}, Directives{}},
		{"several headers", []string{"googlebot: noindex", "nofollow"}, Directives{NoFollow: true}},
		{"unavailable_after is not an agent", []string{"unavailable_after: 25 Jun 2010 15:00:00 PST, nofollow"}, Directives{NoFollow: true}},
		{"max-snippet is not an agent", []string{"max-snippet: 20, noindex"}, Directives{NoIndex: true}},
		{"unknown directives", []string{"noarchive, nosnippet"}, Directives{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := http.Header{}
			for _, v := range tt.values {
				h.Add("X-Robots-Tag", v)
			}
			if got := XRobotsTag(h, "crawl"); got != tt.want {
				t.Errorf("XRobotsTag(%q) = %+v, want %+v", tt.values, got, tt.want)
			}
		})
	}
}
