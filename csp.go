package glomo

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
)

// Header names of the two kinds of CSP.
const (
	headerCSP           = "Content-Security-Policy"
	headerCSPReportOnly = "Content-Security-Policy-Report-Only"
)

// CSPOption configures MergeCSP, NewCSP, CSP, NewHeaders, Headers and
// SecureOptions. Invalid values are reported by those functions, never
// written into a header. MergeCSP uses only the source options; each
// option's doc says where else it applies.
type CSPOption func(*cspConfig)

// cspConfig is what the options set.
type cspConfig struct {
	script, frame, connect []string // nil: the defaults
	extra                  []string
	reportOnly             bool
	baseline               *string
	nonce                  bool
	skip                   func(*http.Request) bool
	logger                 *slog.Logger
	cacheSize              int
	errs                   []error
}

// DefaultCSPCacheSize is how many distinct policies a HeaderFixer keeps
// merged results for, unless WithCacheSize says otherwise.
const DefaultCSPCacheSize = 1024

// WithScriptSources replaces the sources merged into the script directives
// (default: SDKOrigin), for example with a sandbox or test host.
func WithScriptSources(sources ...string) CSPOption {
	return func(c *cspConfig) { c.script = nonNil(sources) }
}

// WithFrameSources replaces the sources merged into frame-src (default:
// SDKOrigin and CheckoutOrigins).
func WithFrameSources(sources ...string) CSPOption {
	return func(c *cspConfig) { c.frame = nonNil(sources) }
}

// WithConnectSources replaces the sources merged into connect-src (default:
// SDKOrigin and CheckoutOrigins).
func WithConnectSources(sources ...string) CSPOption {
	return func(c *cspConfig) { c.connect = nonNil(sources) }
}

// WithExtraSources adds sources to scripts, frames and connections, on top
// of the defaults or the replacements above.
func WithExtraSources(sources ...string) CSPOption {
	return func(c *cspConfig) { c.extra = append(c.extra, sources...) }
}

// WithReportOnly merges into Content-Security-Policy-Report-Only as well
// (SecureOptions: ContentSecurityPolicyReportOnly), so that a report-only
// policy does not flood the site's reports with Glomo's loads.
func WithReportOnly() CSPOption {
	return func(c *cspConfig) { c.reportOnly = true }
}

// WithBaseline sets the policy a response gets, merged, when it carries no
// Content-Security-Policy at all (SecureOptions: when
// ContentSecurityPolicy is empty). Without it a response without a policy
// is left without one. An empty, multi-line or unparsable baseline is an
// error.
func WithBaseline(policy string) CSPOption {
	return func(c *cspConfig) { c.baseline = &policy }
}

// WithNonce gives every request a fresh CSP nonce (128 random bits) or
// reuses the one unrolled/secure made, adds it to the script directives the
// Glomo host is merged into, and exposes it to templates through Nonce. It
// is never added where a directive relies on 'unsafe-inline' (a nonce
// would switch that off), and 'unsafe-inline' is never added. MergeCSP
// ignores it; SecureOptions adds unrolled/secure's $NONCE.
func WithNonce() CSPOption {
	return func(c *cspConfig) { c.nonce = true }
}

// WithSkip leaves the responses to the requests it reports true for
// untouched, for routes that never show the checkout. SecureOptions, whose
// headers cannot vary per request, reports it as ErrUnsupportedOption.
func WithSkip(skip func(*http.Request) bool) CSPOption {
	return func(c *cspConfig) { c.skip = skip }
}

// WithLogger sets where warnings go: what a policy needs that merging
// cannot fix (logged when a policy is first merged; by SecureOptions, when
// it is called) and the loss of cross-origin isolation. Default:
// slog.Default().
func WithLogger(logger *slog.Logger) CSPOption {
	return func(c *cspConfig) { c.logger = logger }
}

// WithCacheSize bounds how many distinct policies a HeaderFixer keeps
// merged results for (default DefaultCSPCacheSize). When full, the cache
// starts over. Per-request nonces do not make policies distinct. MergeCSP
// and SecureOptions keep no cache and ignore it.
func WithCacheSize(n int) CSPOption {
	return func(c *cspConfig) {
		if n < 1 {
			c.errs = append(c.errs, fmt.Errorf("glomo: cache size %d: must be at least 1", n))
			return
		}
		c.cacheSize = n
	}
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// ErrInvalidBaseline is returned for a WithBaseline policy that cannot be
// sent as a header.
var ErrInvalidBaseline = errors.New("glomo: invalid baseline policy")

// ErrUnsupportedOption is returned (wrapped) for an option that the
// function it is given to cannot honour, such as WithSkip in SecureOptions.
var ErrUnsupportedOption = errors.New("glomo: option not supported here")

func newCSPConfig(opts []CSPOption) (*cspConfig, error) {
	c := &cspConfig{cacheSize: DefaultCSPCacheSize}
	for _, o := range opts {
		if o == nil {
			return nil, errors.New("glomo: nil CSPOption")
		}
		o(c)
	}
	if c.baseline != nil {
		if err := validateBaseline(*c.baseline); err != nil {
			c.errs = append(c.errs, err)
		}
	}
	return c, errors.Join(c.errs...)
}

func validateBaseline(policy string) error {
	for i := 0; i < len(policy); i++ {
		if c := policy[i]; (c < ' ' && c != '\t') || c >= 0x7f {
			return fmt.Errorf("%w: control or non-ASCII character at byte %d", ErrInvalidBaseline, i)
		}
	}
	p := parseCSP(policy)
	if len(p.directives) == 0 {
		return fmt.Errorf("%w: no directive", ErrInvalidBaseline)
	}
	return nil
}

// sources builds the validated sources of each kind.
func (c *cspConfig) sources(scriptToken string) (mergeSources, error) {
	var s mergeSources
	s.scriptToken = scriptToken
	var errs []error
	reported := map[string]bool{}
	fill := func(l *sourceList, set []string, def ...string) {
		if set == nil {
			set = def
		}
		for _, raw := range append(append([]string(nil), set...), c.extra...) {
			src, err := validateSource(raw)
			if err != nil {
				if !reported[raw] {
					reported[raw] = true
					errs = append(errs, err)
				}
				continue
			}
			l.add(raw, src)
		}
	}
	fill(&s.script, c.script, SDKOrigin)
	fill(&s.frame, c.frame, SDKOrigin, CheckoutOrigins)
	fill(&s.connect, c.connect, SDKOrigin, CheckoutOrigins)
	return s, errors.Join(errs...)
}

// MergeCSP returns policy, a Content-Security-Policy header value, with
// Glomo Checkout's sources merged in by the rules of CSP Level 3: into each
// comma-separated policy, into the directive that governs each kind of load
// (creating it, seeded from its fallback, rather than widening
// default-src), nowhere a load type is unrestricted, and without copying a
// source already covered. Everything else is kept as written, and merging
// a merged policy changes nothing. Invalid options are an error.
func MergeCSP(policy string, opts ...CSPOption) (string, error) {
	c, err := newCSPConfig(opts)
	if err != nil {
		return "", err
	}
	s, err := c.sources("")
	if err != nil {
		return "", err
	}
	merged, _ := mergePolicyList(policy, &s)
	return merged, nil
}

// NewCSP returns a HeaderFixer that merges Glomo Checkout's sources into
// every Content-Security-Policy header a response carries when it is
// committed (and into Content-Security-Policy-Report-Only with
// WithReportOnly), whether set before the middleware ran or by the handler.
// It adds no policy where the response had none, unless WithBaseline.
func NewCSP(opts ...CSPOption) (*HeaderFixer, error) {
	c, err := newCSPConfig(opts)
	if err != nil {
		return nil, err
	}
	m, err := newCSPMerger(c)
	if err != nil {
		return nil, err
	}
	return &HeaderFixer{csp: m, nonce: c.nonce, skip: c.skip, logger: c.logger}, nil
}

// CSP is the middleware of NewCSP. It panics if opts are invalid, as
// regexp.MustCompile does; use NewCSP to get the error instead.
func CSP(opts ...CSPOption) func(http.Handler) http.Handler {
	f, err := NewCSP(opts...)
	if err != nil {
		panic(err)
	}
	return f.Handler
}
