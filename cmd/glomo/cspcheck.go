package main

import (
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"fmt"

	"github.com/glomokit/glomo"
)

// The fallback chains of the three kinds of load Glomo Checkout makes.
var (
	chainScript  = []string{"script-src-elem", "script-src", "default-src"}
	chainFrame   = []string{"frame-src", "child-src", "default-src"}
	chainConnect = []string{"connect-src", "default-src"}
)

// policyInput is one policy found on the page, before analysis.
type policyInput struct {
	source string // "header", "report-only" or "meta"
	field  int
	index  int
	text   string
	// fieldValue is the whole header line (or meta content) it came from.
	fieldValue string
}

// analyzePolicy reports what one policy allows. The library is the oracle:
// a load is allowed exactly when glomo.MergeCSP leaves that kind's
// governing directive as it was.
func analyzePolicy(in policyInput) (Policy, error) {
	merged, err := glomo.MergeCSP(in.text)
	if err != nil {
		return Policy{}, err
	}
	before, after := parsePolicy(in.text), parsePolicy(merged)
	p := Policy{
		Source:   in.source,
		Field:    in.field,
		Index:    in.index,
		Enforced: in.source != "report-only",
		Policy:   in.text,
		Merged:   merged,
		Script:   loadVerdict(before, after, chainScript),
		Frame:    loadVerdict(before, after, chainFrame),
		Connect:  loadVerdict(before, after, chainConnect),
		Changes:  diffPolicies(before, after),
	}
	return p, nil
}

// loadVerdict compares the governing directive of chain before and after
// the merge.
func loadVerdict(before, after parsedPolicy, chain []string) Load {
	b := before.governing(chain)
	if b == nil {
		return Load{Allowed: true}
	}
	a := after.governing(chain)
	return Load{Allowed: a != nil && a.Name == b.Name && equalValues(a.Values, b.Values), Directive: b.Name}
}

// diffPolicies lists, per directive, what after adds to before.
func diffPolicies(before, after parsedPolicy) []Change {
	changes := []Change{}
	for _, a := range after {
		b := before.get(a.Name)
		if b == nil {
			c := Change{Directive: a.Name, Created: true, Added: []string{}, Removed: []string{}}
			seed := seedOf(before, a.Name)
			if seed != nil {
				c.SeededFrom = seed.Name
				c.Added = missingFrom(a.Values, seed.Values)
				c.Removed = missingFrom(seed.Values, a.Values)
			} else {
				c.Added = append(c.Added, a.Values...)
			}
			changes = append(changes, c)
			continue
		}
		if equalValues(a.Values, b.Values) {
			continue
		}
		changes = append(changes, Change{
			Directive: a.Name,
			Added:     missingFrom(a.Values, b.Values),
			Removed:   missingFrom(b.Values, a.Values),
		})
	}
	return changes
}

// seedOf returns the fallback a created directive was seeded from.
func seedOf(p parsedPolicy, name string) *directive {
	switch name {
	case "script-src", "connect-src":
		return p.get("default-src")
	case "frame-src":
		return p.governing([]string{"child-src", "default-src"})
	}
	return nil
}

// missingFrom returns the values of a that b lacks.
func missingFrom(a, b []string) []string {
	out := []string{}
	for _, v := range a {
		if !hasValue(b, v) {
			out = append(out, v)
		}
	}
	return out
}

// inlineAllowed reports whether a policy runs an inline script with the
// given nonce attribute and text: no script directive; a matching nonce or
// hash; or 'unsafe-inline' not disabled by a nonce, hash or
// 'strict-dynamic'.
func inlineAllowed(p parsedPolicy, nonce, text string) bool {
	d := p.governing(chainScript)
	if d == nil {
		return true
	}
	hashes := scriptHashes(text)
	for _, v := range d.Values {
		if nonce != "" && v == "'nonce-"+nonce+"'" {
			return true
		}
		for _, h := range hashes {
			if v == h {
				return true
			}
		}
	}
	return hasValue(d.Values, "'unsafe-inline'") && !hasNonceOrHash(d.Values) && !hasValue(d.Values, "'strict-dynamic'")
}

// trustsGlomoScript reports whether the policy trusts one of the page's
// Glomo scripts by its nonce or (inline) hash.
func trustsGlomoScript(p parsedPolicy, scripts []pageScript) bool {
	d := p.governing(chainScript)
	if d == nil {
		return false
	}
	for _, s := range scripts {
		if !s.loadsGlomo() {
			continue
		}
		if s.hasNonce && s.nonce != "" && hasExact(d.Values, "'nonce-"+s.nonce+"'") {
			return true
		}
		if s.src == "" {
			for _, h := range scriptHashes(s.text) {
				if hasExact(d.Values, h) {
					return true
				}
			}
		}
	}
	return false
}

func hasExact(values []string, v string) bool {
	for _, x := range values {
		if x == v {
			return true
		}
	}
	return false
}

// scriptHashes returns the hash sources that would allow an inline script.
func scriptHashes(text string) []string {
	s256 := sha256.Sum256([]byte(text))
	s384 := sha512.Sum384([]byte(text))
	s512 := sha512.Sum512([]byte(text))
	enc := base64.StdEncoding.EncodeToString
	return []string{"'sha256-" + enc(s256[:]) + "'", "'sha384-" + enc(s384[:]) + "'", "'sha512-" + enc(s512[:]) + "'"}
}

// policyLabel names a policy for messages.
func policyLabel(p Policy) string {
	switch p.Source {
	case "report-only":
		return fmt.Sprintf("Content-Security-Policy-Report-Only (line %d, policy %d)", p.Field+1, p.Index+1)
	case "meta":
		return fmt.Sprintf(`<meta http-equiv="Content-Security-Policy"> #%d (policy %d)`, p.Field+1, p.Index+1)
	}
	return fmt.Sprintf("Content-Security-Policy (line %d, policy %d)", p.Field+1, p.Index+1)
}

// headerName is the header a policy came from.
func headerName(p Policy) string {
	if p.Source == "report-only" {
		return "Content-Security-Policy-Report-Only"
	}
	return "Content-Security-Policy"
}

// policyFindings lists what one analyzed policy blocks and what a merge
// cannot fix. Report-only policies block nothing: their findings are
// warnings.
//
// Under 'strict-dynamic' host sources do not matter: the SDK loads exactly
// when a Glomo script the policy trusts by nonce or hash imports it
// (nonceTrusted), and then no script finding is an error.
func policyFindings(p Policy, idx int, nonceTrusted bool) []Finding {
	var out []Finding
	parsed := parsePolicy(p.Policy)
	strict := false
	if d := parsed.governing(chainScript); d != nil && hasValue(d.Values, "'strict-dynamic'") {
		strict = true
	}
	sev := SeverityError
	if !p.Enforced {
		sev = SeverityWarning
	}
	label := policyLabel(p)
	kinds := []struct {
		rule, what string
		load       Load
	}{
		{"csp-blocks-script", "Glomo's SDK script (" + glomo.SDKOrigin + "/index.js)", p.Script},
		{"csp-blocks-frame", "Glomo's checkout iframe (" + glomo.SDKOrigin + ", " + glomo.CheckoutOrigins + ")", p.Frame},
		{"csp-blocks-connect", "Glomo's API calls (" + glomo.SDKOrigin + ", " + glomo.CheckoutOrigins + ")", p.Connect},
	}
	for _, k := range kinds {
		if k.load.Allowed || (strict && k.rule == "csp-blocks-script") {
			continue
		}
		rule, verb := k.rule, "blocks"
		if !p.Enforced {
			rule, verb = "csp-report-only-blocks", "would block (report-only: it only reports)"
		}
		out = append(out, Finding{
			Rule:     rule,
			Severity: sev,
			Message:  fmt.Sprintf("%s %s %s, through %s", label, verb, k.what, k.load.Directive),
			Policy:   idx,
		})
	}
	if strict {
		d := parsed.governing(chainScript)
		if nonceTrusted {
			out = append(out, Finding{
				Rule: "csp-strict-dynamic", Severity: SeverityInfo, Policy: idx,
				Message: fmt.Sprintf("%s has 'strict-dynamic' in %s: host sources are ignored; the page's Glomo script carries the policy's nonce (or hash), so the SDK loads through it. Keep the nonce per response", label, d.Name),
			})
		} else {
			out = append(out, Finding{
				Rule: "csp-strict-dynamic", Severity: sev, Policy: idx,
				Message: fmt.Sprintf("%s has 'strict-dynamic' in %s: browsers ignore host sources, so adding Glomo's host cannot help; the SDK loads only when imported from a script that carries the page's nonce", label, d.Name),
			})
		}
	}
	if d := parsed.get("sandbox"); d != nil && p.Source != "meta" {
		if !hasValue(d.Values, "allow-scripts") {
			out = append(out, Finding{Rule: "csp-sandbox", Severity: sev, Policy: idx,
				Message: label + " has sandbox without allow-scripts: no script runs, the SDK included"})
		}
		if !hasValue(d.Values, "allow-popups") {
			out = append(out, Finding{Rule: "csp-sandbox", Severity: sev, Policy: idx,
				Message: label + " has sandbox without allow-popups: window.open returns null, the checkout popup cannot open"})
		}
	}
	if parsed.get("require-trusted-types-for") != nil {
		out = append(out, Finding{Rule: "csp-trusted-types", Severity: SeverityWarning, Policy: idx,
			Message: label + " has require-trusted-types-for: third-party SDKs that assign HTML strings may break; test the checkout with it"})
	}
	return out
}
