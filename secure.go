package glomo

import (
	"fmt"
	"log/slog"
	"strings"

	"github.com/unrolled/secure"
)

// secureNonce is unrolled/secure's placeholder for its per-request nonce.
const secureNonce = "$NONCE"

// SecureOptions returns o, an unrolled/secure configuration, fixed once at
// start-up for Glomo Checkout:
//
//   - Glomo's sources are merged into ContentSecurityPolicy (and into
//     ContentSecurityPolicyReportOnly with WithReportOnly), as MergeCSP does;
//     an empty ContentSecurityPolicy becomes the WithBaseline policy, merged,
//     when there is one;
//   - with WithNonce, secure's $NONCE placeholder is added to the script
//     directives that receive the SDK host (unless one already has it or
//     relies on 'unsafe-inline'); Nonce then returns secure's nonce;
//   - CrossOriginOpenerPolicy same-origin becomes same-origin-allow-popups
//     (as RewriteCOOP decides), and an empty one is set to it, as COOP does.
//
// The policies come out of secure exactly as written and merged, with
// $NONCE replaced. Secure runs both policies through fmt.Sprintf when
// either holds $NONCE; SecureOptions then escapes their '%' characters
// (write them as they are to be sent, not pre-escaped) and keeps a policy
// without $NONCE from gaining a "%!(EXTRA …)" suffix. The result is
// secure's input: pass it to secure.New, not to SecureOptions again.
//
// What merging cannot fix (see NewCSP) and the loss of cross-origin
// isolation (COOP same-origin rewritten while CrossOriginEmbedderPolicy is
// require-corp or credentialless) are logged through WithLogger's logger,
// or slog.Default(). WithSkip is an error: secure's headers are the same
// for every request. WithCacheSize has no effect.
//
// Use it when secure writes the site's only policy. When handlers or other
// middleware set policies too, wrap with Headers instead: it fixes every
// header at commit time, whoever wrote it.
func SecureOptions(o secure.Options, opts ...Option) (secure.Options, error) {
	c, err := newConfig(opts)
	if err != nil {
		return o, err
	}
	if c.skip != nil {
		return o, fmt.Errorf("%w: WithSkip in SecureOptions: secure sets the same headers on every request; use separate secure instances, or Headers, for routes to leave alone", ErrUnsupportedOption)
	}
	token := ""
	if c.nonce {
		token = secureNonce
	}
	s, err := c.sources(token)
	if err != nil {
		return o, err
	}
	logger := c.logger
	if logger == nil {
		logger = slog.Default()
	}

	var warnings []cspWarning
	policy, reportOnly := o.ContentSecurityPolicy, o.ContentSecurityPolicyReportOnly
	if policy == "" && c.baseline != nil {
		policy = *c.baseline
	}
	if policy != "" {
		var w []cspWarning
		policy, w = mergePolicyList(policy, &s)
		warnings = append(warnings, w...)
	}
	if c.reportOnly && reportOnly != "" {
		var w []cspWarning
		reportOnly, w = mergePolicyList(reportOnly, &s)
		warnings = append(warnings, w...)
	}
	if secureFormats(policy, reportOnly) {
		policy, reportOnly = asSecureFormat(policy), asSecureFormat(reportOnly)
	}
	o.ContentSecurityPolicy, o.ContentSecurityPolicyReportOnly = policy, reportOnly
	logged := map[cspWarning]bool{}
	for _, w := range warnings {
		if !logged[w] {
			logged[w] = true
			logCSPWarning(logger, w)
		}
	}

	if o.CrossOriginOpenerPolicy == "" {
		o.CrossOriginOpenerPolicy = COOPAllowPopups
	} else if v, changed := RewriteCOOP(o.CrossOriginOpenerPolicy); changed {
		o.CrossOriginOpenerPolicy = v
		if isCrossOriginIsolating([]string{o.CrossOriginEmbedderPolicy}) {
			logIsolationLoss(logger, o.CrossOriginEmbedderPolicy)
		}
	}
	return o, nil
}

// secureFormats reports whether secure.New (v1.17) will run both policies
// through fmt.Sprintf: it replaces $NONCE with 'nonce-%[1]s' in each, then
// formats both when either contains %[1]s.
func secureFormats(policy, reportOnly string) bool {
	formats := func(p string) bool {
		return strings.Contains(strings.ReplaceAll(p, secureNonce, "'nonce-%[1]s'"), "%[1]s")
	}
	return formats(policy) || formats(reportOnly)
}

// secureNonceSink formats secure's nonce argument as nothing. A policy that
// secure formats without $NONCE ends with it, or fmt would append
// "%!(EXTRA string=…)" for the unused nonce.
const secureNonceSink = "%.0[1]s"

// asSecureFormat turns a policy into the format string that secure's
// fmt.Sprintf turns back into the policy. An empty policy stays empty:
// secure does not send it.
func asSecureFormat(policy string) string {
	if policy == "" {
		return ""
	}
	policy = strings.ReplaceAll(policy, "%", "%%")
	if !strings.Contains(policy, secureNonce) {
		policy += secureNonceSink
	}
	return policy
}
