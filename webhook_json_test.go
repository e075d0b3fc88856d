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

// TestParseWebhookEventKnownWordsDoNotAllocate checks that the entity
// types, event types and statuses Glomo documents decode to the package's
// own strings: parsing such an event allocates only its dedupe key, and a
// word the package does not know costs one allocation more wherever it
// appears.
func TestParseWebhookEventKnownWordsDoNotAllocate(t *testing.T) {
	known := []string{
		"payment", "orders", "payout", "refund", "payment_link", "subscription", "webhook_test",
		"test", "success", "failed", "paid", "in_progress", "action_required", "under_review",
		"cancelled", "expired", "active",
	}
	for _, word := range append(known, "payout_reversed") {
		t.Run(word, func(t *testing.T) {
			body := []byte(`{"entity_type":"` + word + `","event_type":"` + word + `","data":{"id":"x_1","status":"` + word + `"}}`)
			e, err := ParseWebhookEvent(body)
			require.NoError(t, err)
			require.Equal(t, []string{word, word, word}, []string{e.EntityType, e.EventType, e.Status()})
			want := 1.0 // the dedupe key
			if word == "payout_reversed" {
				want += 3
			}
			assert.Equal(t, want, testing.AllocsPerRun(20, func() { _, _ = ParseWebhookEvent(body) }))
		})
	}
}

// TestPlainRun puts every byte value at every position of buffers longer
// and shorter than the eight bytes plainRun tests at once, alone and
// followed by bytes whose test a borrow from it could upset, and compares
// the run with the first byte plainReference refuses.
func TestPlainRun(t *testing.T) {
	reference := func(b []byte) int {
		for i := range b {
			if !plainReference(string(b[i : i+1])) {
				return i
			}
		}
		return len(b)
	}
	for _, n := range []int{0, 1, 7, 8, 9, 15, 16, 17, 24} {
		for p := 0; p < n; p++ {
			for c := 0; c < 256; c++ {
				for _, next := range []int{'a', 0x00, 0x1f, 0x20, 0x21, '"', '#', '\\', ']', 0x7f, 0x80, 0xff} {
					b := []byte(strings.Repeat("a", n))
					b[p] = byte(c)
					if p+1 < n {
						b[p+1] = byte(next)
					}
					if got, want := plainRun(b), reference(b); got != want {
						t.Fatalf("plainRun(%q) = %d, want %d", b, got, want)
					}
				}
			}
		}
	}
	assert.Equal(t, 0, plainRun(nil))
}
