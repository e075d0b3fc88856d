package main

import (
	"encoding/json"
	"fmt"
	"strings"
)

// addFixes attaches, to every finding a header or code change fixes, how
// to make it on the chosen stacks.
func addFixes(rep *Report, stack string) {
	chosen := stacks
	if stack != "all" {
		chosen = []string{stack}
	}
	for i := range rep.Findings {
		fd := &rep.Findings[i]
		if fd.Header == "" && fd.Policy >= 0 && fd.Policy < len(rep.Policies) && isBlockRule(fd.Rule) {
			p := rep.Policies[fd.Policy]
			fd.Header, fd.Value = headerName(p), p.MergedField
			if p.Source == "meta" {
				fd.Header = ""
				fd.Fixes = []Fix{{Stack: "html", Text: fmt.Sprintf(`<meta http-equiv="Content-Security-Policy" content="%s">`, attrEscape(p.MergedField))}}
				continue
			}
		}
		if fd.Header != "" {
			for _, s := range chosen {
				fd.Fixes = append(fd.Fixes, Fix{Stack: s, Text: headerSnippet(s, fd.Header, fd.Value)})
			}
			continue
		}
		if advice := adviceFor(fd.Rule); advice != "" {
			fd.Fixes = []Fix{{Stack: "any", Text: advice}}
		}
	}
}

func isBlockRule(rule string) bool {
	switch rule {
	case "csp-blocks-script", "csp-blocks-frame", "csp-blocks-connect", "csp-report-only-blocks":
		return true
	}
	return false
}

// adviceFor is the fix of findings that no header value fixes.
func adviceFor(rule string) string {
	switch rule {
	case "csp-strict-dynamic":
		return "import the SDK from a <script type=\"module\"> that carries the page's nonce (nonce=\"...\" matching 'nonce-...' in script-src); in Go, glomo.CSP(glomo.WithNonce()) and glomo.Nonce(r.Context()) in the template"
	case "csp-sandbox":
		return "remove sandbox from the checkout page's policy, or add allow-scripts allow-popups (and allow-same-origin if the page needs its origin)"
	case "csp-trusted-types":
		return "test the checkout with require-trusted-types-for; if the SDK is refused, define a default Trusted Types policy or drop require-trusted-types-for on the checkout page"
	case "inline-script-blocked":
		return "give the inline <script type=\"module\"> the page's nonce (the same per-response value as 'nonce-...' in script-src), or move the snippet into a file on your origin; do not add 'unsafe-inline'. In Go: glomo.CSP(glomo.WithNonce()) and nonce=\"{{.Nonce}}\" from glomo.Nonce(r.Context())"
	case "csp-meta":
		return "edit the <meta http-equiv=\"Content-Security-Policy\"> in the page's template, or move the policy into a response header so the server (or glomo.Headers()) can merge it"
	case "coep-isolation-lost":
		return "serve the checkout from a page that does not need cross-origin isolation; keep COOP same-origin and COEP on the pages that do"
	case "http-status":
		return "point doctor at the page that shows the checkout; behind a login, pass -cookie 'session=...' or -header 'Authorization: ...'"
	}
	return ""
}

// headerSnippet is how a stack sends header name with value. Each snippet
// replaces that stack's existing setting of the header.
func headerSnippet(stack, name, value string) string {
	switch stack {
	case "nginx":
		return fmt.Sprintf("add_header %s \"%s\";", name, escapeBackslashQuote(value))
	case "apache":
		return fmt.Sprintf("Header set %s \"%s\"", name, escapeBackslashQuote(value))
	case "express":
		return fmt.Sprintf("app.use((req, res, next) => {\n  res.setHeader('%s', %s);\n  next();\n});", name, jsString(value))
	case "nextjs":
		return fmt.Sprintf("// next.config.js\nmodule.exports = {\n  async headers() {\n    return [{ source: '/(.*)', headers: [{ key: '%s', value: %s }] }];\n  },\n};", name, jsString(value))
	case "django":
		return fmt.Sprintf("# middleware: in __call__, after response = self.get_response(request)\nresponse[%s] = %s", pyString(name), pyString(value))
	case "rails":
		return fmt.Sprintf("# config/application.rb (or the Rack::Headers middleware of the guide)\nconfig.action_dispatch.default_headers[%s] = %s", rubyString(name), rubyString(value))
	case "iis":
		return fmt.Sprintf("<!-- web.config: system.webServer/httpProtocol/customHeaders -->\n<remove name=\"%s\" />\n<add name=\"%s\" value=\"%s\" />", name, name, attrEscape(value))
	case "go":
		if strings.HasPrefix(name, "Content-Security-Policy") {
			opt := ""
			if strings.HasSuffix(name, "Report-Only") {
				opt = "glomo.WithReportOnly()"
			}
			return fmt.Sprintf("handler = glomo.Headers(%s)(handler) // merges Glomo's sources into whatever %s the site sends", opt, name)
		}
		return "handler = glomo.Headers()(handler) // rewrites COOP same-origin to same-origin-allow-popups (glomo.COOP for COOP alone)"
	}
	return name + ": " + value
}

func escapeBackslashQuote(s string) string {
	return strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s)
}

// jsString quotes s as a JavaScript string literal.
func jsString(s string) string {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s)
	return strings.TrimSuffix(b.String(), "\n")
}

// pyString quotes s as a Python string literal.
func pyString(s string) string {
	return `"` + escapeBackslashQuote(s) + `"`
}

// rubyString quotes s as a Ruby string literal without interpolation.
func rubyString(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`, `#`, `\#`).Replace(s) + `"`
}

// attrEscape escapes s for a double-quoted HTML or XML attribute.
func attrEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", `"`, "&quot;", "<", "&lt;", ">", "&gt;").Replace(s)
}
