package glomoapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Defaults of New.
const (
	// DefaultBaseURL is Glomo's API root; the key decides sandbox or live.
	DefaultBaseURL = "https://api.glomopay.com/api/v1"
	// DefaultTimeout bounds a whole request when the caller's context has
	// no earlier deadline.
	DefaultTimeout = 30 * time.Second
	// MaxResponseBytes caps a response body read into memory.
	MaxResponseBytes = 1 << 20
)

var (
	// ErrTransport matches errors where no response arrived: network
	// failures, timeouts and cancelled contexts.
	ErrTransport = errors.New("glomoapi: request failed")
	// ErrResponse matches 2xx responses that could not be used: not JSON,
	// larger than MaxResponseBytes, or without the id of the object asked
	// for (such as a body of null or {}, or another object's id).
	ErrResponse = errors.New("glomoapi: unreadable response")
	// ErrInvalidRequest matches arguments refused before any request,
	// such as an empty id or a missing required field.
	ErrInvalidRequest = errors.New("glomoapi: invalid request")
)

// APIError is a non-2xx response from Glomo.
//
// Its text fields come from the response body and are safe to log: each
// is one line (control characters and line separators become spaces) of
// at most MaxErrorFieldBytes, and holds a string or a number of the body,
// never an object.
type APIError struct {
	// StatusCode is the HTTP status, such as 400 or 404.
	StatusCode int
	// Code is the body's "error" field, such as "Bad Request"; when the
	// body is not JSON or its error is empty or not a string or number, it
	// is the status text, or "status 599" for a status without one.
	Code string
	// Message is the body's "message" field, when present.
	Message string
	// Detail is the body's optional "code" field.
	Detail string
	// Method and Path identify the call (the path has no secret in it).
	Method, Path string
}

// Error implements error.
func (e *APIError) Error() string {
	s := fmt.Sprintf("glomoapi: %s %s: %d %s", e.Method, e.Path, e.StatusCode, e.Code)
	if e.Message != "" {
		s += ": " + e.Message
	}
	return s
}

// Temporary reports whether retrying the same request later may succeed
// (429 and 5xx). A 5xx does not say whether Glomo acted on the request:
// retry CreateOrder only with the same RequestID, and read the package
// documentation for what a 400 to that retry can mean.
func (e *APIError) Temporary() bool {
	return e.StatusCode == http.StatusTooManyRequests || e.StatusCode >= 500
}

// Client calls Glomo's server API with a secret key. Make one with New; it
// is safe for concurrent use.
//
// Formatting a Client or a *Client with fmt, directly or inside another
// value, never shows the key: both have String and GoString methods, and
// where fmt cannot call them (an unexported field, a verb String does not
// serve) it prints the fields, and the key's field is a pointer to the
// key, which fmt prints only as an address.
type Client struct {
	key     *string
	baseURL string
	http    *http.Client
}

// Option configures New.
type Option func(*Client) error

// WithBaseURL points the client at another API root, such as an
// httptest.Server or a proxy. It must be an absolute http(s) URL.
func WithBaseURL(base string) Option {
	return func(c *Client) error {
		u, err := url.Parse(base)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return fmt.Errorf("%w: base URL must be an absolute http(s) URL", ErrInvalidRequest)
		}
		c.baseURL = strings.TrimRight(base, "/")
		return nil
	}
}

// WithHTTPClient replaces the default http.Client (whose Timeout is
// DefaultTimeout), for instance to add tracing or a proxy.
func WithHTTPClient(hc *http.Client) Option {
	return func(c *Client) error {
		if hc == nil {
			return fmt.Errorf("%w: nil http.Client", ErrInvalidRequest)
		}
		c.http = hc
		return nil
	}
}

// New returns a client that authenticates with secretKey. An empty key is
// an error rather than a client that fails every call.
func New(secretKey string, opts ...Option) (*Client, error) {
	if strings.TrimSpace(secretKey) == "" {
		return nil, fmt.Errorf("%w: empty secret key", ErrInvalidRequest)
	}
	c := &Client{key: &secretKey, baseURL: DefaultBaseURL, http: &http.Client{Timeout: DefaultTimeout}}
	for _, o := range opts {
		if err := o(c); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// String describes the client by its base URL, without its key, so that
// %v and %s are safe to log. It has a value receiver so that a Client
// value formats as a *Client does.
func (c Client) String() string { return "glomoapi.Client{" + c.baseURL + "}" }

// GoString is String, for %#v.
func (c Client) GoString() string { return c.String() }

// errNotNew is returned by the calls of a Client not made by New (a zero
// Client or a nil *Client), which has no key to send.
var errNotNew = fmt.Errorf("%w: a Client must be made by New", ErrInvalidRequest)

// do sends one request and decodes a 2xx JSON body into out.
func (c *Client) do(ctx context.Context, method, path string, in, out any) error {
	if c == nil || c.key == nil {
		return errNotNew
	}
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return fmt.Errorf("%w: %v", ErrInvalidRequest, err)
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.baseURL+path, body)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrInvalidRequest, err)
	}
	req.Header.Set("Authorization", "Bearer "+*c.key)
	req.Header.Set("Accept", "application/json")
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		// *url.Error quotes the URL, which holds no secret; the key is
		// only in a header.
		return fmt.Errorf("%w: %s %s: %v", ErrTransport, method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, MaxResponseBytes+1))
	if err != nil {
		return fmt.Errorf("%w: %s %s: reading body: %v", ErrTransport, method, path, err)
	}
	if len(data) > MaxResponseBytes {
		return fmt.Errorf("%w: %s %s: body over %d bytes", ErrResponse, method, path, MaxResponseBytes)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return newAPIError(resp.StatusCode, method, path, data)
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("%w: %s %s: %d response is not the expected JSON", ErrResponse, method, path, resp.StatusCode)
	}
	return nil
}

func newAPIError(status int, method, path string, data []byte) *APIError {
	e := &APIError{StatusCode: status, Method: method, Path: path}
	var b struct {
		Error, Message, Code json.RawMessage
	}
	if json.Unmarshal(data, &b) == nil {
		e.Code, e.Message, e.Detail = errorField(b.Error), errorField(b.Message), errorField(b.Code)
	}
	if e.Code == "" {
		// A proxy's HTML page, an empty body, or an error that is neither
		// a string nor a number: keep the status only; the body's text
		// could be anything and is not Glomo's.
		e.Code = http.StatusText(status)
	}
	if e.Code == "" {
		e.Code = fmt.Sprintf("status %d", status) // a status without a name
	}
	return e
}

// MaxErrorFieldBytes bounds each text field of an APIError. Longer values
// from an error body are cut at a character boundary and end in "…".
const MaxErrorFieldBytes = 512

// errorField is the text of one member of an error body: a string, or a
// number as written; anything else is "". It is made safe to log on one
// line: control characters and the Unicode line and paragraph separators
// become spaces (decoding has already made invalid UTF-8 U+FFFD), and it
// is cut to MaxErrorFieldBytes.
func errorField(raw json.RawMessage) string {
	var s string
	var n json.Number
	switch {
	case len(raw) == 0:
		return ""
	case raw[0] == '"':
		_ = json.Unmarshal(raw, &s)
	case json.Unmarshal(raw, &n) == nil:
		s = n.String()
	}
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == '\u2028' || r == '\u2029' {
			return ' '
		}
		return r
	}, s)
	if len(s) <= MaxErrorFieldBytes {
		return s
	}
	const ellipsis = "…"
	cut := MaxErrorFieldBytes - len(ellipsis)
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + ellipsis
}

// idPath validates an id and escapes it for a path segment.
func idPath(prefix, id string) (string, error) {
	if strings.TrimSpace(id) == "" {
		return "", fmt.Errorf("%w: empty id", ErrInvalidRequest)
	}
	if id == "." || id == ".." {
		return "", fmt.Errorf("%w: invalid id", ErrInvalidRequest)
	}
	return prefix + url.PathEscape(id), nil
}
