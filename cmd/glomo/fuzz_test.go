package main

import (
	"strings"
	"testing"

	"github.com/glomokit/glomo"
)

func FuzzPolicyAnalysis(f *testing.F) {
	for _, s := range []string{"default-src 'self'", guideCSP, "script-src 'nonce-a' 'strict-dynamic'; sandbox", "a,b;;c ;", "DEFAULT-SRC *, frame-src 'none'", "\x80 x; script-src"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, policy string) {
		for i, part := range splitPolicies(policy) {
			p, err := analyzePolicy(policyInput{source: "header", index: i, text: part, fieldValue: policy})
			if err != nil {
				t.Fatal(err)
			}
			// Merging the merged policy changes nothing, so it allows all.
			again, err := analyzePolicy(policyInput{source: "header", text: p.Merged})
			if err != nil {
				t.Fatal(err)
			}
			if strings.IndexByte(p.Merged, ',') < 0 && (!again.Script.Allowed || !again.Frame.Allowed || !again.Connect.Allowed) {
				t.Fatalf("merged policy %q still blocks: %+v", p.Merged, again)
			}
			_ = policyFindings(p, i, false)
		}
		_ = parsePolicy(policy).governing(chainFrame)
		_, _ = glomo.MergeCSP(policy)
	})
}

func FuzzParsePage(f *testing.F) {
	f.Add([]byte(page(`<meta http-equiv="Content-Security-Policy" content="default-src 'self'">`, guideSnippet(` nonce="x"`))))
	f.Add([]byte("<meta http-equiv=content-security-policy content=x><script>GlomoCheckoutApi"))
	f.Add([]byte("\x00\xff<"))
	f.Fuzz(func(t *testing.T, body []byte) {
		info := parsePage(body)
		for _, s := range info.scripts {
			_ = s.loadsGlomo()
		}
	})
}

func FuzzHeaderFlag(f *testing.F) {
	for _, s := range []string{"Authorization: Basic x", "X: a\r\nY: b", "no colon", ": empty", "X-A:\tv\t"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		name, value, err := parseHeaderFlag(s)
		if err != nil {
			return
		}
		if strings.ContainsAny(name+value, "\r\n\x00") || name == "" {
			t.Fatalf("accepted %q as %q: %q", s, name, value)
		}
	})
}

func FuzzSFToken(f *testing.F) {
	for _, s := range []string{"same-origin", `same-origin; report-to="x"`, "SAME-ORIGIN", " unsafe-none ", "a b", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		tok := sfToken(s)
		if tok != "" && !strings.Contains(s, tok) {
			t.Fatalf("token %q not in %q", tok, s)
		}
		_ = effectiveCOOP([]string{s})
	})
}
