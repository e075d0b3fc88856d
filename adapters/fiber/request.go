package glomofiber

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"net/textproto"
	"net/url"
	"strings"

	"github.com/gofiber/fiber/v3"
)

// requestScratch is the memory newHTTPRequest fills: the request's URL
// and the backing array of its header values.
type requestScratch struct {
	url    url.URL
	values [16]string
}

// newHTTPRequest returns c's request as an *http.Request with ctx as its
// context, the net/http view of a Fiber request that glomo's code reads:
// the header fix-up's Skips and Prepare (glomo.WithSkip sees it), and the
// result and webhook handlers. It has the method, the URL in u (path and
// raw query, as a server request has them), Host, RequestURI, Proto,
// RemoteAddr and every header field, repeated ones in order, Host
// excepted, as net/http does. The body is left empty (http.NoBody); see
// withBody.
//
// It costs few allocations: the request, one string holding every byte
// copied from fasthttp's buffers (which are reused after the request, so
// nothing may point into them), the header map and one backing array for
// its values. The caller provides s, inside a struct it allocates anyway,
// for the URL and, up to its size, the values.
func newHTTPRequest(c fiber.Ctx, ctx context.Context, s *requestScratch) *http.Request {
	fr := c.Request()
	uri := fr.URI()
	path, query := uri.Path(), uri.QueryString()
	host, requestURI := fr.Host(), fr.RequestURI()
	var remote net.Addr
	if rc := c.RequestCtx(); rc != nil {
		remote = rc.RemoteAddr()
	}
	tcp, _ := remote.(*net.TCPAddr)

	// One pass to size the arena, one to fill it.
	size := len(path) + len(query) + len(host) + len(requestURI) + len("[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]:65535")
	fields := 0
	for k, v := range fr.Header.All() {
		size += len(k) + len(v)
		fields++
	}
	var arena strings.Builder
	arena.Grow(size)
	type span struct{ from, to int }
	put := func(b []byte) span {
		from := arena.Len()
		arena.Write(b)
		return span{from, arena.Len()}
	}
	sPath, sQuery, sHost, sURI := put(path), put(query), put(host), put(requestURI)
	var sRemote span
	if tcp != nil {
		from := arena.Len()
		var buf [64]byte
		arena.Write(tcp.AddrPort().AppendTo(buf[:0]))
		sRemote = span{from, arena.Len()}
	}
	headerStart := arena.Len()
	for k, v := range fr.Header.All() {
		arena.Write(k)
		arena.Write(v)
	}
	all := arena.String()
	str := func(s span) string { return all[s.from:s.to] }

	s.url = url.URL{Path: str(sPath), RawQuery: str(sQuery)}
	r := http.Request{
		Method:     method(fr.Header.Method()),
		URL:        &s.url,
		Proto:      "HTTP/1.1",
		ProtoMajor: 1,
		ProtoMinor: 1,
		Host:       str(sHost),
		RequestURI: str(sURI),
		RemoteAddr: str(sRemote),
		Body:       http.NoBody,
	}
	if bytes.Equal(fr.Header.Protocol(), []byte("HTTP/1.0")) {
		r.Proto, r.ProtoMinor = "HTTP/1.0", 0
	}
	h := make(http.Header, fields)
	values := s.values[:]
	if fields > len(values) {
		values = make([]string, fields)
	}
	// The second pass over the same fields finds them in the arena in the
	// order the first one wrote them.
	at, n := headerStart, 0
	for k, v := range fr.Header.All() {
		key := all[at : at+len(k)]
		value := all[at+len(k) : at+len(k)+len(v)]
		at += len(k) + len(v)
		key = textproto.CanonicalMIMEHeaderKey(key)
		if key == "Host" {
			continue
		}
		if old, ok := h[key]; ok {
			h[key] = append(old, value) // a repeated field: rare, so it may allocate
			continue
		}
		values[n] = value
		h[key] = values[n : n+1 : n+1]
		n++
	}
	r.Header = h
	return r.WithContext(ctx)
}

// withBody gives r, built by newHTTPRequest for c, c's body: the bytes
// exactly as they arrived (Content-Encoding is not undone, as net/http
// does not undo it either), or fasthttp's body stream when Fiber's
// StreamRequestBody is on, so that glomo's http.MaxBytesReader bounds
// what is read.
func withBody(r *http.Request, c fiber.Ctx) {
	fr := c.Request()
	if fr.IsBodyStream() {
		r.Body = &streamBody{r: fr.BodyStream()}
		r.ContentLength = int64(fr.Header.ContentLength())
		if r.ContentLength < 0 {
			r.ContentLength = -1
		}
		return
	}
	body := fr.Body()
	r.ContentLength = int64(len(body))
	if len(body) > 0 {
		r.Body = io.NopCloser(bytes.NewReader(body))
	}
}

// method returns m as a string, without allocating for the standard
// methods.
func method(m []byte) string {
	switch string(m) {
	case http.MethodGet:
		return http.MethodGet
	case http.MethodPost:
		return http.MethodPost
	case http.MethodHead:
		return http.MethodHead
	case http.MethodPut:
		return http.MethodPut
	case http.MethodPatch:
		return http.MethodPatch
	case http.MethodDelete:
		return http.MethodDelete
	case http.MethodOptions:
		return http.MethodOptions
	case http.MethodConnect:
		return http.MethodConnect
	case http.MethodTrace:
		return http.MethodTrace
	case "":
		return http.MethodGet
	}
	return string(m)
}

// streamBody is a request body streamed from the connection
// (Config.StreamRequestBody); it records whether it was read to the end.
type streamBody struct {
	r   io.Reader
	eof bool
}

func (b *streamBody) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	if err == io.EOF {
		b.eof = true
	}
	return n, err
}

func (*streamBody) Close() error { return nil }

// closeIfUnread closes c's connection after the response when r's body
// was streamed and not read to its end (a refusal over MaxBodyBytes):
// fasthttp would read its rest as the next request otherwise.
func closeIfUnread(r *http.Request, c fiber.Ctx) {
	if b, ok := r.Body.(*streamBody); ok && !b.eof {
		c.Response().SetConnectionClose()
	}
}
