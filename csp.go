package glomo

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/glomokit/glomo/internal/fixhook"
)

// Header names of the two kinds of CSP.
const (
	headerCSP           = "Content-Security-Policy"
	headerCSPReportOnly = "Content-Security-Policy-Report-Only"
)

// Option configures the header middleware (COOP, CSP, Headers and their
// New forms), MergeCSP and SecureOptions. Invalid values are reported by
// those functions, never written into a header. COOP takes only WithSkip
// and WithLogger; MergeCSP uses only the source options; each option's
// doc says where else it applies.
type Option func(*config)

// config is what the options set.
type config struct {
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

// DefaultCSPCacheSize is how many distinct policies the CSP middleware keeps
// merged results for, unless WithCacheSize says otherwise.
const DefaultCSPCacheSize = 1024

// WithScriptSources replaces the sources merged into the script directives
// (default: SDKOrigin), for example with a sandbox or test host.
func WithScriptSources(sources ...string) Option {
	return func(c *config) { c.script = nonNil(sources) }
}

// WithFrameSources replaces the sources merged into frame-src (default:
// SDKOrigin and CheckoutOrigins).
func WithFrameSources(sources ...string) Option {
	return func(c *config) { c.frame = nonNil(sources) }
}

// WithConnectSources replaces the sources merged into connect-src (default:
// SDKOrigin and CheckoutOrigins).
func WithConnectSources(sources ...string) Option {
	return func(c *config) { c.connect = nonNil(sources) }
}

// WithExtraSources adds sources to scripts, frames and connections, on top
// of the defaults or the replacements above.
func WithExtraSources(sources ...string) Option {
	return func(c *config) { c.extra = append(c.extra, sources...) }
}

// WithReportOnly merges into Content-Security-Policy-Report-Only as well
// (SecureOptions: ContentSecurityPolicyReportOnly), so that a report-only
// policy does not flood the site's reports with Glomo's loads.
func WithReportOnly() Option {
	return func(c *config) { c.reportOnly = true }
}

// WithBaseline sets the policy a response gets, merged, when it carries no
// Content-Security-Policy at all (SecureOptions: when
// ContentSecurityPolicy is empty). Without it a response without a policy
// is left without one. An empty, multi-line or unparsable baseline is an
// error.
func WithBaseline(policy string) Option {
	return func(c *config) { c.baseline = &policy }
}

// WithNonce gives every request a fresh CSP nonce (128 random bits) or
// reuses the one unrolled/secure made, adds it to the script directives the
// Glomo host is merged into, and exposes it to templates through Nonce. It
// is never added where a directive relies on 'unsafe-inline' (a nonce
// would switch that off), and 'unsafe-inline' is never added. MergeCSP
// ignores it; SecureOptions adds unrolled/secure's $NONCE.
func WithNonce() Option {
	return func(c *config) { c.nonce = true }
}

// WithSkip leaves the responses to the requests it reports true for
// untouched, for routes that never show the checkout. SecureOptions, whose
// headers cannot vary per request, reports it as ErrUnsupportedOption.
func WithSkip(skip func(*http.Request) bool) Option {
	return func(c *config) { c.skip = skip }
}

// WithLogger sets where warnings go: what a policy needs that merging
// cannot fix (logged when a policy is first merged; by SecureOptions, when
// it is called) and the loss of cross-origin isolation. Default:
// slog.Default().
func WithLogger(logger *slog.Logger) Option {
	return func(c *config) { c.logger = logger }
}

// WithCacheSize bounds how many distinct policies the CSP middleware keeps
// merged results for (default DefaultCSPCacheSize). When full, the cache
// starts over. Per-request nonces do not make policies distinct. MergeCSP
// and SecureOptions keep no cache and ignore it.
func WithCacheSize(n int) Option {
	return func(c *config) {
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

func newConfig(opts []Option) (*config, error) {
	c := &config{cacheSize: DefaultCSPCacheSize}
	for _, o := range opts {
		if o == nil {
			return nil, errors.New("glomo: nil Option")
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

// setsCSP reports whether c holds an option only the CSP fix-up uses.
func (c *config) setsCSP() bool {
	return c.script != nil || c.frame != nil || c.connect != nil || c.extra != nil ||
		c.reportOnly || c.baseline != nil || c.nonce || c.cacheSize != DefaultCSPCacheSize
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
func (c *config) sources(scriptToken string) (mergeSources, error) {
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
func MergeCSP(policy string, opts ...Option) (string, error) {
	c, err := newConfig(opts)
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

// CSP is middleware that merges Glomo Checkout's sources into every
// Content-Security-Policy header a response carries when it is committed
// (and into Content-Security-Policy-Report-Only with WithReportOnly),
// whether set before the middleware ran or by the handler. It adds no
// policy where the response had none, unless WithBaseline. It panics if
// opts are invalid, as regexp.MustCompile does; NewCSP returns the error
// instead.
func CSP(opts ...Option) func(http.Handler) http.Handler {
	return mustMiddleware(fixhook.CSP, opts)
}

// NewCSP is CSP returning a configuration error instead of panicking.
func NewCSP(opts ...Option) (func(http.Handler) http.Handler, error) {
	return middleware(fixhook.CSP, opts)
}
