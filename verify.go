package glomo

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strings"
	"sync"

	"github.com/glomokit/glomo/internal/hexmac"
)

// Errors of signature verification, returned by [Verify] and by package
// webhook's Verify. Test for them with [errors.Is]: the returned error may
// wrap one of them with the name of the offending field. None of them ever
// contains the signature or a secret.
var (
	// ErrSignatureMismatch means the signature is well formed but no
	// configured secret produces it for these fields.
	ErrSignatureMismatch = errors.New("glomo: signature does not match")
	// ErrMissingSignature means there was no signature at all, such as a
	// webhook without its X-Glomopay-Signature header.
	ErrMissingSignature = errors.New("glomo: missing signature")
	// ErrMalformedSignature means the signature is not 64 hexadecimal
	// characters (32 bytes), so it cannot be a Glomo signature.
	ErrMalformedSignature = errors.New("glomo: malformed signature")
	// ErrMissingField means the order id, payment id or status is empty or
	// contains the "|" separator. A separator inside a field would let
	// different field values produce the same signed message.
	ErrMissingField = errors.New("glomo: missing or invalid field")
	// ErrNoSecret means no non-empty secret was given. An empty key never
	// matches: an HMAC keyed with "" proves nothing.
	ErrNoSecret = errors.New("glomo: no secret key")
)

// invalidFieldError names the field that made Verify fail, without its value.
type invalidFieldError struct {
	field  string
	reason string
}

func (e *invalidFieldError) Error() string {
	return ErrMissingField.Error() + ": " + e.field + " " + e.reason
}

func (e *invalidFieldError) Unwrap() error { return ErrMissingField }

// checkField rejects what cannot be part of an unambiguous signed message.
func checkField(name, v string) error {
	if v == "" {
		return &invalidFieldError{field: name, reason: "is empty"}
	}
	if strings.IndexByte(v, '|') >= 0 {
		return &invalidFieldError{field: name, reason: "contains '|'"}
	}
	return nil
}

// Sign returns the checkout signature Glomo attaches to a payment result:
// the lowercase hex HMAC-SHA256 of orderID|paymentID|status keyed with the
// secret key. Merchants' tests use it to build signed results.
func Sign(orderID, paymentID, status, secret string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(orderID + "|" + paymentID + "|" + status))
	return hex.EncodeToString(m.Sum(nil))
}

// Verify checks a checkout signature: the hex HMAC-SHA256 of
// orderID|paymentID|status, keyed with one of secrets.
//
// orderID must be the id the merchant's server created (from its session or
// database), never the one the browser sent back: Glomo signs the order it
// was asked to charge, so checking the browser's copy would let a buyer
// replay another order's signed result.
//
// Several secrets may be given because Glomo keeps an old key valid for a
// while after rotation; any one that matches is enough. Empty secrets are
// skipped, and [ErrNoSecret] is returned when none is left. The signature is
// accepted in either hex case and compared in constant time.
//
// Verify returns nil when the signature is valid, or an error that
// [errors.Is] matches against [ErrNoSecret], [ErrMissingField],
// [ErrMalformedSignature] or [ErrSignatureMismatch], checked in that order.
func Verify(orderID, paymentID, status, signature string, secrets ...string) error {
	haveSecret := false
	for _, s := range secrets {
		if s != "" {
			haveSecret = true
			break
		}
	}
	if !haveSecret {
		return ErrNoSecret
	}
	if err := checkField("order id", orderID); err != nil {
		return err
	}
	if err := checkField("payment id", paymentID); err != nil {
		return err
	}
	if err := checkField("status", status); err != nil {
		return err
	}
	// Decoding into an array keeps the hot path free of allocations; a
	// signature of the wrong length is rejected before any HMAC work.
	var want [hexmac.Size]byte
	if !hexmac.Decode(&want, signature) {
		return ErrMalformedSignature
	}

	sc := scratchPool.Get().(*scratch)
	defer func() {
		// Do not leave a copy of a secret lying in the pool.
		clear(sc.key)
		scratchPool.Put(sc)
	}()
	// The message is built in a pooled buffer rather than by concatenating
	// strings: hash.Hash is an interface, so anything passed to it escapes.
	sc.msg = append(append(append(append(append(sc.msg[:0],
		orderID...), '|'), paymentID...), '|'), status...)
	for _, s := range secrets {
		if s == "" {
			continue
		}
		sc.key = append(sc.key[:0], s...)
		m := hmac.New(sha256.New, sc.key)
		m.Write(sc.msg) // hash.Hash.Write never fails
		sc.sum = m.Sum(sc.sum[:0])
		if hmac.Equal(sc.sum, want[:]) {
			return nil
		}
	}
	return ErrSignatureMismatch
}

// scratch holds the buffers one Verify call needs; pooling them keeps
// Verify at the cost of the HMAC itself.
type scratch struct {
	msg, key, sum []byte
}

var scratchPool = sync.Pool{New: func() any {
	return &scratch{
		msg: make([]byte, 0, 128),
		key: make([]byte, 0, 64),
		sum: make([]byte, 0, hexmac.Size),
	}
}}
