package glomo

import (
	"encoding/base64"
	"strings"
)

// Structured-field items (RFC 8941), read as browsers read the
// Cross-Origin-Opener-Policy and Cross-Origin-Embedder-Policy headers.

// parseSFToken parses value as a structured-field item (RFC 8941, as
// Chromium parses it) and returns its bare item when that is a token, with
// the parameters that follow it as written (from their ';', or ""). ok is
// false for anything a browser would reject, and for bare items that are not
// tokens. Leading and trailing spaces and tabs are ignored: HTTP strips them
// from a field value before the browser parses it.
func parseSFToken(value string) (token, params string, ok bool) {
	s := trimOWS(value)
	if s == "" || !(isAlpha(s[0]) || s[0] == '*') {
		return "", "", false
	}
	n := 1
	for n < len(s) && isSFTokenChar(s[n]) {
		n++
	}
	token, params = s[:n], s[n:]
	for rest := params; rest != ""; {
		if rest[0] != ';' {
			return "", "", false
		}
		rest = rest[1:]
		for rest != "" && rest[0] == ' ' {
			rest = rest[1:]
		}
		if rest == "" || !(isLowerAlpha(rest[0]) || rest[0] == '*') {
			return "", "", false
		}
		k := 1
		for k < len(rest) && (isLowerAlpha(rest[k]) || isDigit(rest[k]) || strings.IndexByte("_-.*", rest[k]) >= 0) {
			k++
		}
		rest = rest[k:]
		if rest != "" && rest[0] == '=' {
			var valid bool
			if rest, valid = skipSFBareItem(rest[1:]); !valid {
				return "", "", false
			}
		}
	}
	return token, params, true
}

// skipSFBareItem returns s after the bare item it starts with, and whether
// there was a valid one.
func skipSFBareItem(s string) (string, bool) {
	if s == "" {
		return s, false
	}
	switch c := s[0]; {
	case c == '"':
		for i := 1; i < len(s); i++ {
			switch c := s[i]; {
			case c == '"':
				return s[i+1:], true
			case c == '\\':
				if i+1 == len(s) || (s[i+1] != '"' && s[i+1] != '\\') {
					return s, false
				}
				i++
			case c < 0x20 || c > 0x7e:
				return s, false
			}
		}
		return s, false
	case c == ':':
		end := strings.IndexByte(s[1:], ':')
		if end < 0 {
			return s, false
		}
		b64 := s[1 : 1+end]
		for i := 0; i < len(b64); i++ {
			if c := b64[i]; !isAlpha(c) && !isDigit(c) && c != '+' && c != '/' && c != '=' {
				return s, false
			}
		}
		if _, err := base64.StdEncoding.DecodeString(b64 + "==="[:(4-len(b64)%4)%4]); err != nil {
			return s, false
		}
		return s[end+2:], true
	case c == '?':
		if len(s) < 2 || (s[1] != '0' && s[1] != '1') {
			return s, false
		}
		return s[2:], true
	case c == '-' || isDigit(c):
		return skipSFNumber(s)
	case isAlpha(c) || c == '*':
		n := 1
		for n < len(s) && isSFTokenChar(s[n]) {
			n++
		}
		return s[n:], true
	}
	return s, false
}

// skipSFNumber skips an sf-integer (at most 15 digits) or sf-decimal (at
// most 12 integer and 3 fractional digits). Like Chromium, and unlike RFC
// 8941, it accepts a decimal without fractional digits ("1.").
func skipSFNumber(s string) (string, bool) {
	i := 0
	if s[0] == '-' {
		i = 1
	}
	start, dot := i, -1
	for ; i < len(s); i++ {
		if s[i] == '.' && dot < 0 && i > start {
			dot = i
			continue
		}
		if !isDigit(s[i]) {
			break
		}
	}
	switch {
	case i == start:
		return s, false
	case dot < 0:
		return s[i:], i-start <= 15
	default:
		return s[i:], dot-start <= 12 && i-dot <= 4
	}
}

// isSFTokenChar reports whether c may follow the first character of an
// sf-token: tchar, ':' or '/'.
func isSFTokenChar(c byte) bool {
	return isAlpha(c) || isDigit(c) || strings.IndexByte("!#$%&'*+-.^_`|~:/", c) >= 0
}

func isLowerAlpha(c byte) bool { return c >= 'a' && c <= 'z' }

// trimOWS removes the spaces and tabs HTTP strips around a field value.
func trimOWS(s string) string {
	for s != "" && (s[0] == ' ' || s[0] == '\t') {
		s = s[1:]
	}
	for s != "" && (s[len(s)-1] == ' ' || s[len(s)-1] == '\t') {
		s = s[:len(s)-1]
	}
	return s
}
