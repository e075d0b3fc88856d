// Package hexmac decodes the hex HMAC-SHA256 signatures of Glomo's
// checkout results and webhooks, for package glomo and package webhook.
package hexmac

import "crypto/sha256"

// Size is the length of an HMAC-SHA256 in bytes.
const Size = sha256.Size

// Decode decodes s, exactly 2*Size hex digits of either case, into dst
// and reports whether s was that. It reads the string directly, so no
// copy of the signature is made.
func Decode(dst *[Size]byte, s string) bool {
	if len(s) != 2*Size {
		return false
	}
	for i := range dst {
		hi, ok1 := fromHexChar(s[2*i])
		lo, ok2 := fromHexChar(s[2*i+1])
		if !ok1 || !ok2 {
			return false
		}
		dst[i] = hi<<4 | lo
	}
	return true
}

func fromHexChar(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}
