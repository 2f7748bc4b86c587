package parse

import "strings"

// declaresUTF8 reports whether contentType is a plain "type/subtype; charset=utf-8" (any case,
// spaces around the ';', the value quoted or not), the header most servers send. For such a
// header charset.DetermineEncoding settles on UTF-8 after parsing it into a map; this reads it
// without allocating. Any other form, including other ways of declaring UTF-8, returns false
// and is left to DetermineEncoding.
func declaresUTF8(contentType string) bool {
	s := contentType
	for _, part := range [...]bool{true, false} { // type, then subtype
		n := 0
		for n < len(s) && isMediaTypeChar(s[n]) {
			n++
		}
		if n == 0 {
			return false
		}
		s = s[n:]
		if part {
			if !strings.HasPrefix(s, "/") {
				return false
			}
			s = s[1:]
		}
	}
	s = strings.TrimLeft(s, " \t")
	if !strings.HasPrefix(s, ";") {
		return false
	}
	s = strings.TrimLeft(s[1:], " \t")
	const param = "charset="
	if len(s) < len(param) || !strings.EqualFold(s[:len(param)], param) {
		return false
	}
	s = strings.TrimRight(s[len(param):], " \t")
	if len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' {
		s = s[1 : len(s)-1]
	}
	return strings.EqualFold(s, "utf-8")
}

func isMediaTypeChar(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '.' || c == '+' || c == '-'
}
