package glomo

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math/bits"
)

// jsonScanner walks a JSON document without building it. The webhook
// handler needs four short strings out of a body that may be up to a
// mebibyte; encoding/json's state machine would cost several times the
// HMAC over the same bytes, while skipping long strings with
// bytes.IndexByte keeps parsing far below it.
type jsonScanner struct {
	b []byte
	i int
}

// maxJSONDepth bounds nesting so a deep body cannot exhaust the stack.
const maxJSONDepth = 512

func (s *jsonScanner) errorf(format string, args ...any) error {
	return fmt.Errorf("offset %d: "+format, append([]any{s.i}, args...)...)
}

func (s *jsonScanner) ws() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// peek returns the next byte, or 0 at the end.
func (s *jsonScanner) peek() byte {
	if s.i < len(s.b) {
		return s.b[s.i]
	}
	return 0
}

// openObject moves past the '{' that opens an object at s.i. Walk its
// members with nextMember.
func (s *jsonScanner) openObject(depth int) error {
	if depth > maxJSONDepth {
		return s.errorf("nested too deeply")
	}
	if s.peek() != '{' {
		return s.errorf("want an object")
	}
	s.i++
	return nil
}

// nextMember moves to the next member of the object opened by openObject
// and returns its decoded name, leaving s.i at the value, which the caller
// must consume before calling nextMember again; more is false past the
// closing '}'. first says whether this is the object's first call. The
// name may alias the document: the caller must not keep it.
func (s *jsonScanner) nextMember(first bool) (key []byte, more bool, err error) {
	s.ws()
	switch c := s.peek(); {
	case c == '}' && first:
		s.i++
		return nil, false, nil
	case first:
	case c == ',':
		s.i++
		s.ws()
	case c == '}':
		s.i++
		return nil, false, nil
	default:
		return nil, false, s.errorf("want ',' or '}'")
	}
	if s.peek() != '"' {
		return nil, false, s.errorf("want a member name")
	}
	// Member names are short and plain: take them in place, and leave
	// anything else to key.
	j := s.i + 1
	j += plainRun(s.b[j:])
	if j < len(s.b) && s.b[j] == '"' {
		key = s.b[s.i+1 : j]
		s.i = j + 1
	} else if key, err = s.key(); err != nil {
		return nil, false, err
	}
	s.ws()
	if s.peek() != ':' {
		return nil, false, s.errorf("want ':'")
	}
	s.i++
	s.ws()
	return key, true, nil
}

// stringByte classifies bytes inside a JSON string: 0 for printable ASCII
// other than the quote and the backslash, which are their own decoding.
var stringByte = func() (t [256]byte) {
	for c := range t {
		switch {
		case c == '"':
			t[c] = '"'
		case c == '\\':
			t[c] = '\\'
		case c < 0x20 || c >= 0x80:
			t[c] = 1
		}
	}
	return t
}()

// plainRun returns how many bytes at the start of b are plain inside a
// JSON string: printable ASCII other than the quote and the backslash.
// It tests eight bytes at a time while it can.
func plainRun(b []byte) int {
	n := 0
	for ; len(b)-n >= 8; n += 8 {
		if m := notPlainBytes(binary.LittleEndian.Uint64(b[n:])); m != 0 {
			return n + bits.TrailingZeros64(m)/8
		}
	}
	for n < len(b) && stringByte[b[n]] == 0 {
		n++
	}
	return n
}

// notPlainBytes marks, in the high bit of each byte of the result, the
// bytes of x (read little-endian) that are not plain: below 0x20, at or
// above 0x80, a quote or a backslash. A byte's subtraction may borrow
// from the byte above it, which can mark a plain byte above a marked one;
// the lowest mark is always exact, and it is the only one plainRun reads.
func notPlainBytes(x uint64) uint64 {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	quote, backslash := x^(ones*'"'), x^(ones*'\\')
	control := (x - ones*0x20) &^ x
	return (control | (quote-ones)&^quote | (backslash-ones)&^backslash | x) & highs
}

// shortString is how many bytes of a string skipString inspects with
// plainRun before it hands the rest to bytes.IndexByte: member names and
// the words Glomo sends are shorter, notes and descriptions often longer.
const shortString = 32

// skipString moves past the string at s.i and returns its raw token. With
// checkPlain it also reports whether the contents are plain: printable
// ASCII without escapes, and so their own decoding. Without, plain is true
// only for a plain string of at most shortString bytes: the rest of a
// longer one is not inspected.
func (s *jsonScanner) skipString(checkPlain bool) (tok []byte, plain bool, err error) {
	start := s.i
	if s.peek() != '"' {
		return nil, false, s.errorf("want a string")
	}
	j := start + 1
	j += plainRun(s.b[j:min(len(s.b), j+shortString)])
	if j < len(s.b) && s.b[j] == '"' {
		s.i = j + 1
		return s.b[start:s.i], true, nil
	}
	// Stopped by the limit or by a byte that needs a look: from here on
	// only the string's end matters, and whether the rest is plain.
	checked := j
	for {
		k := bytes.IndexByte(s.b[j:], '"')
		if k < 0 {
			return nil, false, s.errorf("unterminated string")
		}
		j += k
		// The quote ends the string unless an odd run of backslashes
		// escapes it.
		n := 0
		for p := j - 1; p > start && s.b[p] == '\\'; p-- {
			n++
		}
		j++
		if n%2 == 0 {
			s.i = j
			return s.b[start:j], checkPlain && isPlainJSONString(s.b[checked:j-1]), nil
		}
	}
}

// key decodes a member name. A plain one is returned as a slice of the
// document, without allocating.
func (s *jsonScanner) key() ([]byte, error) {
	tok, plain, err := s.skipString(true)
	if err != nil {
		return nil, err
	}
	if plain {
		return tok[1 : len(tok)-1], nil
	}
	v, err := s.decodeString(tok)
	return []byte(v), err
}

// stringValue decodes the string at s.i. Plain ASCII takes a fast path,
// which returns the package's own copy of the words Glomo sends as entity
// and event types and statuses instead of allocating one; anything with
// escapes, control bytes or non-ASCII goes through encoding/json so that
// it validates and decodes exactly as Unmarshal does.
func (s *jsonScanner) stringValue() (string, error) {
	tok, plain, err := s.skipString(true)
	if err != nil {
		return "", err
	}
	if !plain {
		return s.decodeString(tok)
	}
	inner := tok[1 : len(tok)-1]
	if w, ok := knownWord(inner); ok {
		return w, nil
	}
	return string(inner), nil
}

func (s *jsonScanner) decodeString(tok []byte) (string, error) {
	var v string
	if err := json.Unmarshal(tok, &v); err != nil {
		return "", s.errorf("invalid string")
	}
	return v, nil
}

// isPlainJSONString reports whether a string token's contents are printable
// ASCII without escapes, and so are their own decoding.
func isPlainJSONString(inner []byte) bool {
	return plainRun(inner) == len(inner)
}

// knownWord returns the constant string equal to b for the entity types,
// event types and statuses in Glomo's webhooks.
func knownWord(b []byte) (string, bool) {
	switch string(b) { // the compiler does not allocate for this conversion
	case EntityPayment:
		return EntityPayment, true
	case EntityOrders:
		return EntityOrders, true
	case EntityWebhookTest:
		return EntityWebhookTest, true
	case "payout":
		return "payout", true
	case "refund":
		return "refund", true
	case "payment_link":
		return "payment_link", true
	case "subscription":
		return "subscription", true
	case EventTest:
		return EventTest, true
	case "success":
		return "success", true
	case "failed":
		return "failed", true
	case "paid":
		return "paid", true
	case "in_progress":
		return "in_progress", true
	case "action_required":
		return "action_required", true
	case "under_review":
		return "under_review", true
	case "cancelled":
		return "cancelled", true
	case "expired":
		return "expired", true
	case "active":
		return "active", true
	}
	return "", false
}

// skipValue moves past any JSON value at s.i, checking its structure.
func (s *jsonScanner) skipValue(depth int) error {
	if depth > maxJSONDepth {
		return s.errorf("nested too deeply")
	}
	switch c := s.peek(); {
	case c == '"':
		_, _, err := s.skipString(false)
		return err
	case c == '{':
		if err := s.openObject(depth); err != nil {
			return err
		}
		for first := true; ; first = false {
			_, more, err := s.nextMember(first)
			if err != nil || !more {
				return err
			}
			if err := s.skipValue(depth + 1); err != nil {
				return err
			}
		}
	case c == '[':
		s.i++
		s.ws()
		if s.peek() == ']' {
			s.i++
			return nil
		}
		for {
			s.ws()
			if err := s.skipValue(depth + 1); err != nil {
				return err
			}
			s.ws()
			switch s.peek() {
			case ',':
				s.i++
			case ']':
				s.i++
				return nil
			default:
				return s.errorf("want ',' or ']'")
			}
		}
	case c == 't':
		return s.literal("true")
	case c == 'f':
		return s.literal("false")
	case c == 'n':
		return s.literal("null")
	case c == '-' || (c >= '0' && c <= '9'):
		return s.number()
	default:
		return s.errorf("want a value")
	}
}

func (s *jsonScanner) literal(word string) error {
	if !bytes.HasPrefix(s.b[s.i:], []byte(word)) {
		return s.errorf("invalid literal")
	}
	s.i += len(word)
	return nil
}

// number checks the JSON number grammar:
// -? (0 | [1-9][0-9]*) (\.[0-9]+)? ([eE][+-]?[0-9]+)?
func (s *jsonScanner) number() error {
	if s.peek() == '-' {
		s.i++
	}
	switch c := s.peek(); {
	case c == '0':
		s.i++
	case c >= '1' && c <= '9':
		s.digits()
	default:
		return s.errorf("invalid number")
	}
	if s.peek() == '.' {
		s.i++
		if s.digits() == 0 {
			return s.errorf("invalid number")
		}
	}
	if c := s.peek(); c == 'e' || c == 'E' {
		s.i++
		if c := s.peek(); c == '+' || c == '-' {
			s.i++
		}
		if s.digits() == 0 {
			return s.errorf("invalid number")
		}
	}
	return nil
}

func (s *jsonScanner) digits() int {
	n := 0
	for s.i < len(s.b) && s.b[s.i] >= '0' && s.b[s.i] <= '9' {
		s.i++
		n++
	}
	return n
}
