package glomo

import "strings"

// cspDirective is one effective directive of a parsed policy.
type cspDirective struct {
	name   string   // lowercased
	values []string // as written
	token  int      // index of the ';'-separated token it was read from
}

// cspPolicy is one serialized policy, parsed the way CSP Level 3 parses it,
// keeping the text it came from so that a merge can leave everything it does
// not touch exactly as written.
type cspPolicy struct {
	tokens     []string       // the ';'-separated tokens, as written
	directives []cspDirective // the first directive of each name, in order
}

// parseCSP parses one serialized policy (no commas). Empty and non-ASCII
// tokens are skipped and a repeated directive is ignored, as browsers do.
func parseCSP(policy string) cspPolicy {
	p := cspPolicy{tokens: strings.Split(policy, ";")}
	for i, tok := range p.tokens {
		tok = trimASCIISpace(tok)
		if tok == "" || !isASCII(tok) {
			continue
		}
		fields := splitASCIISpace(tok)
		name := strings.ToLower(fields[0])
		if p.index(name) >= 0 {
			continue
		}
		p.directives = append(p.directives, cspDirective{name: name, values: fields[1:], token: i})
	}
	return p
}

// index returns the position of the directive called name, or -1.
func (p *cspPolicy) index(name string) int {
	for i := range p.directives {
		if p.directives[i].name == name {
			return i
		}
	}
	return -1
}

// get returns the directive called name, or nil.
func (p *cspPolicy) get(name string) *cspDirective {
	if i := p.index(name); i >= 0 {
		return &p.directives[i]
	}
	return nil
}

// governing returns the first directive of a fallback chain that the policy
// has: the one that decides alone for that kind of load.
func (p *cspPolicy) governing(chain ...string) *cspDirective {
	for _, name := range chain {
		if d := p.get(name); d != nil {
			return d
		}
	}
	return nil
}

// chainScriptElem is the fallback chain of <script type="module" src>,
// the load that starts the SDK.
var chainScriptElem = []string{"script-src-elem", "script-src", "default-src"}

// hasKeyword reports whether values holds the quoted keyword kw, in any case.
func hasKeyword(values []string, kw string) bool {
	for _, v := range values {
		if strings.EqualFold(v, kw) {
			return true
		}
	}
	return false
}

// hasNonceOrHash reports whether values hold a nonce or hash source, which
// make browsers ignore 'unsafe-inline'.
func hasNonceOrHash(values []string) bool {
	for _, v := range values {
		l := strings.ToLower(v)
		if strings.HasPrefix(l, "'nonce-") || strings.HasPrefix(l, "'sha256-") ||
			strings.HasPrefix(l, "'sha384-") || strings.HasPrefix(l, "'sha512-") {
			return true
		}
	}
	return false
}

func isASCIISpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\f' || c == '\r'
}

func trimASCIISpace(s string) string {
	for len(s) > 0 && isASCIISpace(s[0]) {
		s = s[1:]
	}
	for len(s) > 0 && isASCIISpace(s[len(s)-1]) {
		s = s[:len(s)-1]
	}
	return s
}

func splitASCIISpace(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r < 0x80 && isASCIISpace(byte(r)) })
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}
