package main

import (
	"strings"
	"testing"

	"github.com/glomokit/glomo"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCSPMergeEqualsLibrary(t *testing.T) {
	policies := []string{
		"default-src 'self'",
		"default-src 'none'; img-src 'self'; frame-src 'none'",
		"script-src 'self' 'strict-dynamic' 'nonce-abc'; object-src 'none'",
		"default-src 'self'; script-src 'self' 'unsafe-inline' https://glomopay-checkout-sdk.web.app; frame-src 'self' https://glomopay-checkout-sdk.web.app https://*.glomopay.com; connect-src 'self' https://glomopay-checkout-sdk.web.app https://*.glomopay.com; style-src 'self' 'unsafe-inline';",
		"img-src *",
		"default-src 'self', script-src https:",
		"DEFAULT-SRC 'self'; script-src-elem 'self'; child-src blob:",
		"default-src *",
		"frame-ancestors 'none'; report-uri /csp",
	}
	optionSets := []struct {
		name string
		args []string
		set  [4][]string
	}{
		{name: "defaults"},
		{name: "extra", args: []string{"-extra", "https://sandbox.example.com"}, set: [4][]string{nil, nil, nil, {"https://sandbox.example.com"}}},
		{name: "replace script", args: []string{"-script-src", "https://sdk.example.com"}, set: [4][]string{{"https://sdk.example.com"}, nil, nil, nil}},
		{name: "replace all and extra", args: []string{"-frame-src", "https://f.example.com", "-connect-src", "https://c.example.com", "-connect-src", "https://d.example.com", "-extra", "https://x.example.com:8443"},
			set: [4][]string{nil, {"https://f.example.com"}, {"https://c.example.com", "https://d.example.com"}, {"https://x.example.com:8443"}}},
	}
	for _, os := range optionSets {
		for _, p := range policies {
			t.Run(os.name+"/"+p, func(t *testing.T) {
				want, err := glomo.MergeCSP(p, mergeOptions(os.set[0], os.set[1], os.set[2], os.set[3])...)
				require.NoError(t, err)
				args := append(append([]string{"csp", "merge"}, os.args...), p)
				r := runGlomo(t, nil, "", args...)
				require.Equal(t, exitOK, r.code, r.stderr)
				assert.Equal(t, want+"\n", r.stdout)
				// The same from stdin, with and without "-".
				r = runGlomo(t, nil, p+"\n", append(append([]string{"csp", "merge"}, os.args...), "-")...)
				require.Equal(t, exitOK, r.code, r.stderr)
				assert.Equal(t, want+"\n", r.stdout)
				r = runGlomo(t, nil, p+"\r\n", append([]string{"csp", "merge"}, os.args...)...)
				require.Equal(t, exitOK, r.code, r.stderr)
				assert.Equal(t, want+"\n", r.stdout)
			})
		}
	}
}

func TestCSPMergeKnownAnswer(t *testing.T) {
	// Reviewed by hand against CSP-NOTES: default-src is not widened; the
	// three directives are created from it.
	r := runGlomo(t, nil, "", "csp", "merge", "default-src 'self'")
	require.Equal(t, exitOK, r.code)
	assert.Equal(t, "default-src 'self'; script-src 'self' https://glomopay-checkout-sdk.web.app; frame-src 'self' https://glomopay-checkout-sdk.web.app https://*.glomopay.com; connect-src 'self' https://glomopay-checkout-sdk.web.app https://*.glomopay.com\n", r.stdout)
}

func TestCSPMergeErrors(t *testing.T) {
	tests := []struct {
		name  string
		stdin string
		args  []string
		want  string
	}{
		{"no subcommand", "", []string{"csp"}, "missing subcommand"},
		{"unknown subcommand", "", []string{"csp", "split"}, "unknown subcommand"},
		{"empty stdin", "", []string{"csp", "merge"}, "no policy"},
		{"two lines", "default-src 'self'\nimg-src *\n", []string{"csp", "merge"}, "2 lines"},
		{"two args", "", []string{"csp", "merge", "a", "b"}, "one policy expected"},
		{"bad source", "", []string{"csp", "merge", "-extra", "'self'", "default-src 'self'"}, "invalid CSP source"},
		{"wildcard source", "", []string{"csp", "merge", "-script-src", "*", "default-src 'self'"}, "invalid CSP source"},
		{"bad flag", "", []string{"csp", "merge", "-nope", "x"}, "flag provided but not defined"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runGlomo(t, nil, tt.stdin, tt.args...)
			assert.Equal(t, exitUsage, r.code)
			assert.Contains(t, r.stderr, tt.want)
			assert.Empty(t, r.stdout)
		})
	}
}

func TestHelp(t *testing.T) {
	for _, args := range [][]string{{"-h"}, {"csp", "merge", "-h"}, {"doctor", "-h"}, {"sign", "-h"}, {"verify", "-h"}} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			r := runGlomo(t, nil, "", args...)
			assert.Equal(t, exitOK, r.code)
			assert.Contains(t, r.stdout, "Usage")
			if len(args) > 1 {
				assert.Contains(t, r.stdout, "Exit codes")
				assert.Contains(t, r.stdout, "Examples")
			}
		})
	}
	r := runGlomo(t, nil, "")
	assert.Equal(t, exitUsage, r.code)
	r = runGlomo(t, nil, "", "frobnicate")
	assert.Equal(t, exitUsage, r.code)
	assert.Contains(t, r.stderr, "unknown command")
}
