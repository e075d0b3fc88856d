package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/glomokit/glomo"
	"github.com/glomokit/glomo/webhook"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const (
	testSecret        = "sk_test_cmd_secret"
	testWebhookSecret = "whsec_cmd_secret"
)

func TestSignVerifyResult(t *testing.T) {
	env := map[string]string{envSecretKey: testSecret}
	want := glomo.Sign("order_1", "payt_1", "success", testSecret)

	r := runGlomo(t, env, "", "sign", "-order", "order_1", "-payment", "payt_1", "-status", "success")
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Equal(t, want+"\n", r.stdout)
	assert.NotContains(t, r.stdout+r.stderr, testSecret)

	// The same secret from stdin, no environment.
	r = runGlomo(t, nil, testSecret+"\n", "sign", "-secret-stdin", "-order", "order_1", "-payment", "payt_1", "-status", "success")
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Equal(t, want+"\n", r.stdout)

	tests := []struct {
		name string
		env  map[string]string
		in   string
		args []string
		code int
	}{
		{"valid", env, "", []string{"-signature", want}, exitOK},
		{"valid upper hex", env, "", []string{"-signature", strings.ToUpper(want)}, exitOK},
		{"valid from stdin", nil, testSecret, []string{"-secret-stdin", "-signature", want}, exitOK},
		{"wrong secret", map[string]string{envSecretKey: "other"}, "", []string{"-signature", want}, exitFail},
		{"malformed", env, "", []string{"-signature", "zz"}, exitFail},
		{"no secret", nil, "", []string{"-signature", want}, exitUsage},
		{"empty stdin secret", nil, "\n", []string{"-secret-stdin", "-signature", want}, exitUsage},
		{"no signature", env, "", nil, exitUsage},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"verify", "-order", "order_1", "-payment", "payt_1", "-status", "success"}, tt.args...)
			r := runGlomo(t, tt.env, tt.in, args...)
			assert.Equal(t, tt.code, r.code, r.stdout+r.stderr)
			assert.NotContains(t, r.stdout+r.stderr, testSecret)
		})
	}
	// The order id is part of the message.
	r = runGlomo(t, env, "", "verify", "-order", "order_2", "-payment", "payt_1", "-status", "success", "-signature", want)
	assert.Equal(t, exitFail, r.code)
}

func TestSignVerifyWebhook(t *testing.T) {
	body := []byte(`{"entity_type":"payment","event_type":"success","data":{"id":"payt_1"}}`)
	path := filepath.Join(t.TempDir(), "body.json")
	require.NoError(t, os.WriteFile(path, body, 0o600))
	env := map[string]string{envWebhookSecret: testWebhookSecret}
	want := webhook.Sign(body, webhook.Secret(testWebhookSecret))

	r := runGlomo(t, env, "", "sign", "-webhook", "-body", path)
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Equal(t, want+"\n", r.stdout)
	r = runGlomo(t, env, string(body), "sign", "-webhook", "-body", "-")
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Equal(t, want+"\n", r.stdout)

	r = runGlomo(t, env, "", "verify", "-webhook", "-body", path, "-signature", want)
	assert.Equal(t, exitOK, r.code, r.stderr)
	assert.Equal(t, "valid\n", r.stdout)
	r = runGlomo(t, nil, testWebhookSecret+"\n", "verify", "-webhook", "-secret-stdin", "-body", path, "-signature", want)
	assert.Equal(t, exitOK, r.code, r.stderr)

	// One byte more in the body: invalid.
	require.NoError(t, os.WriteFile(path, append(body, ' '), 0o600))
	r = runGlomo(t, env, "", "verify", "-webhook", "-body", path, "-signature", want)
	assert.Equal(t, exitFail, r.code)
	// The API secret key does not sign webhooks.
	r = runGlomo(t, map[string]string{envSecretKey: testWebhookSecret}, "", "verify", "-webhook", "-body", path, "-signature", want)
	assert.Equal(t, exitUsage, r.code)
	assert.Contains(t, r.stderr, envWebhookSecret)
}

func TestSignUsageErrors(t *testing.T) {
	env := map[string]string{envSecretKey: testSecret, envWebhookSecret: testWebhookSecret}
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"missing order", []string{"sign", "-payment", "p", "-status", "s"}, "missing -order"},
		{"separator", []string{"sign", "-order", "a|b", "-payment", "p", "-status", "s"}, "separator"},
		{"secret flag", []string{"sign", "-secret", "x", "-order", "o", "-payment", "p", "-status", "s"}, "flag provided but not defined"},
		{"webhook without body", []string{"sign", "-webhook"}, "needs -body"},
		{"body without webhook", []string{"sign", "-body", "x", "-order", "o", "-payment", "p", "-status", "s"}, "needs -webhook"},
		{"webhook with fields", []string{"sign", "-webhook", "-body", "x", "-order", "o"}, "do not apply"},
		{"missing file", []string{"sign", "-webhook", "-body", "/nonexistent/file"}, "-body"},
		{"both stdin", []string{"sign", "-webhook", "-body", "-", "-secret-stdin"}, "cannot both"},
		{"extra argument", []string{"sign", "-order", "o", "-payment", "p", "-status", "s", "extra"}, "unexpected argument"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runGlomo(t, env, "", tt.args...)
			assert.Equal(t, exitUsage, r.code)
			assert.Contains(t, r.stderr, tt.want)
			assert.NotContains(t, r.stdout+r.stderr, testSecret)
		})
	}
}
