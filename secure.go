package glomo

import "github.com/unrolled/secure"

// secureNonce is unrolled/secure's placeholder for its per-request nonce.
const secureNonce = "$NONCE"

// SecureOptions returns o, an unrolled/secure configuration, fixed once at
// start-up for Glomo Checkout:
//
//   - Glomo's sources are merged into ContentSecurityPolicy (and into
//     ContentSecurityPolicyReportOnly with WithReportOnly), as MergeCSP does;
//   - with WithNonce, secure's $NONCE placeholder is added to the script
//     directive that receives the SDK host (unless it already has it or
//     relies on 'unsafe-inline'); Nonce then returns secure's nonce;
//   - CrossOriginOpenerPolicy same-origin becomes same-origin-allow-popups,
//     and an empty one is set to it, as COOP does.
//
// Use it when secure writes the site's only policy. When handlers or other
// middleware set policies too, wrap with Headers instead: it fixes every
// header at commit time, whoever wrote it.
func SecureOptions(o secure.Options, opts ...CSPOption) (secure.Options, error) {
	c, err := newCSPConfig(opts)
	if err != nil {
		return o, err
	}
	token := ""
	if c.nonce {
		token = secureNonce
	}
	s, err := c.sources(token)
	if err != nil {
		return o, err
	}
	if o.ContentSecurityPolicy != "" {
		o.ContentSecurityPolicy, _ = mergePolicyList(o.ContentSecurityPolicy, &s)
	}
	if c.reportOnly && o.ContentSecurityPolicyReportOnly != "" {
		o.ContentSecurityPolicyReportOnly, _ = mergePolicyList(o.ContentSecurityPolicyReportOnly, &s)
	}
	if o.CrossOriginOpenerPolicy == "" {
		o.CrossOriginOpenerPolicy = COOPAllowPopups
	} else {
		o.CrossOriginOpenerPolicy, _ = RewriteCOOP(o.CrossOriginOpenerPolicy)
	}
	return o, nil
}
