package glomo

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// plainReference is the definition skipString's plain result must match:
// no byte that needs decoding or validation.
func plainReference(inner string) bool {
	for i := 0; i < len(inner); i++ {
		if c := inner[i]; c < 0x20 || c == '"' || c == '\\' || c >= 0x80 {
			return false
		}
	}
	return true
}

// TestSkipStringAroundShortString moves one byte that needs a look (or
// none) through every position of strings shorter and longer than the
// bytes scanned one at a time, so both scanning loops and the hand-over
// between them find the same end and the same plainness.
func TestSkipStringAroundShortString(t *testing.T) {
	specials := map[string]string{
		"none": "", "escaped quote": `\"`, "escaped backslash": `\\`, "escape": `\n`,
		"unicode escape": `\u00e9`, "control byte": "\x01", "non-ASCII": "é", "DEL": "\x7f",
	}
	for name, special := range specials {
		t.Run(name, func(t *testing.T) {
			for n := 0; n <= 2*shortString+8; n++ {
				for p := 0; p <= n; p++ {
					inner := strings.Repeat("a", p) + special + strings.Repeat("b", n-p)
					doc := `"` + inner + `",1`
					for _, checkPlain := range []bool{true, false} {
						s := jsonScanner{b: []byte(doc)}
						tok, plain, err := s.skipString(checkPlain)
						where := fmt.Sprintf("len %d, at %d, checkPlain %v", n, p, checkPlain)
						require.NoError(t, err, where)
						require.Equal(t, `"`+inner+`"`, string(tok), where)
						require.Equal(t, len(tok), s.i, where)
						if checkPlain {
							require.Equal(t, plainReference(inner), plain, where)
						}
					}
				}
			}
		})
	}
}

func TestSkipStringUnterminated(t *testing.T) {
	for _, doc := range []string{
		`"`, `"abc`, `"abc\"`, `"abc\\\"`, `"` + strings.Repeat("x", shortString-1) + `\`,
		`"` + strings.Repeat("x", shortString) + `\"`, `"` + strings.Repeat("x", 3*shortString),
	} {
		s := jsonScanner{b: []byte(doc)}
		_, _, err := s.skipString(true)
		assert.Error(t, err, "%q", doc)
	}
}
