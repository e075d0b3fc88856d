package glomochi_test

import (
	"bufio"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/glomokit/glomo"
	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const (
	headerCOOP = "Cross-Origin-Opener-Policy"
	headerCSP  = "Content-Security-Policy"
	sitePolicy = "default-src 'self'"
	// mergedPolicy is sitePolicy with Glomo's sources merged in.
	mergedPolicy = "default-src 'self'; script-src 'self' https://glomopay-checkout-sdk.web.app; frame-src 'self' https://glomopay-checkout-sdk.web.app https://*.glomopay.com; connect-src 'self' https://glomopay-checkout-sdk.web.app https://*.glomopay.com"
)

// isolate sets the headers a site that never heard of Glomo sends.
func isolate(w http.ResponseWriter) {
	w.Header().Set(headerCOOP, "same-origin")
	w.Header().Set(headerCSP, sitePolicy)
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
}

// observed is what the wrapResponseWriter middleware saw after the handler.
type observed struct {
	status int
	bytes  int
}

// wrapMiddleware is how chi's request loggers use WrapResponseWriter.
func wrapMiddleware(seen *observed) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			ww := middleware.NewWrapResponseWriter(w, r.ProtoMajor)
			next.ServeHTTP(ww, r)
			seen.status, seen.bytes = ww.Status(), ww.BytesWritten()
		})
	}
}

// silentLog is a chi log formatter whose entries drop everything, so that
// Recoverer's stack print stays out of the test output.
type silentLog struct{}

func (silentLog) NewLogEntry(*http.Request) middleware.LogEntry { return silentLog{} }

func (silentLog) Write(int, int, http.Header, time.Duration, any) {}

func (silentLog) Panic(any, []byte) {}

// quietRecoverer is chi's Recoverer behind a silent request logger.
func quietRecoverer() []func(http.Handler) http.Handler {
	return []func(http.Handler) http.Handler{middleware.RequestLogger(silentLog{}), middleware.Recoverer}
}

// stack returns a router with chi's middleware outside or inside ours.
func stack(oursOutside bool, theirs ...func(http.Handler) http.Handler) *chi.Mux {
	r := chi.NewRouter()
	if oursOutside {
		r.Use(glomo.Headers())
		r.Use(theirs...)
	} else {
		r.Use(theirs...)
		r.Use(glomo.Headers())
	}
	return r
}

var orders = []struct {
	name        string
	oursOutside bool
}{{"glomo outside", true}, {"glomo inside", false}}

// TestComposesWithCompress streams a gzipped response on a real connection:
// the headers are fixed whichever middleware is outside, and the first
// chunk arrives, decompressed, before the handler finishes.
func TestComposesWithCompress(t *testing.T) {
	for _, o := range orders {
		t.Run(o.name, func(t *testing.T) {
			release := make(chan struct{})
			r := stack(o.oursOutside, middleware.Compress(5))
			r.Get("/", func(w http.ResponseWriter, _ *http.Request) {
				isolate(w)
				_, _ = io.WriteString(w, "one\n")
				w.(http.Flusher).Flush()
				<-release
				_, _ = io.WriteString(w, "two\n")
			})
			srv := httptest.NewServer(r)
			defer srv.Close()

			res, err := srv.Client().Get(srv.URL) // asks for gzip, decodes it
			require.NoError(t, err)
			defer res.Body.Close()
			assert.True(t, res.Uncompressed, "the response was gzipped")
			assert.Equal(t, glomo.COOPAllowPopups, res.Header.Get(headerCOOP))
			assert.Equal(t, mergedPolicy, res.Header.Get(headerCSP))
			br := bufio.NewReader(res.Body)
			line, err := br.ReadString('\n')
			require.NoError(t, err)
			assert.Equal(t, "one\n", line)
			close(release)
			rest, err := io.ReadAll(br)
			require.NoError(t, err)
			assert.Equal(t, "two\n", string(rest))
		})
	}
}

func TestComposesWithWrapResponseWriter(t *testing.T) {
	handlers := []struct {
		name       string
		handler    http.HandlerFunc
		wantStatus int
		wantBytes  int
		// wantSeen is the status chi's wrapper reports: 0 when nothing was
		// written; -1 for a flush before a status, which chi reports as 0
		// up to v5.2.x and as 200 since.
		wantSeen int
	}{
		{"write", func(w http.ResponseWriter, _ *http.Request) { isolate(w); _, _ = io.WriteString(w, "page") }, http.StatusOK, 4, http.StatusOK},
		{"status", func(w http.ResponseWriter, _ *http.Request) { isolate(w); w.WriteHeader(http.StatusAccepted) }, http.StatusAccepted, 0, http.StatusAccepted},
		{"flush", func(w http.ResponseWriter, _ *http.Request) {
			isolate(w)
			require.NoError(t, http.NewResponseController(w).Flush())
			_, _ = io.WriteString(w, "streamed")
		}, http.StatusOK, 8, -1},
		{"nothing written", func(w http.ResponseWriter, _ *http.Request) { isolate(w) }, http.StatusOK, 0, 0},
	}
	for _, o := range orders {
		for _, h := range handlers {
			t.Run(o.name+"/"+h.name, func(t *testing.T) {
				var seen observed
				r := stack(o.oursOutside, wrapMiddleware(&seen))
				r.Get("/", h.handler)
				rec := httptest.NewRecorder()
				r.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))

				res := rec.Result()
				assert.Equal(t, h.wantStatus, res.StatusCode)
				assert.Equal(t, glomo.COOPAllowPopups, res.Header.Get(headerCOOP))
				assert.Equal(t, mergedPolicy, res.Header.Get(headerCSP))
				assert.Equal(t, h.wantBytes, seen.bytes)
				if h.wantSeen >= 0 {
					assert.Equal(t, h.wantSeen, seen.status)
				} else {
					assert.Contains(t, []int{0, h.wantStatus}, seen.status)
				}
			})
		}
	}
}

func TestExemptCOOPThroughChiWriters(t *testing.T) {
	var seen observed
	r := stack(true, wrapMiddleware(&seen), middleware.Compress(5))
	r.Get("/isolated", func(w http.ResponseWriter, _ *http.Request) {
		isolate(w)
		assert.True(t, glomo.ExemptCOOP(w), "found behind chi's wrappers")
		_, _ = io.WriteString(w, "cross-origin isolated")
	})
	rec := httptest.NewRecorder()
	r.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/isolated", nil))
	assert.Equal(t, "same-origin", rec.Result().Header.Get(headerCOOP))
	assert.Equal(t, mergedPolicy, rec.Result().Header.Get(headerCSP), "CSP is still merged")
}

func TestComposesWithRecoverer(t *testing.T) {
	for _, o := range orders {
		t.Run(o.name, func(t *testing.T) {
			r := stack(o.oursOutside, quietRecoverer()...)
			r.Get("/panic", func(w http.ResponseWriter, _ *http.Request) {
				isolate(w)
				panic("handler bug")
			})
			r.Get("/ok", func(w http.ResponseWriter, _ *http.Request) { isolate(w); _, _ = io.WriteString(w, "ok") })

			rec := httptest.NewRecorder()
			r.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/panic", nil))
			assert.Equal(t, http.StatusInternalServerError, rec.Code)
			assert.Equal(t, glomo.COOPAllowPopups, rec.Result().Header.Get(headerCOOP))

			rec = httptest.NewRecorder()
			r.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/ok", nil))
			assert.Equal(t, http.StatusOK, rec.Code)
			assert.Equal(t, glomo.COOPAllowPopups, rec.Result().Header.Get(headerCOOP))
		})
	}
}

// TestComposesWithAll stacks chi's usual middleware with ours in the
// middle and streams server-sent events over a real connection.
func TestComposesWithAll(t *testing.T) {
	var seen observed
	release := make(chan struct{})
	r := chi.NewRouter()
	r.Use(quietRecoverer()...)
	r.Use(wrapMiddleware(&seen))
	r.Use(glomo.Headers(glomo.WithNonce()))
	r.Use(middleware.Compress(5, "text/event-stream"))
	r.Get("/events", func(w http.ResponseWriter, r *http.Request) {
		isolate(w)
		w.Header().Set("Content-Type", "text/event-stream")
		_, _ = io.WriteString(w, "data: "+glomo.Nonce(r.Context())+"\n\n")
		require.NoError(t, http.NewResponseController(w).Flush())
		<-release
	})
	srv := httptest.NewServer(r)
	defer srv.Close()

	res, err := srv.Client().Get(srv.URL + "/events")
	require.NoError(t, err)
	defer res.Body.Close()
	line, err := bufio.NewReader(res.Body).ReadString('\n')
	require.NoError(t, err)
	nonce := line[len("data: ") : len(line)-1]
	assert.NotEmpty(t, nonce)
	assert.True(t, res.Uncompressed)
	assert.Equal(t, glomo.COOPAllowPopups, res.Header.Get(headerCOOP))
	assert.Contains(t, res.Header.Get(headerCSP), "'nonce-"+nonce+"'")
	close(release)
}
