package main

import "strings"

// directive is one effective directive of a policy, read as CSP Level 3
// reads it: lowercased name, values as written.
type directive struct {
	Name   string
	Values []string
}

// parsedPolicy is one serialized policy (no commas): its effective
// directives in order, the first of each name.
type parsedPolicy []directive

// parsePolicy parses one serialized policy: split on ';', ASCII whitespace
// trimmed and separating the name from its values, empty and non-ASCII
// tokens skipped, a repeated directive ignored.
func parsePolicy(policy string) parsedPolicy {
	var p parsedPolicy
	for _, tok := range strings.Split(policy, ";") {
		fields := splitCSPSpace(tok)
		if len(fields) == 0 || !isASCIIString(tok) {
			continue
		}
		name := strings.ToLower(fields[0])
		if p.get(name) != nil {
			continue
		}
		p = append(p, directive{Name: name, Values: fields[1:]})
	}
	return p
}

// get returns the directive called name, or nil.
func (p parsedPolicy) get(name string) *directive {
	for i := range p {
		if p[i].Name == name {
			return &p[i]
		}
	}
	return nil
}

// governing returns the first directive of chain the policy has, or nil
// when that kind of load is unrestricted.
func (p parsedPolicy) governing(chain []string) *directive {
	for _, name := range chain {
		if d := p.get(name); d != nil {
			return d
		}
	}
	return nil
}

// splitPolicies splits a header value into its comma-separated policies,
// dropping those with no directive, as browsers do.
func splitPolicies(value string) []string {
	var out []string
	for _, part := range strings.Split(value, ",") {
		if len(parsePolicy(part)) > 0 {
			out = append(out, strings.TrimSpace(part))
		}
	}
	return out
}

func isCSPSpace(r rune) bool {
	return r == ' ' || r == '\t' || r == '\n' || r == '\f' || r == '\r'
}

func splitCSPSpace(s string) []string { return strings.FieldsFunc(s, isCSPSpace) }

func isASCIIString(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// hasValue reports whether values hold v, compared case-insensitively as
// CSP keywords are.
func hasValue(values []string, v string) bool {
	for _, x := range values {
		if strings.EqualFold(x, v) {
			return true
		}
	}
	return false
}

// hasNonceOrHash reports whether values hold a nonce or hash source.
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

// equalValues reports whether two directives' values are the same list.
func equalValues(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
