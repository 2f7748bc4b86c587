// Package export writes a crawl's link graph in formats that graph tools read: CSV and TSV
// (optionally with neo4j-admin import headers), JSON Lines, GraphML, GEXF and Graphviz DOT.
//
// # Attributes
//
// A page node has id, url, host (lower case, without port), state, status, content_type,
// bytes, depth, title, fetched_at (RFC 3339 in UTC, empty when not fetched), error,
// truncated (the body was cut at the crawl's size limit), in_degree, out_degree and noindex
// (the page asked not to be indexed), then the page's facts (crawl.PageFacts): description,
// h1, h1_count, canonical, hreflang (tokens), lang, word_count, then response_ms (a double)
// and in_sitemap. status, bytes, truncated, noindex and response_ms exist only for a page
// that got a response (state done), and are missing for every other URL: an empty field in
// csv and tsv, null in jsonl, left out elsewhere. h1_count and word_count exist only for a
// page with facts; in_sitemap only for a URL marked so, or on a site whose sitemaps the crawl
// read (when the Source is a HostSource). The error of a done page is a note of what its
// parse lost (crawl.Node.PartialParse). A page edge has source, target, kind, rel,
// nofollow, anchor and count. At the host and domain levels a node has id, host or domain, pages, one
// pages_<state> count per state (pages_robots_blocked for robots-blocked), in_degree and
// out_degree (distinct linked groups), and an edge has source, target, weight (the sum of
// the folded page edges' Counts) and page_edges (how many page edges were folded). Group
// ids are numbered from 1 in the order the groups' first pages appear.
//
// # Formats
//
//   - csv, tsv: two files, nodes and edges, each with a header row. csv fields are quoted
//     as RFC 4180 requires; tsv fields are never quoted, and a backslash, tab, line feed or
//     carriage return in them is written \\, \t, \n or \r (with neo4j headers, tsv is quoted
//     like csv, as neo4j-admin reads it). Every attribute is present. Neo4j headers put the
//     node ids in an ID space per level (id:ID(Page), Host, Domain), type rel as string[]
//     (tokens separated by ';') and label URLs out of scope External.
//   - jsonl: one object per line, {"type":"node",...} for every node, then
//     {"type":"edge",...}; every attribute is present, numbers and booleans are JSON values.
//   - graphml: GraphML 1.0 with typed <key> declarations and one directed graph; node ids
//     are the ids, as in every other format.
//   - gexf: GEXF 1.2draft (the default, which NetworkX 2 reads) or 1.3, with typed
//     attributes; the node label is the page title, else its URL (the name of a host or
//     domain); the edge weight is its count (weight at the host and domain levels); in 1.3 a
//     page edge's kind is also the GEXF edge kind, so that parallel edges of different kinds
//     stay apart.
//   - dot: a Graphviz digraph that asks for the sfdp layout, with quoted node names (the
//     ids), a label as in GEXF and every attribute as a quoted string, the url as Graphviz's
//     URL (a link in SVG). Graphviz does not lay out large graphs, so Write refuses more than
//     Options.MaxNodes nodes.
//
// In graphml, gexf and dot, missing values, empty strings and unknown timestamps are left out. Strings keep
// every character the format can carry: invalid UTF-8 bytes are dropped everywhere, and
// graphml, gexf and dot also drop the characters XML 1.0 cannot represent or discourages
// (C0 controls other than tab, line feed and carriage return, DEL, C1 controls, U+FFFE and
// U+FFFF). DOT strings use the escString conventions of labels: \\ for a backslash, \" for a
// quote, \n and \r for line breaks.
//
// # Memory
//
// Every encoder streams: nodes and edges are written as the Source yields them and are never
// collected in memory. Write makes two passes over the nodes and two over the edges of the
// Source. The first passes decide which nodes are kept and count the in- and out-degree of
// each kept node in a table indexed by node ID (IDs are dense from 1): two uint32 counters
// and one bit per node, so memory is O(nodes × 8 bytes) and constant in the number of edges.
// The second passes write.
//
// At the host and domain levels pages are grouped by URL host (or registrable domain) and
// edges are folded into one weighted edge per ordered pair of groups. That needs a group
// number per page (4 more bytes per node) and a map of group pairs, which is bounded by the
// number of linked host pairs rather than by the number of pages or links.
package export
