package glomo

import (
	"strings"
)

// The sources Glomo Checkout needs, per the integration guide.
const (
	SDKOrigin       = "https://glomopay-checkout-sdk.web.app"
	CheckoutOrigins = "https://*.glomopay.com"
)

// sourceList is a validated list of sources to merge for one kind of load.
type sourceList struct {
	raw    []string
	parsed []hostSource
}

func (l *sourceList) add(raw string, src hostSource) {
	for _, r := range l.raw {
		if strings.EqualFold(r, raw) {
			return
		}
	}
	l.raw = append(l.raw, raw)
	l.parsed = append(l.parsed, src)
}

// mergeSources is everything a merge adds.
type mergeSources struct {
	script, frame, connect sourceList
	// scriptToken, when not empty, is added to the script directives that
	// receive the hosts (a 'nonce-…' source or secure's $NONCE), unless the
	// directive relies on 'unsafe-inline', which a nonce would switch off.
	scriptToken string
}

// mergePolicyList merges s into every comma-separated policy of a header
// value and reports what the merge cannot fix.
func mergePolicyList(value string, s *mergeSources) (string, []cspWarning) {
	if strings.IndexByte(value, ',') < 0 {
		return mergePolicy(value, s)
	}
	parts := strings.Split(value, ",")
	var warnings []cspWarning
	for i, p := range parts {
		var w []cspWarning
		parts[i], w = mergePolicy(p, s)
		warnings = append(warnings, w...)
	}
	return strings.Join(parts, ","), warnings
}

// directiveEdit is what a merge does to one directive.
type directiveEdit struct {
	name     string   // the directive's lowercased name
	token    int      // its token in the policy; -1 for a new directive
	seed     []string // a new directive's values copied from its fallback
	add      []string // sources to append
	dropNone bool
}

// mergePolicy merges s into one serialized policy.
func mergePolicy(policy string, s *mergeSources) (string, []cspWarning) {
	p := parseCSP(policy)
	var edits []directiveEdit

	// Scripts: script-src receives the host, created from default-src when
	// absent: browsers without script-src-elem fall back to it. So does
	// script-src-elem when present (it wins for <script> elements in
	// current browsers); when absent, script-src serves elements too.
	if d := p.get("script-src"); d != nil {
		edits = appendEdit(edits, existingEdit(d, &s.script, s.scriptToken))
	} else if def := p.get("default-src"); def != nil {
		edits = appendEdit(edits, seededEdit("script-src", def, &s.script, s.scriptToken))
	}
	if d := p.get("script-src-elem"); d != nil {
		edits = appendEdit(edits, existingEdit(d, &s.script, s.scriptToken))
	}
	// Frames: frame-src, else a new frame-src seeded from child-src or
	// default-src (widening those would widen workers or every load).
	if d := p.get("frame-src"); d != nil {
		edits = appendEdit(edits, existingEdit(d, &s.frame, ""))
	} else if fb := p.governing("child-src", "default-src"); fb != nil {
		edits = appendEdit(edits, seededEdit("frame-src", fb, &s.frame, ""))
	}
	// Connections: connect-src, else a new one seeded from default-src.
	if d := p.get("connect-src"); d != nil {
		edits = appendEdit(edits, existingEdit(d, &s.connect, ""))
	} else if def := p.get("default-src"); def != nil {
		edits = appendEdit(edits, seededEdit("connect-src", def, &s.connect, ""))
	}

	merged := policy
	if len(edits) > 0 {
		merged = p.render(edits)
	}
	return merged, policyWarnings(merged)
}

func appendEdit(edits []directiveEdit, e directiveEdit) []directiveEdit {
	if len(e.add) == 0 {
		return edits
	}
	return append(edits, e)
}

// missingSources returns the sources of l (and token) that values do not
// already allow.
func missingSources(values []string, l *sourceList, token string) []string {
	var add []string
	for i, src := range l.parsed {
		covered := false
		for _, v := range values {
			if covers(v, src) {
				covered = true
				break
			}
		}
		if !covered {
			add = append(add, l.raw[i])
		}
	}
	if token != "" && !containsExact(values, token) &&
		!(hasKeyword(values, "'unsafe-inline'") && !hasNonceOrHash(values)) {
		add = append(add, token)
	}
	return add
}

func containsExact(values []string, v string) bool {
	for _, x := range values {
		if x == v {
			return true
		}
	}
	return false
}

func existingEdit(d *cspDirective, l *sourceList, token string) directiveEdit {
	add := missingSources(d.values, l, token)
	return directiveEdit{name: d.name, token: d.token, add: add, dropNone: len(add) > 0 && hasKeyword(d.values, "'none'")}
}

func seededEdit(name string, fallback *cspDirective, l *sourceList, token string) directiveEdit {
	add := missingSources(fallback.values, l, token)
	return directiveEdit{name: name, token: -1, seed: fallback.values, add: add, dropNone: len(add) > 0}
}

// render writes the policy with edits applied. Tokens that no edit touches
// are kept byte for byte; new directives go after the last one, before a
// trailing ';'.
func (p *cspPolicy) render(edits []directiveEdit) string {
	tokens := append([]string(nil), p.tokens...)
	var created []string
	for _, e := range edits {
		if e.token < 0 {
			created = append(created, " "+e.name+" "+strings.Join(append(withoutNone(e.seed, e.dropNone), e.add...), " "))
			continue
		}
		tokens[e.token] = editToken(tokens[e.token], e)
	}
	if len(created) > 0 {
		at := len(tokens)
		if trimASCIISpace(tokens[at-1]) == "" {
			at--
		}
		tokens = append(tokens[:at], append(created, tokens[at:]...)...)
		if at == 0 {
			tokens[0] = strings.TrimPrefix(tokens[0], " ")
		}
	}
	return strings.Join(tokens, ";")
}

// editToken appends e.add to a directive's token, keeping its spacing.
func editToken(tok string, e directiveEdit) string {
	start := 0
	for start < len(tok) && isASCIISpace(tok[start]) {
		start++
	}
	end := len(tok)
	for end > start && isASCIISpace(tok[end-1]) {
		end--
	}
	body := tok[start:end]
	if e.dropNone {
		fields := splitASCIISpace(body)
		body = strings.Join(append(fields[:1:1], withoutNone(fields[1:], true)...), " ")
	}
	return tok[:start] + body + " " + strings.Join(e.add, " ") + tok[end:]
}

func withoutNone(values []string, drop bool) []string {
	out := make([]string, 0, len(values))
	for _, v := range values {
		if drop && strings.EqualFold(v, "'none'") {
			continue
		}
		out = append(out, v)
	}
	return out
}

// cspWarning names something in a policy that blocks Glomo Checkout and
// that merging hosts cannot fix.
type cspWarning string

const (
	warnStrictDynamic cspWarning = "the script directive has 'strict-dynamic': browsers ignore host sources, so the SDK loads only from a script that carries the page's nonce (glomo.Nonce)"
	warnSandboxPopups cspWarning = "sandbox without allow-popups: window.open returns null and the checkout popup cannot open"
	warnSandboxScript cspWarning = "sandbox without allow-scripts: no script runs, including the SDK"
	warnTrustedTypes  cspWarning = "require-trusted-types-for can break third-party SDKs that assign HTML strings, including the checkout"
)

// policyWarnings lists what blocks the checkout in a merged policy list.
func policyWarnings(value string) []cspWarning {
	var out []cspWarning
	for _, part := range strings.Split(value, ",") {
		p := parseCSP(part)
		if d := p.governing(chainScriptElem...); d != nil && hasKeyword(d.values, "'strict-dynamic'") {
			out = append(out, warnStrictDynamic)
		}
		if d := p.get("sandbox"); d != nil {
			if !hasKeyword(d.values, "allow-popups") {
				out = append(out, warnSandboxPopups)
			}
			if !hasKeyword(d.values, "allow-scripts") {
				out = append(out, warnSandboxScript)
			}
		}
		if p.get("require-trusted-types-for") != nil {
			out = append(out, warnTrustedTypes)
		}
	}
	return out
}
