package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"golang.org/x/net/http/httpguts"

	"github.com/glomokit/glomo"
)

const doctorUsage = `Usage: glomo doctor [flags] URL

Fetches URL as a browser would and tells whether Glomo Checkout works on
that page, and if not, what to change on your server. It checks:
  - Cross-Origin-Opener-Policy (and -Report-Only) as browsers read them:
    same-origin cuts off the checkout popup; COEP: whether the fix costs the
    page cross-origin isolation;
  - every Content-Security-Policy: header lines, comma-separated policies,
    Report-Only, and <meta http-equiv> in the HTML: whether Glomo's script
    (https://glomopay-checkout-sdk.web.app), iframe (that origin and
    https://*.glomopay.com) and API calls are allowed, by which directive,
    and the policy to send instead (what "glomo csp merge" prints);
  - what adding hosts cannot fix: 'strict-dynamic', sandbox,
    require-trusted-types-for, and the guide's inline <script type="module">
    snippet without the page's nonce.
Redirects are followed (at most 10) and reported; the final page counts.
Nothing is sent anywhere but to URL and its redirects: no proxy, no
telemetry. With -browser, Chromium's requests to Glomo's hosts go to a
local stand-in on 127.0.0.1 and every other host is unresolvable.

Flags:
  -stack NAME      fixes for: nginx, apache, express, nextjs, django, rails,
                   iis, go, or all (default all)
  -json            print the report as JSON (schema below)
  -timeout D       timeout of each request (default 15s); with -browser also
                   bounds the browser's page load
  -header 'Name: value'  send this header (repeatable), e.g. for a page
                   behind a login; sent only to URL's origin, never to
                   other hosts a redirect leads to
  -cookie 'a=b'    send this cookie (repeatable); only to URL's origin
  -insecure        accept a TLS certificate that is not trusted (staging)
  -browser         also open the page in headless Chromium ($CHROMIUM, or
                   chromium on PATH; never downloaded) and report what the
                   browser decides: script, iframe, fetch, popup

Exit codes:
  0  Glomo Checkout would work on this page (no error finding)
  1  it would not: at least one error finding
  2  the check could not be made: bad usage, network or TLS error, not an
     HTML page, a redirect loop or too many redirects, a timeout, a browser
     that cannot start

Findings (rule ids are stable):
  coop-severs-popup     error    COOP same-origin: the popup is cut off
  coop-report-only      warning  COOP-Report-Only same-origin reports it
  coop-multiple         info     several COOP lines: read as unsafe-none
  coep-isolation-lost   warning  the COOP fix ends cross-origin isolation
  csp-blocks-script     error    the SDK script is refused
  csp-blocks-frame      error    the checkout iframe is refused
  csp-blocks-connect    error    Glomo's API calls are refused
  csp-report-only-blocks warning a report-only policy would refuse one
  csp-meta              info     a <meta> CSP: no server middleware fixes it
  csp-strict-dynamic    error    host sources ignored; needs the nonce
  csp-sandbox           error    sandbox without allow-scripts/allow-popups
  csp-trusted-types     warning  require-trusted-types-for may break the SDK
  inline-script-blocked error    the inline snippet has no matching nonce
  no-glomo-script       info     the page does not load Glomo Checkout
  http-status           warning  the final status is not 2xx
  body-truncated        info     only the first 5 MiB were read
  browser-script-blocked, browser-frame-blocked, browser-connect-blocked,
  browser-popup-severed, browser-popup-blocked   error   (-browser)

JSON (-json), schema_version 1: an object with schema_version, url,
exit_code, verdict ("ok", "broken", "unchecked"), error, redirects
[{url,status,location}], final_url, status, content_type, body_bytes,
body_truncated, coop {values, effective, severs_popup, fix,
report_only_values, report_only_effective, report_only_fix, coep_values,
cross_origin_isolated}, policies [{source ("header", "report-only",
"meta"), field, index, enforced, policy, script/frame/connect {allowed,
directive}, merged, changes [{directive, created, seeded_from, added,
removed}]}], glomo_scripts [{inline, module, src, has_nonce, blocked}],
findings [{rule, severity, message, policy, header, value, fixes
[{stack, text}]}], browser {version, script/frame/connect/popup {outcome,
directive, report_only, detail}}.

Examples:
  glomo doctor https://shop.example/checkout
  glomo doctor -stack nginx https://staging.shop.example/pay
  glomo doctor -cookie 'session=...' -header 'Authorization: Basic ...' https://shop.example/account/pay
  glomo doctor -json https://shop.example/checkout | jq '.findings[].rule'
  glomo doctor -browser https://shop.example/checkout
`

// stacks are the -stack names, in the order fixes are shown.
var stacks = []string{"nginx", "apache", "express", "nextjs", "django", "rails", "iis", "go"}

// doctorConfig is the parsed command line of doctor.
type doctorConfig struct {
	url      *url.URL
	stack    string
	json     bool
	browser  bool
	fetch    fetchOptions
	cookies  []string
	hostRule string // testing only: host-resolver rules for Glomo's hosts
}

func parseDoctorArgs(args []string, stdout, stderr io.Writer) (*doctorConfig, int) {
	const cmd = "glomo doctor"
	fs := flag.NewFlagSet(cmd, flag.ContinueOnError)
	var (
		c       doctorConfig
		headers multiFlag
		cookies multiFlag
	)
	fs.StringVar(&c.stack, "stack", "all", "")
	fs.BoolVar(&c.json, "json", false, "")
	fs.BoolVar(&c.browser, "browser", false, "")
	fs.DurationVar(&c.fetch.timeout, "timeout", 15*time.Second, "")
	fs.BoolVar(&c.fetch.insecure, "insecure", false, "")
	fs.Var(&headers, "header", "")
	fs.Var(&cookies, "cookie", "")
	// Hidden, for tests: host-resolver rules mapping Glomo's hosts in
	// Chromium (instead of doctor's own local stand-in).
	fs.StringVar(&c.hostRule, "x-glomo-host-rules", "", "")
	if code := parseFlags(fs, args, stdout, stderr, doctorUsage); code >= 0 {
		return nil, code
	}
	bad := func(format string, a ...any) (*doctorConfig, int) {
		return nil, usageError(stderr, cmd, doctorUsage, format, a...)
	}
	if fs.NArg() != 1 {
		return bad("one URL expected, got %d arguments", fs.NArg())
	}
	if c.stack != "all" && !contains(stacks, c.stack) {
		return bad("-stack %q: want one of %s or all", c.stack, strings.Join(stacks, ", "))
	}
	if c.fetch.timeout <= 0 {
		return bad("-timeout must be positive")
	}
	u, err := url.Parse(fs.Arg(0))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return bad("URL %q: want an absolute http:// or https:// URL", fs.Arg(0))
	}
	u.Fragment = ""
	c.url = u
	c.fetch.headers = http.Header{}
	for _, h := range headers {
		name, value, err := parseHeaderFlag(h)
		if err != nil {
			return bad("-header %q: %v", h, err)
		}
		c.fetch.headers.Add(name, value)
	}
	for _, ck := range cookies {
		if err := checkCookieFlag(ck); err != nil {
			return bad("-cookie %q: %v", ck, err)
		}
	}
	c.cookies = cookies
	c.fetch.cookie = strings.Join(cookies, "; ")
	return &c, -1
}

// parseHeaderFlag parses 'Name: value', rejecting what cannot be sent.
func parseHeaderFlag(s string) (string, string, error) {
	name, value, ok := strings.Cut(s, ":")
	if !ok {
		return "", "", errors.New("want 'Name: value'")
	}
	name = strings.TrimSpace(name)
	value = strings.Trim(value, " \t")
	if !httpguts.ValidHeaderFieldName(name) {
		return "", "", errors.New("invalid header name")
	}
	if !httpguts.ValidHeaderFieldValue(value) {
		return "", "", errors.New("the value holds control characters")
	}
	return http.CanonicalHeaderKey(name), value, nil
}

// checkCookieFlag accepts 'name=value' pairs separated by '; '.
func checkCookieFlag(s string) error {
	for _, pair := range strings.Split(s, ";") {
		pair = strings.TrimSpace(pair)
		name, _, ok := strings.Cut(pair, "=")
		if !ok || strings.TrimSpace(name) == "" {
			return errors.New("want name=value")
		}
		if !httpguts.ValidHeaderFieldName(strings.TrimSpace(name)) {
			return errors.New("invalid cookie name")
		}
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < ' ' || c == 0x7f {
			return errors.New("the cookie holds control characters")
		}
	}
	return nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// runDoctor runs "glomo doctor".
func runDoctor(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	c, code := parseDoctorArgs(args, stdout, stderr)
	if c == nil {
		return code
	}
	rep := doctor(ctx, c, getenv)
	if c.json {
		enc := json.NewEncoder(stdout)
		enc.SetEscapeHTML(false)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			fmt.Fprintf(stderr, "glomo doctor: %v\n", err)
			return exitUsage
		}
	} else {
		writeText(stdout, rep)
	}
	if rep.ExitCode == exitUsage && rep.Error != "" {
		fmt.Fprintf(stderr, "glomo doctor: %s\n", rep.Error)
	}
	return rep.ExitCode
}

// doctor makes the whole check and returns the report.
func doctor(ctx context.Context, c *doctorConfig, getenv func(string) string) *Report {
	rep := &Report{
		SchemaVersion: SchemaVersion,
		URL:           c.url.String(),
		Redirects:     []Hop{},
		Policies:      []Policy{},
		GlomoScripts:  []GlomoScript{},
		Findings:      []Finding{},
	}
	f, err := fetchPage(ctx, c.url, c.fetch)
	if f != nil {
		rep.Redirects = f.redirects
	}
	if err != nil {
		return unchecked(rep, err)
	}
	rep.FinalURL = f.finalURL.String()
	rep.Status = f.status
	rep.ContentType = f.contentType
	rep.BodyBytes = len(f.body)
	rep.BodyTruncated = f.truncated
	if err := analyze(rep, f); err != nil {
		return unchecked(rep, err)
	}
	if c.browser {
		b, err := browserCheck(ctx, c, f, getenv)
		if err != nil {
			return unchecked(rep, err)
		}
		rep.Browser = b
		rep.Findings = append(rep.Findings, browserFindings(b)...)
	}
	addFixes(rep, c.stack)
	rep.ExitCode, rep.Verdict = exitOK, "ok"
	for _, fd := range rep.Findings {
		if fd.Severity == SeverityError {
			rep.ExitCode, rep.Verdict = exitFail, "broken"
			break
		}
	}
	return rep
}

func unchecked(rep *Report, err error) *Report {
	rep.ExitCode, rep.Verdict, rep.Error = exitUsage, "unchecked", err.Error()
	return rep
}

// analyze fills the report from the fetched page.
func analyze(rep *Report, f *fetched) error {
	if f.truncated {
		rep.Findings = append(rep.Findings, Finding{Rule: "body-truncated", Severity: SeverityInfo, Policy: -1,
			Message: fmt.Sprintf("the page is larger than %d MiB; only the start was read, so a <meta> CSP or script past it is not seen (headers are complete)", maxBody>>20)})
	}
	if f.status < 200 || f.status > 299 {
		rep.Findings = append(rep.Findings, Finding{Rule: "http-status", Severity: SeverityWarning, Policy: -1,
			Message: fmt.Sprintf("the page answered %d %s: this may not be the checkout page (a login or error page?); use -cookie or -header to reach it", f.status, http.StatusText(f.status))})
	}
	rep.COOP, rep.Findings = checkCOOP(f.header, rep.Findings)

	var inputs []policyInput
	for i, v := range f.header.Values("Content-Security-Policy") {
		for j, p := range splitPolicies(v) {
			inputs = append(inputs, policyInput{source: "header", field: i, index: j, text: p, fieldValue: v})
		}
	}
	for i, v := range f.header.Values("Content-Security-Policy-Report-Only") {
		for j, p := range splitPolicies(v) {
			inputs = append(inputs, policyInput{source: "report-only", field: i, index: j, text: p, fieldValue: v})
		}
	}
	page := parsePage(f.body)
	for i, v := range page.metaCSP {
		for j, p := range splitPolicies(v) {
			inputs = append(inputs, policyInput{source: "meta", field: i, index: j, text: p, fieldValue: v})
		}
	}
	for _, in := range inputs {
		p, err := analyzePolicy(in)
		if err != nil {
			return err
		}
		if p.MergedField, err = glomo.MergeCSP(in.fieldValue); err != nil {
			return err
		}
		idx := len(rep.Policies)
		rep.Policies = append(rep.Policies, p)
		if p.Source == "meta" {
			rep.Findings = append(rep.Findings, Finding{Rule: "csp-meta", Severity: SeverityInfo, Policy: idx,
				Message: policyLabel(p) + " is in the HTML: no server middleware (glomo.Headers included) or header setting can change it; edit the page's template"})
		}
		trusted := trustsGlomoScript(parsePolicy(p.Policy), page.scripts)
		if trusted && hasValue(governingValues(p.Policy), "'strict-dynamic'") {
			rep.Policies[idx].Script.Allowed = true
		}
		rep.Findings = append(rep.Findings, policyFindings(rep.Policies[idx], idx, trusted)...)
	}
	checkScripts(rep, page)
	return nil
}

// governingValues returns the values of a policy's script directive.
func governingValues(policy string) []string {
	if d := parsePolicy(policy).governing(chainScript); d != nil {
		return d.Values
	}
	return nil
}

// checkCOOP reads the opener policy headers as browsers do.
func checkCOOP(h http.Header, findings []Finding) (COOP, []Finding) {
	c := COOP{
		Values:           nonNilStrings(h.Values("Cross-Origin-Opener-Policy")),
		ReportOnlyValues: nonNilStrings(h.Values("Cross-Origin-Opener-Policy-Report-Only")),
		COEPValues:       nonNilStrings(h.Values("Cross-Origin-Embedder-Policy")),
	}
	c.Effective = effectiveCOOP(c.Values)
	c.ReportOnlyEffective = effectiveCOOP(c.ReportOnlyValues)
	if len(c.Values) == 1 {
		if fix, changed := glomo.RewriteCOOP(c.Values[0]); changed {
			c.SeversPopup, c.Fix = true, fix
		}
	}
	if len(c.Values) > 1 {
		findings = append(findings, Finding{Rule: "coop-multiple", Severity: SeverityInfo, Policy: -1,
			Message: fmt.Sprintf("Cross-Origin-Opener-Policy is sent on %d lines; browsers join them and read the result as unsafe-none, so the popup works, but the page does not get the policy it asks for", len(c.Values))})
	}
	if c.SeversPopup {
		findings = append(findings, Finding{Rule: "coop-severs-popup", Severity: SeverityError, Policy: -1,
			Header: "Cross-Origin-Opener-Policy", Value: c.Fix,
			Message: "Cross-Origin-Opener-Policy: " + c.Values[0] + " cuts the checkout popup off from the page (the guide's \"payment page fails to open in a popup\"); send " + c.Fix})
		if len(c.COEPValues) == 1 {
			if t := sfToken(c.COEPValues[0]); t == "require-corp" || t == "credentialless" {
				c.CrossOriginIsolated = true
				findings = append(findings, Finding{Rule: "coep-isolation-lost", Severity: SeverityWarning, Policy: -1,
					Message: "the page is cross-origin isolated (COOP same-origin with Cross-Origin-Embedder-Policy: " + c.COEPValues[0] + "); the COOP fix gives that up (SharedArrayBuffer, precise timers). If a page needs isolation, keep it off the checkout page"})
			}
		}
	}
	if len(c.ReportOnlyValues) == 1 {
		if fix, changed := glomo.RewriteCOOP(c.ReportOnlyValues[0]); changed {
			c.ReportOnlyFix = fix
			findings = append(findings, Finding{Rule: "coop-report-only", Severity: SeverityWarning, Policy: -1,
				Header: "Cross-Origin-Opener-Policy-Report-Only", Value: fix,
				Message: "Cross-Origin-Opener-Policy-Report-Only: " + c.ReportOnlyValues[0] + " does not block the popup but reports it as a violation on every checkout; send " + fix})
		}
	}
	return c, findings
}

func nonNilStrings(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// effectiveCOOP is the COOP value browsers apply for these field lines.
func effectiveCOOP(vals []string) string {
	if len(vals) != 1 {
		return "unsafe-none"
	}
	if _, changed := glomo.RewriteCOOP(vals[0]); changed {
		return "same-origin"
	}
	switch t := sfToken(vals[0]); t {
	case "unsafe-none", "same-origin-allow-popups", "noopener-allow-popups":
		return t
	}
	return "unsafe-none"
}

// sfToken returns the token of a structured-field item value, or "" when
// the value is not one: the token, then nothing or parameters after ';'.
func sfToken(v string) string {
	v = strings.Trim(v, " ")
	end := 0
	for end < len(v) && isTokenChar(v[end]) {
		end++
	}
	if end == 0 || (end < len(v) && v[end] != ';') {
		return ""
	}
	c := v[0]
	if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '*') {
		return ""
	}
	return v[:end]
}

func isTokenChar(c byte) bool {
	return c > ' ' && c < 0x7f && !strings.ContainsRune("\"(),;<=>?@[\\]{}", rune(c))
}

// checkScripts finds the page's Glomo scripts and the inline snippet the
// enforced policies refuse to run.
func checkScripts(rep *Report, page pageInfo) {
	for _, s := range page.scripts {
		if !s.loadsGlomo() {
			continue
		}
		gs := GlomoScript{Inline: s.src == "", Module: s.typ == "module", Src: s.src, Nonce: s.hasNonce}
		if gs.Inline {
			for i, p := range rep.Policies {
				if !p.Enforced || inlineAllowed(parsePolicy(p.Policy), s.nonce, s.text) {
					continue
				}
				gs.Blocked = true
				why := "has no nonce attribute"
				if s.hasNonce {
					why = "has a nonce that the policy does not list"
				}
				d := parsePolicy(p.Policy).governing(chainScript)
				rep.Findings = append(rep.Findings, Finding{Rule: "inline-script-blocked", Severity: SeverityError, Policy: i,
					Message: fmt.Sprintf("the inline Glomo snippet (<script type=\"module\">) %s, and %s does not allow inline scripts through %s (a nonce, hash or 'strict-dynamic' there disables 'unsafe-inline'); merging hosts cannot fix this", why, policyLabel(p), d.Name)})
			}
		}
		rep.GlomoScripts = append(rep.GlomoScripts, gs)
	}
	if len(rep.GlomoScripts) == 0 {
		rep.Findings = append(rep.Findings, Finding{Rule: "no-glomo-script", Severity: SeverityInfo, Policy: -1,
			Message: "the page has no script that loads Glomo Checkout (" + glomo.SDKOrigin + "/index.js or GlomoCheckoutApi); the headers were checked all the same"})
	}
}
