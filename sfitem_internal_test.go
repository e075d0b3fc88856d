package glomo

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestParseSFTokenFirstCharacter pins RFC 8941's sf-token start rule,
// sf-token = ( ALPHA / "*" ) *( tchar / ":" / "/" ): a token may start with
// "*" but not with a digit, a sign or a quote (a string is not a token).
// RewriteCOOP and the COEP check compare the token against names that start
// with a letter, so only parseSFToken itself shows this.
func TestParseSFTokenFirstCharacter(t *testing.T) {
	tests := []struct {
		in, token string
		ok        bool
	}{
		{"*foo", "*foo", true},
		{"*", "*", true},
		{"*;a=1", "*", true},
		{"foo", "foo", true},
		{"1foo", "", false},
		{"-foo", "", false},
		{`"foo"`, "", false},
		{":Zm9v:", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			token, _, ok := parseSFToken(tt.in)
			assert.Equal(t, tt.ok, ok)
			assert.Equal(t, tt.token, token)
		})
	}
}
