package glomo

import (
	"errors"
	"fmt"
	"strings"
)

// hostSource is a parsed CSP host-source or scheme-source expression.
type hostSource struct {
	scheme string // lowercased, without ':'; empty when not given
	host   string // lowercased; "*" or "*.suffix" for wildcards; empty for a scheme-source
	port   string // digits or "*"; empty when not given
	path   string // as written; empty when not given
}

// parseSourceExpression parses a source expression as a policy may carry it.
// It reports false for keywords, nonces, hashes and anything that is not a
// scheme-source or host-source.
func parseSourceExpression(s string) (hostSource, bool) {
	if s == "" || s[0] == '\'' {
		return hostSource{}, false
	}
	var src hostSource
	rest := s
	if i := strings.Index(rest, "://"); i >= 0 {
		if !validScheme(rest[:i]) {
			return hostSource{}, false
		}
		src.scheme = strings.ToLower(rest[:i])
		rest = rest[i+3:]
	} else if strings.HasSuffix(rest, ":") && !strings.ContainsAny(rest, "/.") {
		if !validScheme(rest[:len(rest)-1]) {
			return hostSource{}, false
		}
		src.scheme = strings.ToLower(rest[:len(rest)-1])
		return src, true
	}
	if i := strings.IndexByte(rest, '/'); i >= 0 {
		src.path = rest[i:]
		rest = rest[:i]
	}
	if i := strings.LastIndexByte(rest, ':'); i >= 0 {
		src.port = rest[i+1:]
		rest = rest[:i]
		if !validPort(src.port) {
			return hostSource{}, false
		}
	}
	if !validHost(rest) {
		return hostSource{}, false
	}
	src.host = strings.ToLower(rest)
	return src, true
}

func validScheme(s string) bool {
	if s == "" || !isAlpha(s[0]) {
		return false
	}
	for i := 1; i < len(s); i++ {
		c := s[i]
		if !isAlpha(c) && !isDigit(c) && c != '+' && c != '-' && c != '.' {
			return false
		}
	}
	return true
}

func validPort(s string) bool {
	if s == "*" {
		return true
	}
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return true
}

// validHost checks CSP's host-part: "*" / ["*."] 1*host-char *("." 1*host-char).
func validHost(s string) bool {
	if s == "*" {
		return true
	}
	s = strings.TrimPrefix(s, "*.")
	if s == "" {
		return false
	}
	for _, label := range strings.Split(s, ".") {
		if label == "" {
			return false
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			if !isAlpha(c) && !isDigit(c) && c != '-' {
				return false
			}
		}
	}
	return true
}

func isAlpha(c byte) bool { return c|0x20 >= 'a' && c|0x20 <= 'z' }
func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// defaultPort returns the port a scheme uses when a URL names none.
func defaultPort(scheme string) string {
	switch scheme {
	case "https", "wss":
		return "443"
	case "http", "ws":
		return "80"
	}
	return ""
}

// covers reports whether a source expression e, as found in a policy,
// already allows every URL that the source t allows, so t need not be added.
// It errs on the side of "no": a missed cover only costs a redundant source.
func covers(e string, t hostSource) bool {
	if e == "*" {
		return t.scheme == "http" || t.scheme == "https"
	}
	es, ok := parseSourceExpression(e)
	if !ok {
		return false
	}
	if !schemeCovers(es.scheme, t.scheme) {
		return false
	}
	if es.host == "" { // scheme-source
		return true
	}
	if !hostCovers(es.host, t.host) {
		return false
	}
	if es.port != "*" {
		ep, tp := es.port, t.port
		if ep == "" {
			// The default port of the URL's scheme, so http://host covers
			// https://host:443 as it covers http://host:80.
			ep = defaultPort(t.scheme)
		}
		if tp == "" {
			tp = defaultPort(t.scheme)
		}
		if ep != tp {
			return false
		}
	}
	switch {
	case es.path == "" || es.path == "/":
		return true
	case strings.HasSuffix(es.path, "/"):
		return strings.HasPrefix(t.path, es.path)
	default:
		return t.path == es.path
	}
}

// schemeCovers applies CSP's scheme matching, including the upgrade from
// http to https. An empty scheme in the policy matches the page's scheme,
// which for a page that loads Glomo is http or https: both allow https.
func schemeCovers(es, ts string) bool {
	switch {
	case es == "":
		return ts == "https"
	case es == ts:
		return true
	case es == "http" && ts == "https", es == "ws" && ts == "wss":
		return true
	}
	return false
}

// hostCovers reports whether the policy's host pattern eh covers every host
// the target pattern th names.
func hostCovers(eh, th string) bool {
	switch {
	case eh == "*":
		return true
	case strings.HasPrefix(eh, "*."):
		// *.glomopay.com covers a.glomopay.com and *.a.glomopay.com, and
		// *.glomopay.com itself, but not the apex glomopay.com.
		return strings.HasSuffix(th, eh[1:])
	default:
		return eh == th
	}
}

// cspKeywords are the CSP keywords that must be single-quoted; written bare
// they would be read as host names.
var cspKeywords = []string{
	"self", "none", "unsafe-inline", "unsafe-eval", "strict-dynamic", "unsafe-hashes",
	"report-sample", "wasm-unsafe-eval", "unsafe-allow-redirects", "inline-speculation-rules",
}

// ErrInvalidSource is returned (wrapped) for a source option that is not a
// single, specific host-source.
var ErrInvalidSource = errors.New("glomo: invalid CSP source")

// validateSource checks a source that an option asks to merge into
// policies: one host-source such as https://checkout.example.com or
// https://*.example.com:8443, nothing that could corrupt a header or widen
// a policy to every host.
func validateSource(s string) (hostSource, error) {
	if s == "" {
		return hostSource{}, fmt.Errorf("%w: empty source", ErrInvalidSource)
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte(";,'\"%\\", c) >= 0 {
			return hostSource{}, fmt.Errorf("%w %q: whitespace, control, non-ASCII characters and ; , ' \" %% \\ are not allowed", ErrInvalidSource, s)
		}
	}
	for _, k := range cspKeywords {
		if strings.EqualFold(s, k) {
			return hostSource{}, fmt.Errorf("%w %q: a bare keyword is read as a host name; only host sources can be merged", ErrInvalidSource, s)
		}
	}
	src, ok := parseSourceExpression(s)
	if !ok {
		return hostSource{}, fmt.Errorf("%w %q: not a host-source such as https://host.example", ErrInvalidSource, s)
	}
	if src.host == "" || src.host == "*" {
		return hostSource{}, fmt.Errorf("%w %q: would allow every host", ErrInvalidSource, s)
	}
	if src.port != "" && src.port != "*" && (len(src.port) > 5 || atoiPort(src.port) > 65535) {
		return hostSource{}, fmt.Errorf("%w %q: port out of range", ErrInvalidSource, s)
	}
	if src.scheme == "" {
		return hostSource{}, fmt.Errorf("%w %q: name the scheme, as in https://%s", ErrInvalidSource, s, s)
	}
	return src, nil
}

// atoiPort converts a port of at most five digits.
func atoiPort(digits string) int {
	n := 0
	for i := 0; i < len(digits); i++ {
		n = n*10 + int(digits[i]-'0')
	}
	return n
}
