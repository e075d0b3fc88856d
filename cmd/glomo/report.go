package main

// SchemaVersion is the version of the JSON report. It changes only when a
// field is removed or changes meaning; new fields may appear within a
// version.
const SchemaVersion = 1

// Severities of findings. Any error finding makes exit code 1.
const (
	SeverityError   = "error"
	SeverityWarning = "warning"
	SeverityInfo    = "info"
)

// Report is what glomo doctor prints with -json: one JSON object.
type Report struct {
	SchemaVersion int    `json:"schema_version"` // SchemaVersion
	URL           string `json:"url"`            // the URL given
	// ExitCode is the process's exit code: 0 Glomo Checkout would work, 1
	// it would not (an error finding), 2 the check could not be made.
	ExitCode int `json:"exit_code"`
	// Verdict is "ok" (exit 0), "broken" (exit 1) or "unchecked" (exit 2).
	Verdict string `json:"verdict"`
	// Error says why the check could not be made (exit 2 only).
	Error string `json:"error,omitempty"`

	Redirects     []Hop    `json:"redirects"`      // every redirect followed, in order
	FinalURL      string   `json:"final_url"`      // the document that was checked
	Status        int      `json:"status"`         // its HTTP status
	ContentType   string   `json:"content_type"`   // its Content-Type
	BodyBytes     int      `json:"body_bytes"`     // bytes of body read
	BodyTruncated bool     `json:"body_truncated"` // the body was longer than 5 MiB
	COOP          COOP     `json:"coop"`
	Policies      []Policy `json:"policies"` // every CSP, enforced and report-only
	// GlomoScripts are the page's scripts that load Glomo Checkout.
	GlomoScripts []GlomoScript `json:"glomo_scripts"`
	Findings     []Finding     `json:"findings"`
	Browser      *Browser      `json:"browser,omitempty"` // with -browser only
}

// Hop is one redirect response.
type Hop struct {
	URL      string `json:"url"`
	Status   int    `json:"status"`
	Location string `json:"location"` // resolved against URL
}

// COOP is the page's opener policy as browsers read it.
type COOP struct {
	Values []string `json:"values"` // Cross-Origin-Opener-Policy field lines, as sent
	// Effective is the value browsers apply: unsafe-none when absent,
	// malformed or sent on several lines.
	Effective string `json:"effective"`
	// SeversPopup: browsers read same-origin, which cuts Glomo's popup off.
	SeversPopup bool `json:"severs_popup"`
	// Fix is the value to send instead (same-origin-allow-popups, with the
	// parameters kept), when SeversPopup.
	Fix                 string   `json:"fix,omitempty"`
	ReportOnlyValues    []string `json:"report_only_values"`
	ReportOnlyEffective string   `json:"report_only_effective"`
	ReportOnlyFix       string   `json:"report_only_fix,omitempty"`
	COEPValues          []string `json:"coep_values"` // Cross-Origin-Embedder-Policy lines
	// CrossOriginIsolated: COOP same-origin with COEP require-corp or
	// credentialless; the COOP fix gives that up.
	CrossOriginIsolated bool `json:"cross_origin_isolated"`
}

// Policy is one CSP policy the page carries.
type Policy struct {
	// Source is "header" (Content-Security-Policy), "report-only"
	// (Content-Security-Policy-Report-Only) or "meta" (<meta http-equiv>).
	Source string `json:"source"`
	Field  int    `json:"field"` // 0-based: which header line or meta tag
	Index  int    `json:"index"` // 0-based: which comma-separated policy in it
	// Enforced is false for report-only policies, which block nothing.
	Enforced bool   `json:"enforced"`
	Policy   string `json:"policy"` // as sent
	Script   Load   `json:"script"`
	Frame    Load   `json:"frame"`
	Connect  Load   `json:"connect"`
	// Merged is the policy to send instead: glomo.MergeCSP's output. It
	// equals Policy when nothing is missing.
	Merged string `json:"merged"`
	// MergedField is the whole header line (or meta content) this policy
	// came from, merged: what to send instead of that line.
	MergedField string   `json:"merged_field"`
	Changes     []Change `json:"changes"` // what Merged changes, per directive
}

// Load is whether a policy allows one kind of Glomo load.
type Load struct {
	Allowed bool `json:"allowed"`
	// Directive is the directive that decides (the first of the fallback
	// chain the policy has); empty when the load type is unrestricted.
	Directive string `json:"directive"`
}

// Change is what the merge does to one directive.
type Change struct {
	Directive  string   `json:"directive"`
	Created    bool     `json:"created"`               // the directive is new
	SeededFrom string   `json:"seeded_from,omitempty"` // its values came from this fallback
	Added      []string `json:"added"`
	Removed    []string `json:"removed"` // 'none', dropped where hosts are added
}

// GlomoScript is a script element that loads Glomo Checkout.
type GlomoScript struct {
	Inline bool   `json:"inline"`
	Module bool   `json:"module"` // type="module"
	Src    string `json:"src,omitempty"`
	Nonce  bool   `json:"has_nonce"` // carries a nonce attribute
	// Blocked: an enforced policy refuses to run this inline script.
	Blocked bool `json:"blocked"`
}

// Finding is one thing doctor found.
type Finding struct {
	Rule     string `json:"rule"`     // stable id, such as coop-severs-popup
	Severity string `json:"severity"` // error, warning or info
	Message  string `json:"message"`
	// Policy is the index in Report.Policies the finding is about, or -1.
	Policy int `json:"policy"`
	// Header and Value are the header to send instead, when one fixes it.
	Header string `json:"header,omitempty"`
	Value  string `json:"value,omitempty"`
	// Fixes say how, per stack chosen with -stack.
	Fixes []Fix `json:"fixes,omitempty"`
}

// Fix is a finding's fix for one stack.
type Fix struct {
	Stack string `json:"stack"` // nginx, apache, express, nextjs, django, rails, iis, go, html
	Text  string `json:"text"`
}

// Browser is what headless Chromium decided (-browser).
type Browser struct {
	Version string `json:"version"`
	Script  Probe  `json:"script"`  // <script type="module" src=SDK>
	Frame   Probe  `json:"frame"`   // <iframe src=checkout>
	Connect Probe  `json:"connect"` // fetch to https://api.glomopay.com
	Popup   Probe  `json:"popup"`   // window.open to https://checkout.glomopay.com
	// Violations are the securitypolicyviolation events the probes caused.
	Violations []Violation `json:"violations"`
}

// Violation is one securitypolicyviolation event seen in the page.
type Violation struct {
	BlockedURI  string `json:"blocked_uri"`
	Directive   string `json:"directive"`   // the effective directive
	Disposition string `json:"disposition"` // "enforce" or "report"
}

// Probe is one load the page was asked to make.
type Probe struct {
	// Outcome is "allowed", "blocked" (by an enforced CSP), "severed" (popup:
	// COOP cut it off), "no-popup" (window.open returned null) or "unknown".
	Outcome string `json:"outcome"`
	// Directive is the violated directive reported by the browser, if any.
	Directive string `json:"directive,omitempty"`
	// ReportOnly lists directives of report-only policies that reported it.
	ReportOnly []string `json:"report_only,omitempty"`
	Detail     string   `json:"detail,omitempty"`
}
