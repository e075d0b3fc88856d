package glomo

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestParseSourceExpressionRejectsNonSources pins that parseSourceExpression
// reports false, without panicking, for what is neither a scheme-source nor
// a host-source, starting with the empty string: callers today never pass
// one, but the function's contract covers every input.
func TestParseSourceExpressionRejectsNonSources(t *testing.T) {
	for _, s := range []string{"", "'self'", "'nonce-abc'", ":", "://a.example", "1https:", "https:///x", "https://:443"} {
		t.Run(s, func(t *testing.T) {
			assert.NotPanics(t, func() {
				_, ok := parseSourceExpression(s)
				assert.False(t, ok)
			})
		})
	}
}

// TestRenderWithoutEditsKeepsPolicy pins render's promise that tokens no
// edit touches are kept byte for byte, for policies of blank tokens too.
// (mergePolicy only renders with edits; FuzzParseCSP relies on render(nil)
// rebuilding any policy.)
func TestRenderWithoutEditsKeepsPolicy(t *testing.T) {
	for _, policy := range []string{"", " ", "\t", "  \t ", " ;", "; ", " ; "} {
		t.Run(policy, func(t *testing.T) {
			p := parseCSP(policy)
			assert.Equal(t, policy, p.render(nil))
		})
	}
}
