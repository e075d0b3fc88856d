package glomoechov5_test

import (
	"bufio"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/http/httptrace"
	"net/textproto"
	"strings"
	"testing"

	"github.com/glomokit/glomo"
	"github.com/glomokit/glomo/adapter"
	glomoechov5 "github.com/glomokit/glomo/adapters/echov5"
	"github.com/labstack/echo/v5"
	"github.com/labstack/echo/v5/middleware"
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

// isolate sets the headers a site that never heard of Glomo sends, through
// echo's own API, before the response is written.
func isolate(c *echo.Context) {
	c.Response().Header().Set(headerCOOP, "same-origin")
	c.Response().Header().Set(headerCSP, sitePolicy)
}

// newEcho returns an echo that logs nothing, with mw.
func newEcho(mw ...echo.MiddlewareFunc) *echo.Echo {
	e := echo.New()
	e.Logger = slog.New(slog.DiscardHandler)
	e.Use(mw...)
	return e
}

// serve answers req through h.
func serve(h http.Handler, req *http.Request) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// assertFixed checks that res carries the fixed COOP and CSP.
func assertFixed(t *testing.T, res *http.Response) {
	t.Helper()
	assert.Equal(t, glomo.COOPAllowPopups, res.Header.Get(headerCOOP))
	assert.Equal(t, mergedPolicy, res.Header.Get(headerCSP))
}

func TestHeadersFixesWhatTheHandlerSets(t *testing.T) {
	tests := []struct {
		name       string
		handler    echo.HandlerFunc
		wantStatus int
		wantBody   string
	}{
		{"String", func(c *echo.Context) error { isolate(c); return c.String(http.StatusOK, "page") }, http.StatusOK, "page"},
		{"JSON", func(c *echo.Context) error {
			isolate(c)
			return c.JSON(http.StatusCreated, map[string]bool{"ok": true})
		}, http.StatusCreated, `{"ok":true}`},
		{"HTML", func(c *echo.Context) error { isolate(c); return c.HTML(http.StatusOK, "<p>") }, http.StatusOK, "<p>"},
		{"NoContent", func(c *echo.Context) error { isolate(c); return c.NoContent(http.StatusNoContent) }, http.StatusNoContent, ""},
		{"Redirect", func(c *echo.Context) error { isolate(c); return c.Redirect(http.StatusSeeOther, "/done") }, http.StatusSeeOther, ""},
		{"Response.Write", func(c *echo.Context) error {
			isolate(c)
			_, err := c.Response().Write([]byte("w"))
			return err
		}, http.StatusOK, "w"},
		{"Response.WriteHeader", func(c *echo.Context) error {
			isolate(c)
			c.Response().WriteHeader(http.StatusAccepted)
			return nil
		}, http.StatusAccepted, ""},
		{"nothing written", func(c *echo.Context) error { isolate(c); return nil }, http.StatusOK, ""},
		{"HTTPError", func(c *echo.Context) error {
			isolate(c)
			return echo.NewHTTPError(http.StatusForbidden, "no")
		}, http.StatusForbidden, `{"message":"no"}`},
		{"sentinel error", func(c *echo.Context) error { isolate(c); return echo.ErrNotFound }, http.StatusNotFound, `{"message":"Not Found"}`},
		{"plain error", func(c *echo.Context) error { isolate(c); return errors.New("bug") }, http.StatusInternalServerError, `{"message":"Internal Server Error"}`},
		{"Flush", func(c *echo.Context) error { isolate(c); http.NewResponseController(c.Response()).Flush(); return nil }, http.StatusOK, ""},
		{"Stream", func(c *echo.Context) error {
			isolate(c)
			return c.Stream(http.StatusOK, "text/plain", strings.NewReader("streamed"))
		}, http.StatusOK, "streamed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEcho(glomoechov5.Headers())
			e.GET("/", tt.handler)
			rec := serve(e, httptest.NewRequest(http.MethodGet, "/", nil))

			// Result's headers are the ones on the wire: recorded when the
			// status was written, whatever changed after.
			res := rec.Result()
			assert.Equal(t, tt.wantStatus, res.StatusCode)
			assertFixed(t, res)
			assert.Equal(t, tt.wantBody, strings.TrimSpace(rec.Body.String()))
		})
	}
}

// setAtCommit is a writer that sets the site's headers only when its
// response is committed, as compressing or caching middleware does.
type setAtCommit struct{ http.ResponseWriter }

func (w setAtCommit) WriteHeader(code int) {
	w.Header().Set(headerCOOP, "same-origin")
	w.Header().Set(headerCSP, sitePolicy)
	w.ResponseWriter.WriteHeader(code)
}

func (w setAtCommit) Write(b []byte) (int, error) {
	if w.Header().Get(headerCSP) == "" {
		w.WriteHeader(http.StatusOK)
	}
	return w.ResponseWriter.Write(b)
}

func (w setAtCommit) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// TestHeadersFixesWhatOtherMiddlewareSets checks headers set by middleware
// registered before and after Headers, in every way echo middleware sets
// them: before calling next, after it on a response nothing wrote, in a
// Before hook of echo's Response, and in a writer of its own that sets
// them when the response is committed.
func TestHeadersFixesWhatOtherMiddlewareSets(t *testing.T) {
	page := func(c *echo.Context) error { return c.String(http.StatusOK, "page") }
	empty := func(*echo.Context) error { return nil }
	failing := func(*echo.Context) error { return echo.ErrForbidden }
	before := func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c *echo.Context) error { isolate(c); return next(c) }
	}
	after := func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c *echo.Context) error { err := next(c); isolate(c); return err }
	}
	hook := func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c *echo.Context) error {
			res, err := echo.UnwrapResponse(c.Response())
			require.NoError(t, err)
			res.Before(func() { isolate(c) })
			return next(c)
		}
	}
	wrap := func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c *echo.Context) error {
			c.SetResponse(setAtCommit{c.Response()})
			return next(c)
		}
	}
	headers := glomoechov5.Headers()
	tests := []struct {
		name       string
		mw         []echo.MiddlewareFunc
		handler    echo.HandlerFunc
		wantStatus int
	}{
		{"before next, registered first", []echo.MiddlewareFunc{before, headers}, page, http.StatusOK},
		{"before next, registered after", []echo.MiddlewareFunc{headers, before}, page, http.StatusOK},
		{"after next on an unwritten response, registered after", []echo.MiddlewareFunc{headers, after}, empty, http.StatusOK},
		{"after next, then the error handler writes", []echo.MiddlewareFunc{headers, after}, failing, http.StatusForbidden},
		{"in a Before hook, registered first", []echo.MiddlewareFunc{hook, headers}, page, http.StatusOK},
		{"in a Before hook, registered after", []echo.MiddlewareFunc{headers, hook}, page, http.StatusOK},
		{"in a Before hook, unwritten response", []echo.MiddlewareFunc{headers, hook}, failing, http.StatusForbidden},
		{"in its writer, registered first", []echo.MiddlewareFunc{wrap, headers}, page, http.StatusOK},
		{"in its writer, registered after", []echo.MiddlewareFunc{headers, wrap}, page, http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEcho(tt.mw...)
			e.GET("/", tt.handler)
			rec := serve(e, httptest.NewRequest(http.MethodGet, "/", nil))
			assert.Equal(t, tt.wantStatus, rec.Code)
			assertFixed(t, rec.Result())
		})
	}
}

// hidingWriter wraps a writer without Unwrap, hiding echo's Response.
type hidingWriter struct{ http.ResponseWriter }

func TestHeadersBehindAWriterHidingTheResponse(t *testing.T) {
	hide := func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c *echo.Context) error { c.SetResponse(hidingWriter{c.Response()}); return next(c) }
	}
	for name, handler := range map[string]echo.HandlerFunc{
		"String":          func(c *echo.Context) error { isolate(c); return c.String(http.StatusOK, "page") },
		"nothing written": func(c *echo.Context) error { isolate(c); return nil },
	} {
		t.Run(name, func(t *testing.T) {
			e := newEcho(hide, glomoechov5.Headers())
			e.GET("/", handler)
			rec := serve(e, httptest.NewRequest(http.MethodGet, "/", nil))
			assert.Equal(t, http.StatusOK, rec.Code)
			assertFixed(t, rec.Result())
		})
	}
}

func TestErrorHandlerHeadersAreFixed(t *testing.T) {
	e := newEcho(glomoechov5.Headers())
	e.HTTPErrorHandler = func(c *echo.Context, err error) {
		// A custom error page that sets its own policy when it renders.
		isolate(c)
		_ = c.HTML(http.StatusNotFound, "<h1>gone</h1>")
	}
	e.GET("/", func(c *echo.Context) error { return echo.ErrNotFound })
	rec := serve(e, httptest.NewRequest(http.MethodGet, "/", nil))
	assert.Equal(t, http.StatusNotFound, rec.Code)
	assertFixed(t, rec.Result())
}

func TestHeadResponseIsFixed(t *testing.T) {
	// Echo answers HEAD with the GET handler when asked to, through a
	// writer of its own that commits when the handler returns.
	e := echo.NewWithConfig(echo.Config{
		Logger: slog.New(slog.DiscardHandler),
		Router: echo.NewRouter(echo.RouterConfig{AutoHandleHEAD: true}),
	})
	e.Use(glomoechov5.Headers())
	e.GET("/", func(c *echo.Context) error { isolate(c); return c.String(http.StatusOK, "page") })
	rec := serve(e, httptest.NewRequest(http.MethodHead, "/", nil))
	assert.Equal(t, http.StatusOK, rec.Code)
	assertFixed(t, rec.Result())
	assert.Empty(t, rec.Body.String())
}

func TestCOOPAndCSPSeparately(t *testing.T) {
	tests := []struct {
		name              string
		mw                echo.MiddlewareFunc
		wantCOOP, wantCSP string
	}{
		{"COOP", glomoechov5.COOP(), glomo.COOPAllowPopups, sitePolicy},
		{"CSP", glomoechov5.CSP(), "same-origin", mergedPolicy},
		{"Middleware(NewHeaders)", glomoechov5.Middleware(mustFixer(t, adapter.NewHeaders)), glomo.COOPAllowPopups, mergedPolicy},
		{"Middleware(NewCOOP)", glomoechov5.Middleware(mustFixer(t, adapter.NewCOOP)), glomo.COOPAllowPopups, sitePolicy},
		{"Middleware(NewCSP)", glomoechov5.Middleware(mustFixer(t, adapter.NewCSP)), "same-origin", mergedPolicy},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEcho(tt.mw)
			e.GET("/", func(c *echo.Context) error { isolate(c); return c.String(http.StatusOK, "ok") })
			rec := serve(e, httptest.NewRequest(http.MethodGet, "/", nil))
			assert.Equal(t, tt.wantCOOP, rec.Result().Header.Get(headerCOOP))
			assert.Equal(t, tt.wantCSP, rec.Result().Header.Get(headerCSP))
		})
	}
}

// mustFixer returns the Fixer that newFixer builds without options.
func mustFixer(t *testing.T, newFixer func(...glomo.Option) (*adapter.Fixer, error)) *adapter.Fixer {
	t.Helper()
	f, err := newFixer()
	require.NoError(t, err)
	return f
}

func TestSkip(t *testing.T) {
	skipIsolated := func(r *http.Request) bool { return strings.HasPrefix(r.URL.Path, "/isolated") }
	e := newEcho(glomoechov5.COOP(glomo.WithSkip(skipIsolated)), glomoechov5.CSP(glomo.WithSkip(skipIsolated)))
	e.GET("/*", func(c *echo.Context) error { isolate(c); return c.String(http.StatusOK, "ok") })

	tests := []struct{ path, wantCOOP, wantCSP string }{
		{"/isolated/game", "same-origin", sitePolicy},
		{"/shop", glomo.COOPAllowPopups, mergedPolicy},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			rec := serve(e, httptest.NewRequest(http.MethodGet, tt.path, nil))
			assert.Equal(t, tt.wantCOOP, rec.Result().Header.Get(headerCOOP))
			assert.Equal(t, tt.wantCSP, rec.Result().Header.Get(headerCSP))
		})
	}
}

func TestNonce(t *testing.T) {
	e := newEcho(glomoechov5.Headers(glomo.WithNonce(), glomo.WithBaseline("script-src 'self'")))
	e.GET("/", func(c *echo.Context) error { return c.String(http.StatusOK, glomoechov5.Nonce(c)) })

	seen := map[string]bool{}
	for i := 0; i < 3; i++ {
		rec := serve(e, httptest.NewRequest(http.MethodGet, "/", nil))
		nonce := rec.Body.String()
		require.NotEmpty(t, nonce)
		assert.False(t, seen[nonce], "a fresh nonce per request")
		seen[nonce] = true
		assert.Contains(t, rec.Result().Header.Get(headerCSP), "'nonce-"+nonce+"'")
	}
}

// pageTemplate renders the inline script that opens the checkout.
const pageTemplate = `<script type="module" nonce="{{.}}">openCheckout()</script>`

// templateRenderer is an echo.Renderer that puts the request's nonce in
// the page, as a site's templates do.
type templateRenderer struct{}

func (templateRenderer) Render(c *echo.Context, w io.Writer, _ string, _ any) error {
	_, err := io.WriteString(w, strings.ReplaceAll(pageTemplate, "{{.}}", glomoechov5.Nonce(c)))
	return err
}

func TestNonceInTemplates(t *testing.T) {
	e := newEcho(glomoechov5.Headers(glomo.WithNonce()))
	e.Renderer = templateRenderer{}
	e.GET("/checkout", func(c *echo.Context) error {
		c.Response().Header().Set(headerCSP, "script-src 'self'")
		return c.Render(http.StatusOK, "checkout", nil)
	})
	rec := serve(e, httptest.NewRequest(http.MethodGet, "/checkout", nil))
	require.Equal(t, http.StatusOK, rec.Code)
	body := rec.Body.String()
	nonce := strings.TrimSuffix(strings.TrimPrefix(body, `<script type="module" nonce="`), `">openCheckout()</script>`)
	require.NotEmpty(t, nonce)
	require.NotEqual(t, body, nonce, "the template rendered a nonce")
	assert.Equal(t, "script-src 'self' https://glomopay-checkout-sdk.web.app 'nonce-"+nonce+"'", rec.Header().Get(headerCSP))
}

func TestConstructorsPanicOnBadConfiguration(t *testing.T) {
	quiet := slog.New(slog.DiscardHandler)
	tests := []struct {
		name      string
		build     func()
		wantPanic bool
		wantErr   error // what the panic matches, when not nil
	}{
		{"Middleware(nil)", func() { glomoechov5.Middleware(nil) }, true, nil},
		{"CSP with an empty baseline", func() { glomoechov5.CSP(glomo.WithBaseline("")) }, true, glomo.ErrInvalidBaseline},
		{"Headers with a zero cache", func() { glomoechov5.Headers(glomo.WithCacheSize(0)) }, true, nil},
		{"Headers with a nil Option", func() { glomoechov5.Headers(nil) }, true, nil},
		{"COOP with a CSP option", func() { glomoechov5.COOP(glomo.WithNonce()) }, true, glomo.ErrUnsupportedOption},
		{"COOP with WithSkip and WithLogger", func() {
			glomoechov5.COOP(glomo.WithSkip(func(*http.Request) bool { return false }), glomo.WithLogger(quiet))
		}, false, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !tt.wantPanic {
				assert.NotPanics(t, tt.build)
				return
			}
			if tt.wantErr == nil {
				assert.Panics(t, tt.build)
				return
			}
			defer func() {
				err, ok := recover().(error)
				require.True(t, ok, "panics with an error")
				assert.ErrorIs(t, err, tt.wantErr)
			}()
			tt.build()
		})
	}
}

func TestRecoverResponseIsFixed(t *testing.T) {
	recoverMW := middleware.RecoverWithConfig(middleware.RecoverConfig{DisablePrintStack: true})
	for _, order := range []string{"Recover outside", "Recover inside"} {
		t.Run(order, func(t *testing.T) {
			e := newEcho(recoverMW, glomoechov5.Headers())
			if order == "Recover inside" {
				e = newEcho(glomoechov5.Headers(), recoverMW)
			}
			e.GET("/", func(c *echo.Context) error { isolate(c); panic("handler bug") })
			rec := serve(e, httptest.NewRequest(http.MethodGet, "/", nil))
			assert.Equal(t, http.StatusInternalServerError, rec.Code)
			assertFixed(t, rec.Result())
		})
	}
}

func TestGzipComposes(t *testing.T) {
	gzip := middleware.GzipWithConfig(middleware.GzipConfig{MinLength: 1})
	for _, order := range []string{"Gzip outside", "Gzip inside"} {
		t.Run(order, func(t *testing.T) {
			e := newEcho(gzip, glomoechov5.Headers())
			if order == "Gzip inside" {
				e = newEcho(glomoechov5.Headers(), gzip)
			}
			e.GET("/", func(c *echo.Context) error {
				isolate(c)
				_, _ = c.Response().Write([]byte("part one "))
				_ = http.NewResponseController(c.Response()).Flush()
				return c.String(http.StatusOK, "part two")
			})
			srv := httptest.NewServer(e)
			defer srv.Close()
			res, err := srv.Client().Get(srv.URL) // the transport asks for gzip and decodes it
			require.NoError(t, err)
			defer res.Body.Close()
			body, err := io.ReadAll(res.Body)
			require.NoError(t, err)
			assert.True(t, res.Uncompressed, "the response was gzipped")
			assert.Equal(t, "part one part two", string(body))
			assertFixed(t, res)
		})
	}
}

// TestStreaming checks on a real connection that the headers of a streamed
// response are fixed by the time they arrive, before the handler finishes:
// for events written and flushed and for a flush before anything is
// written (which reaches the writer beneath echo's Response directly).
func TestStreaming(t *testing.T) {
	tests := []struct {
		name      string
		start     func(c *echo.Context)
		wantFirst string
	}{
		{"write then flush", func(c *echo.Context) {
			_, _ = c.Response().Write([]byte("data: one\n\n"))
			_ = http.NewResponseController(c.Response()).Flush()
		}, "data: one\n"},
		{"flush first", func(c *echo.Context) { _ = http.NewResponseController(c.Response()).Flush() }, ""},
		{"Response.Flush first", func(c *echo.Context) { c.Response().(http.Flusher).Flush() }, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			release := make(chan struct{})
			e := newEcho(glomoechov5.Headers())
			e.GET("/events", func(c *echo.Context) error {
				isolate(c)
				c.Response().Header().Set(echo.HeaderContentType, "text/event-stream")
				tt.start(c)
				<-release
				return nil
			})
			srv := httptest.NewServer(e)
			defer srv.Close()

			res, err := srv.Client().Get(srv.URL + "/events")
			require.NoError(t, err)
			defer res.Body.Close()
			assertFixed(t, res)
			br := bufio.NewReader(res.Body)
			if tt.wantFirst != "" {
				line, err := br.ReadString('\n')
				require.NoError(t, err)
				assert.Equal(t, tt.wantFirst, line)
			}
			close(release)
			_, err = io.ReadAll(br)
			require.NoError(t, err)
		})
	}
}

// TestInformationalPassesThrough checks on a real connection that a 1xx
// response goes out as the handler wrote it, leaving the final response's
// headers open, and that the final response is fixed. Echo's Response
// treats any status as final, so a handler sends early hints on the writer
// beneath it; sent through the Response, the final status is the implicit
// 200 of its next Write.
func TestInformationalPassesThrough(t *testing.T) {
	tests := []struct {
		name  string
		hints func(c *echo.Context)
	}{
		{"beneath echo's Response", func(c *echo.Context) {
			res, err := echo.UnwrapResponse(c.Response())
			require.NoError(t, err)
			res.ResponseWriter.WriteHeader(http.StatusEarlyHints)
		}},
		{"through echo's Response", func(c *echo.Context) { c.Response().WriteHeader(http.StatusEarlyHints) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEcho(glomoechov5.Headers())
			e.GET("/", func(c *echo.Context) error {
				c.Response().Header().Set("Link", "</app.js>; rel=preload; as=script")
				tt.hints(c)
				isolate(c)
				_, err := c.Response().Write([]byte("page"))
				return err
			})
			srv := httptest.NewServer(e)
			defer srv.Close()

			var hints []textproto.MIMEHeader
			trace := &httptrace.ClientTrace{Got1xxResponse: func(code int, h textproto.MIMEHeader) error {
				assert.Equal(t, http.StatusEarlyHints, code)
				hints = append(hints, h)
				return nil
			}}
			req, err := http.NewRequestWithContext(httptrace.WithClientTrace(t.Context(), trace), http.MethodGet, srv.URL, nil)
			require.NoError(t, err)
			res, err := srv.Client().Do(req)
			require.NoError(t, err)
			defer res.Body.Close()
			body, err := io.ReadAll(res.Body)
			require.NoError(t, err)

			require.Len(t, hints, 1)
			assert.Equal(t, "</app.js>; rel=preload; as=script", hints[0].Get("Link"))
			assert.Empty(t, hints[0].Get(headerCOOP), "the hints are sent as written")
			assert.Equal(t, http.StatusOK, res.StatusCode)
			assert.Equal(t, "page", string(body))
			assertFixed(t, res)
		})
	}
}

// TestHijack checks on a real connection that a hijacked response is left
// to its handler, through echo's Response.Hijack and the writer's Hijack.
func TestHijack(t *testing.T) {
	e := newEcho(glomoechov5.Headers())
	e.GET("/raw", func(c *echo.Context) error {
		conn, rw, err := http.NewResponseController(c.Response()).Hijack()
		if err != nil {
			return err
		}
		defer conn.Close()
		_, _ = rw.WriteString("HTTP/1.1 200 OK\r\nCross-Origin-Opener-Policy: same-origin\r\nContent-Length: 2\r\nConnection: close\r\n\r\nhi")
		return rw.Flush()
	})
	srv := httptest.NewServer(e)
	defer srv.Close()

	res, err := srv.Client().Get(srv.URL + "/raw")
	require.NoError(t, err)
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	assert.Equal(t, "hi", string(body))
	assert.Equal(t, "same-origin", res.Header.Get(headerCOOP), "the handler owns a hijacked connection")
}

// noFlush is a ResponseWriter that cannot flush.
type noFlush struct{ http.ResponseWriter }

func TestFlushUnsupportedKeepsHeadersOpen(t *testing.T) {
	e := newEcho(glomoechov5.Headers())
	e.GET("/", func(c *echo.Context) error {
		// Echo's Response panics when no writer can flush.
		assert.Panics(t, func() { c.Response().(http.Flusher).Flush() })
		isolate(c) // still in time
		return c.String(http.StatusOK, "ok")
	})
	rec := httptest.NewRecorder()
	e.ServeHTTP(noFlush{rec}, httptest.NewRequest(http.MethodGet, "/", nil))
	assert.Equal(t, http.StatusOK, rec.Code)
	assertFixed(t, rec.Result())
}

func TestExemptCOOP(t *testing.T) {
	tests := []struct {
		name  string
		write func(c *echo.Context) error
	}{
		{"written", func(c *echo.Context) error { return c.String(http.StatusOK, "page") }},
		{"flushed", func(c *echo.Context) error { return http.NewResponseController(c.Response()).Flush() }},
		{"nothing written", func(*echo.Context) error { return nil }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEcho(glomoechov5.Headers())
			e.GET("/", func(c *echo.Context) error {
				isolate(c)
				assert.True(t, glomo.ExemptCOOP(c.Response()), "the middleware's writer is found")
				return tt.write(c)
			})
			res := serve(e, httptest.NewRequest(http.MethodGet, "/", nil)).Result()
			assert.Equal(t, http.StatusOK, res.StatusCode)
			assert.Equal(t, "same-origin", res.Header.Get(headerCOOP), "an exempt response keeps its COOP")
			assert.Equal(t, mergedPolicy, res.Header.Get(headerCSP), "its CSP is still merged")
		})
	}
	t.Run("another response of the same echo", func(t *testing.T) {
		e := newEcho(glomoechov5.Headers())
		e.GET("/exempt", func(c *echo.Context) error { isolate(c); glomo.ExemptCOOP(c.Response()); return nil })
		e.GET("/", func(c *echo.Context) error { isolate(c); return nil })
		serve(e, httptest.NewRequest(http.MethodGet, "/exempt", nil))
		assertFixed(t, serve(e, httptest.NewRequest(http.MethodGet, "/", nil)).Result())
	})
	t.Run("without the middleware", func(t *testing.T) {
		found := true
		e := newEcho()
		e.GET("/", func(c *echo.Context) error { found = glomo.ExemptCOOP(c.Response()); return nil })
		serve(e, httptest.NewRequest(http.MethodGet, "/", nil))
		assert.False(t, found)
	})
}
