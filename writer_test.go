package glomo_test

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/glomokit/glomo"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const downstreamCSP = "default-src 'self'"

var mergedDownstreamCSP = "default-src 'self'; script-src 'self' " + sdk + "; frame-src 'self' " + frameAdd + "; connect-src 'self' " + frameAdd

// setSiteHeaders is what a strict site's handler sets.
func setSiteHeaders(w http.ResponseWriter) {
	w.Header().Set("Content-Security-Policy", downstreamCSP)
	w.Header().Set("Cross-Origin-Opener-Policy", "same-origin")
}

func assertFixed(t *testing.T, h http.Header) {
	t.Helper()
	assert.Equal(t, "same-origin-allow-popups", h.Get("Cross-Origin-Opener-Policy"))
	assert.Equal(t, mergedDownstreamCSP, h.Get("Content-Security-Policy"))
}

// TestHeadersFixedAtCommit covers every way a handler can commit a response.
func TestHeadersFixedAtCommit(t *testing.T) {
	file := filepath.Join(t.TempDir(), "page.html")
	require.NoError(t, os.WriteFile(file, []byte("<p>static</p>"), 0o600))

	tests := []struct {
		name     string
		handler  http.HandlerFunc
		wantBody string
	}{
		{"Write", func(w http.ResponseWriter, r *http.Request) {
			setSiteHeaders(w)
			_, _ = w.Write([]byte("body"))
		}, "body"},
		{"WriteHeader", func(w http.ResponseWriter, r *http.Request) {
			setSiteHeaders(w)
			w.WriteHeader(http.StatusCreated)
		}, ""},
		{"WriteString", func(w http.ResponseWriter, r *http.Request) {
			setSiteHeaders(w)
			_, _ = io.WriteString(w, "string")
		}, "string"},
		{"returns without writing", func(w http.ResponseWriter, r *http.Request) {
			setSiteHeaders(w)
		}, ""},
		{"Flush before any write", func(w http.ResponseWriter, r *http.Request) {
			setSiteHeaders(w)
			w.(http.Flusher).Flush()
			_, _ = w.Write([]byte("late"))
		}, "late"},
		{"ResponseController.Flush", func(w http.ResponseWriter, r *http.Request) {
			setSiteHeaders(w)
			require.NoError(t, http.NewResponseController(w).Flush())
			_, _ = w.Write([]byte("rc"))
		}, "rc"},
		{"ReadFrom through io.Copy of a file", func(w http.ResponseWriter, r *http.Request) {
			setSiteHeaders(w)
			f, err := os.Open(file)
			require.NoError(t, err)
			defer f.Close()
			_, _ = io.Copy(w, f)
		}, "<p>static</p>"},
		{"http.ServeFile", func(w http.ResponseWriter, r *http.Request) {
			setSiteHeaders(w)
			http.ServeFile(w, r, file)
		}, "<p>static</p>"},
		{"ReadFrom asserted directly", func(w http.ResponseWriter, r *http.Request) {
			setSiteHeaders(w)
			n, err := w.(io.ReaderFrom).ReadFrom(strings.NewReader("from a reader"))
			assert.NoError(t, err)
			assert.EqualValues(t, len("from a reader"), n)
		}, "from a reader"},
		{"103 Early Hints first", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Link", "</app.css>; rel=preload; as=style")
			w.WriteHeader(http.StatusEarlyHints)
			setSiteHeaders(w)
			_, _ = w.Write([]byte("after hints"))
		}, "after hints"},
		{"100 Continue first", func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusContinue)
			setSiteHeaders(w)
			_, _ = w.Write([]byte("after continue"))
		}, "after continue"},
		{"headers changed after commit are not re-fixed", func(w http.ResponseWriter, r *http.Request) {
			setSiteHeaders(w)
			_, _ = w.Write([]byte("x"))
			w.Header().Set("Content-Security-Policy", "script-src 'none'")
		}, "x"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(glomo.Headers()(tt.handler))
			defer srv.Close()
			resp, err := srv.Client().Get(srv.URL)
			require.NoError(t, err)
			body, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			require.NoError(t, err)
			assertFixed(t, resp.Header)
			assert.Equal(t, tt.wantBody, string(body))
		})
	}
}

func TestStreamingResponse(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(glomo.Headers()(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		setSiteHeaders(w)
		w.Header().Set("Content-Type", "text/event-stream")
		_, _ = io.WriteString(w, "data: one\n\n")
		w.(http.Flusher).Flush()
		<-release
		_, _ = io.WriteString(w, "data: two\n\n")
	})))
	defer srv.Close()

	resp, err := srv.Client().Get(srv.URL)
	require.NoError(t, err)
	defer resp.Body.Close()
	assertFixed(t, resp.Header)

	// The first event arrives while the handler still blocks: Flush went
	// through the wrapper.
	r := bufio.NewReader(resp.Body)
	line, err := r.ReadString('\n')
	require.NoError(t, err)
	assert.Equal(t, "data: one\n", line)
	close(release)
	rest, err := io.ReadAll(r)
	require.NoError(t, err)
	assert.Equal(t, "\ndata: two\n\n", string(rest))
}

func TestHijackedConnection(t *testing.T) {
	for _, tc := range []struct {
		name   string
		hijack func(http.ResponseWriter) (net.Conn, *bufio.ReadWriter, error)
	}{
		{"through http.ResponseController", func(w http.ResponseWriter) (net.Conn, *bufio.ReadWriter, error) {
			return http.NewResponseController(w).Hijack()
		}},
		{"asserted directly", func(w http.ResponseWriter) (net.Conn, *bufio.ReadWriter, error) {
			return w.(http.Hijacker).Hijack()
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(glomo.Headers()(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				setSiteHeaders(w)
				conn, buf, err := tc.hijack(w)
				if !assert.NoError(t, err) {
					return
				}
				defer conn.Close()
				_, _ = buf.WriteString("HTTP/1.1 101 Switching Protocols\r\nUpgrade: echo\r\nConnection: Upgrade\r\n\r\nhello")
				_ = buf.Flush()
			})))
			defer srv.Close()

			got := rawExchange(t, srv.URL, "GET / HTTP/1.1\r\nHost: x\r\nUpgrade: echo\r\nConnection: Upgrade\r\n\r\n")
			assert.Equal(t, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: echo\r\nConnection: Upgrade\r\n\r\nhello", got,
				"the hijacker writes its own bytes; nothing is added")
		})
	}
}

// rawExchange sends request over a new connection to the server at url and
// returns all it answers until it closes the connection.
func rawExchange(t *testing.T, url, request string) string {
	t.Helper()
	conn, err := net.Dial("tcp", strings.TrimPrefix(url, "http://"))
	require.NoError(t, err)
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
	_, err = io.WriteString(conn, request)
	require.NoError(t, err)
	got, err := io.ReadAll(conn)
	require.NoError(t, err)
	return string(got)
}

// TestWrapperKeepsNetHTTPInterfaces asserts, over a real loopback server,
// that the handler behind the middleware sees the optional interfaces of
// net/http's own writer, and that using them directly works.
func TestWrapperKeepsNetHTTPInterfaces(t *testing.T) {
	ifaces := []struct {
		name string
		has  func(http.ResponseWriter) bool
	}{
		{"http.Flusher", func(w http.ResponseWriter) bool { _, ok := w.(http.Flusher); return ok }},
		{"http.Hijacker", func(w http.ResponseWriter) bool { _, ok := w.(http.Hijacker); return ok }},
		{"io.ReaderFrom", func(w http.ResponseWriter) bool { _, ok := w.(io.ReaderFrom); return ok }},
		{"io.StringWriter", func(w http.ResponseWriter) bool { _, ok := w.(io.StringWriter); return ok }},
		{"http.Pusher", func(w http.ResponseWriter) bool { _, ok := w.(http.Pusher); return ok }},
		//lint:ignore SA1019 the wrapper keeps the wrapped writer's deprecated interfaces
		{"http.CloseNotifier", func(w http.ResponseWriter) bool { _, ok := w.(http.CloseNotifier); return ok }},
	}
	seen := func(mw func(http.Handler) http.Handler) map[string]bool {
		got := map[string]bool{}
		srv := httptest.NewServer(mw(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			for _, i := range ifaces {
				got[i.name] = i.has(w)
			}
		})))
		defer srv.Close()
		resp, err := srv.Client().Get(srv.URL)
		require.NoError(t, err)
		resp.Body.Close()
		return got
	}
	bare := seen(func(h http.Handler) http.Handler { return h })
	wrapped := seen(glomo.Headers())
	for _, i := range ifaces {
		t.Run(i.name, func(t *testing.T) {
			assert.Equal(t, bare[i.name], wrapped[i.name], "as net/http's writer")
		})
	}
	for _, name := range []string{"http.Flusher", "http.Hijacker", "io.ReaderFrom", "http.CloseNotifier"} {
		assert.True(t, wrapped[name], "net/http's HTTP/1 writer has %s", name)
	}

	t.Run("an unchecked CloseNotifier assertion, as gin's Stream makes, works", func(t *testing.T) {
		srv := httptest.NewServer(glomo.Headers()(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			//lint:ignore SA1019 the wrapper keeps the wrapped writer's deprecated interfaces
			assert.NotNil(t, w.(http.CloseNotifier).CloseNotify())
		})))
		defer srv.Close()
		resp, err := srv.Client().Get(srv.URL)
		require.NoError(t, err)
		resp.Body.Close()
		assert.Equal(t, http.StatusOK, resp.StatusCode)
	})
}

// minimalWriter implements only http.ResponseWriter.
type minimalWriter struct {
	h    http.Header
	code int
	body strings.Builder
}

func (m *minimalWriter) Header() http.Header { return m.h }
func (m *minimalWriter) Write(b []byte) (int, error) {
	if m.code == 0 {
		m.code = http.StatusOK
	}
	return m.body.Write(b)
}
func (m *minimalWriter) WriteHeader(code int) { m.code = code }

func TestWrapperAddsNoInterface(t *testing.T) {
	var sawFlusher, sawHijacker, sawReaderFrom, sawPusher bool
	var flushErr, hijackErr error
	handler := glomo.Headers()(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, sawFlusher = w.(http.Flusher)
		_, sawHijacker = w.(http.Hijacker)
		_, sawReaderFrom = w.(io.ReaderFrom)
		_, sawPusher = w.(http.Pusher)
		rc := http.NewResponseController(w)
		flushErr = rc.Flush()
		_, _, hijackErr = rc.Hijack()
		setSiteHeaders(w) // still possible: the failed flush committed nothing
	}))
	w := &minimalWriter{h: http.Header{}}
	handler.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/", nil))

	assert.False(t, sawFlusher)
	assert.False(t, sawHijacker)
	assert.False(t, sawReaderFrom)
	assert.False(t, sawPusher)
	assert.ErrorIs(t, flushErr, http.ErrNotSupported)
	assert.ErrorIs(t, hijackErr, http.ErrNotSupported)
	assertFixed(t, w.h)
}

func TestWrapperKeepsRecorderInterfaces(t *testing.T) {
	var sawFlusher bool
	handler := glomo.Headers()(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, sawFlusher = w.(http.Flusher)
		setSiteHeaders(w)
		w.(http.Flusher).Flush()
	}))
	rec := httptest.NewRecorder()
	handler.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
	assert.True(t, sawFlusher)
	assert.True(t, rec.Flushed)
	assertFixed(t, rec.Header())
}

func TestNestedMiddlewareIsIdempotent(t *testing.T) {
	handler := glomo.Headers()(glomo.CSP()(glomo.COOP()(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		setSiteHeaders(w)
	}))))
	rec := httptest.NewRecorder()
	handler.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
	assertFixed(t, rec.Header())
}
