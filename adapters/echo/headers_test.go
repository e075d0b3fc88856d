package glomoecho_test

import (
	"bufio"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/glomokit/glomo"
	"github.com/glomokit/glomo/adapter"
	glomoecho "github.com/glomokit/glomo/adapters/echo"
	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
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
func isolate(c echo.Context) {
	c.Response().Header().Set(headerCOOP, "same-origin")
	c.Response().Header().Set(headerCSP, sitePolicy)
}

func newEcho(mw ...echo.MiddlewareFunc) *echo.Echo {
	e := echo.New()
	e.HideBanner = true
	e.Logger.SetOutput(io.Discard)
	e.Use(mw...)
	return e
}

func TestHeadersFixesWhatTheHandlerSets(t *testing.T) {
	tests := []struct {
		name       string
		handler    echo.HandlerFunc
		wantStatus int
		wantBody   string
	}{
		{"String", func(c echo.Context) error { isolate(c); return c.String(http.StatusOK, "page") }, http.StatusOK, "page"},
		{"JSON", func(c echo.Context) error { isolate(c); return c.JSON(http.StatusCreated, map[string]bool{"ok": true}) }, http.StatusCreated, `{"ok":true}`},
		{"HTML", func(c echo.Context) error { isolate(c); return c.HTML(http.StatusOK, "<p>") }, http.StatusOK, "<p>"},
		{"NoContent", func(c echo.Context) error { isolate(c); return c.NoContent(http.StatusNoContent) }, http.StatusNoContent, ""},
		{"Redirect", func(c echo.Context) error { isolate(c); return c.Redirect(http.StatusSeeOther, "/done") }, http.StatusSeeOther, ""},
		{"Response.Write", func(c echo.Context) error {
			isolate(c)
			_, err := c.Response().Write([]byte("w"))
			return err
		}, http.StatusOK, "w"},
		{"Response.WriteHeader", func(c echo.Context) error {
			isolate(c)
			c.Response().WriteHeader(http.StatusAccepted)
			return nil
		}, http.StatusAccepted, ""},
		{"nothing written", func(c echo.Context) error { isolate(c); return nil }, http.StatusOK, ""},
		{"HTTPError", func(c echo.Context) error {
			isolate(c)
			return echo.NewHTTPError(http.StatusForbidden, "no")
		}, http.StatusForbidden, `{"message":"no"}`},
		{"plain error", func(c echo.Context) error { isolate(c); return errors.New("bug") }, http.StatusInternalServerError, `{"message":"Internal Server Error"}`},
		{"Flush", func(c echo.Context) error { isolate(c); c.Response().Flush(); return nil }, http.StatusOK, ""},
		{"Stream", func(c echo.Context) error {
			isolate(c)
			return c.Stream(http.StatusOK, "text/plain", strings.NewReader("streamed"))
		}, http.StatusOK, "streamed"},
		{"set in a Before hook", func(c echo.Context) error {
			c.Response().Before(func() { isolate(c) })
			return c.String(http.StatusOK, "hooked")
		}, http.StatusOK, "hooked"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEcho(glomoecho.Headers())
			e.GET("/", tt.handler)
			rec := httptest.NewRecorder()
			e.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))

			// Result's headers are the ones on the wire: recorded when the
			// status was written, whatever changed after.
			res := rec.Result()
			assert.Equal(t, tt.wantStatus, res.StatusCode)
			assert.Equal(t, glomo.COOPAllowPopups, res.Header.Get(headerCOOP))
			assert.Equal(t, mergedPolicy, res.Header.Get(headerCSP))
			assert.Equal(t, tt.wantBody, strings.TrimSpace(rec.Body.String()))
		})
	}
}

func TestErrorHandlerHeadersAreFixed(t *testing.T) {
	e := newEcho(glomoecho.Headers())
	e.HTTPErrorHandler = func(err error, c echo.Context) {
		// A custom error page that sets its own policy when it renders.
		isolate(c)
		_ = c.HTML(http.StatusNotFound, "<h1>gone</h1>")
	}
	e.GET("/", func(c echo.Context) error { return echo.ErrNotFound })
	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
	res := rec.Result()
	assert.Equal(t, http.StatusNotFound, res.StatusCode)
	assert.Equal(t, glomo.COOPAllowPopups, res.Header.Get(headerCOOP))
	assert.Equal(t, mergedPolicy, res.Header.Get(headerCSP))
}

// mustFixer returns the Fixer that newFixer builds without options.
func mustFixer(t *testing.T, newFixer func(...glomo.Option) (*adapter.Fixer, error)) *adapter.Fixer {
	t.Helper()
	f, err := newFixer()
	require.NoError(t, err)
	return f
}

func TestCOOPAndCSPSeparately(t *testing.T) {
	tests := []struct {
		name              string
		mw                echo.MiddlewareFunc
		wantCOOP, wantCSP string
	}{
		{"COOP", glomoecho.COOP(), glomo.COOPAllowPopups, sitePolicy},
		{"CSP", glomoecho.CSP(), "same-origin", mergedPolicy},
		{"Middleware(NewHeaders)", glomoecho.Middleware(mustFixer(t, adapter.NewHeaders)), glomo.COOPAllowPopups, mergedPolicy},
		{"Middleware(NewCOOP)", glomoecho.Middleware(mustFixer(t, adapter.NewCOOP)), glomo.COOPAllowPopups, sitePolicy},
		{"Middleware(NewCSP)", glomoecho.Middleware(mustFixer(t, adapter.NewCSP)), "same-origin", mergedPolicy},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEcho(tt.mw)
			e.GET("/", func(c echo.Context) error { isolate(c); return c.String(http.StatusOK, "ok") })
			rec := httptest.NewRecorder()
			e.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
			assert.Equal(t, tt.wantCOOP, rec.Result().Header.Get(headerCOOP))
			assert.Equal(t, tt.wantCSP, rec.Result().Header.Get(headerCSP))
		})
	}
}

func TestSkip(t *testing.T) {
	skipIsolated := func(r *http.Request) bool { return strings.HasPrefix(r.URL.Path, "/isolated") }
	e := newEcho(glomoecho.COOP(glomo.WithSkip(skipIsolated)), glomoecho.CSP(glomo.WithSkip(skipIsolated)))
	e.GET("/*", func(c echo.Context) error { isolate(c); return c.String(http.StatusOK, "ok") })

	for path, want := range map[string]string{"/isolated/game": "same-origin", "/shop": glomo.COOPAllowPopups} {
		rec := httptest.NewRecorder()
		e.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		assert.Equal(t, want, rec.Result().Header.Get(headerCOOP), path)
	}
}

func TestNonce(t *testing.T) {
	e := newEcho(glomoecho.Headers(glomo.WithNonce(), glomo.WithBaseline("script-src 'self'")))
	e.GET("/", func(c echo.Context) error { return c.String(http.StatusOK, glomoecho.Nonce(c)) })

	seen := map[string]bool{}
	for i := 0; i < 3; i++ {
		rec := httptest.NewRecorder()
		e.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
		nonce := rec.Body.String()
		require.NotEmpty(t, nonce)
		assert.False(t, seen[nonce], "a fresh nonce per request")
		seen[nonce] = true
		assert.Contains(t, rec.Result().Header.Get(headerCSP), "'nonce-"+nonce+"'")
	}
}

func TestConstructorsPanicOnBadConfiguration(t *testing.T) {
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	tests := []struct {
		name      string
		build     func()
		wantPanic bool
		wantErr   error // what the panic matches, when not nil
	}{
		{"Middleware(nil)", func() { glomoecho.Middleware(nil) }, true, nil},
		{"CSP with an empty baseline", func() { glomoecho.CSP(glomo.WithBaseline("")) }, true, glomo.ErrInvalidBaseline},
		{"Headers with a zero cache", func() { glomoecho.Headers(glomo.WithCacheSize(0)) }, true, nil},
		{"Headers with a nil Option", func() { glomoecho.Headers(nil) }, true, nil},
		{"COOP with a CSP option", func() { glomoecho.COOP(glomo.WithNonce()) }, true, glomo.ErrUnsupportedOption},
		{"COOP with WithSkip and WithLogger", func() {
			glomoecho.COOP(glomo.WithSkip(func(*http.Request) bool { return false }), glomo.WithLogger(quiet))
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
	for _, order := range []string{"Recover outside", "Recover inside"} {
		t.Run(order, func(t *testing.T) {
			recoverMW := middleware.RecoverWithConfig(middleware.RecoverConfig{DisablePrintStack: true, LogErrorFunc: func(_ echo.Context, err error, _ []byte) error { return err }})
			e := newEcho(recoverMW, glomoecho.Headers())
			if order == "Recover inside" {
				e = newEcho(glomoecho.Headers(), recoverMW)
			}
			e.GET("/", func(c echo.Context) error { isolate(c); panic("handler bug") })
			rec := httptest.NewRecorder()
			e.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
			assert.Equal(t, http.StatusInternalServerError, rec.Code)
			assert.Equal(t, glomo.COOPAllowPopups, rec.Result().Header.Get(headerCOOP))
		})
	}
}

func TestGzipComposes(t *testing.T) {
	gzip := middleware.GzipWithConfig(middleware.GzipConfig{MinLength: 1})
	handlers := []struct {
		name           string
		handler        echo.HandlerFunc
		wantStatus     int
		wantBody       string
		wantCompressed bool
	}{
		{"flushed body", func(c echo.Context) error {
			isolate(c)
			_, _ = c.Response().Write([]byte("part one "))
			c.Response().Flush()
			return c.String(http.StatusOK, "part two")
		}, http.StatusOK, "part one part two", true},
		{"no body", func(c echo.Context) error { isolate(c); return c.NoContent(http.StatusNoContent) }, http.StatusNoContent, "", false},
		{"nothing written", func(c echo.Context) error { isolate(c); return nil }, http.StatusOK, "", false},
	}
	for _, order := range []string{"Gzip outside", "Gzip inside"} {
		for _, h := range handlers {
			t.Run(order+"/"+h.name, func(t *testing.T) {
				e := newEcho(gzip, glomoecho.Headers())
				if order == "Gzip inside" {
					e = newEcho(glomoecho.Headers(), gzip)
				}
				e.GET("/", h.handler)
				srv := httptest.NewServer(e)
				defer srv.Close()
				res, err := srv.Client().Get(srv.URL) // the transport asks for gzip and decodes it
				require.NoError(t, err)
				defer res.Body.Close()
				body, err := io.ReadAll(res.Body)
				require.NoError(t, err)
				assert.Equal(t, h.wantStatus, res.StatusCode)
				assert.Equal(t, h.wantCompressed, res.Uncompressed, "gzipped")
				assert.Equal(t, h.wantBody, string(body))
				assert.Equal(t, glomo.COOPAllowPopups, res.Header.Get(headerCOOP))
				assert.Equal(t, mergedPolicy, res.Header.Get(headerCSP))
			})
		}
	}
}

// TestStreaming checks on a real connection that the headers of a streamed
// response are fixed by the time they arrive, before the handler finishes:
// for events written and flushed and for a flush
// before anything is written (which bypasses the hook).
func TestStreaming(t *testing.T) {
	tests := []struct {
		name      string
		start     func(c echo.Context)
		wantFirst string
	}{
		{"write then flush", func(c echo.Context) {
			_, _ = c.Response().Write([]byte("data: one\n\n"))
			c.Response().Flush()
		}, "data: one\n"},
		{"flush first", func(c echo.Context) { c.Response().Flush() }, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			release := make(chan struct{})
			e := newEcho(glomoecho.Headers())
			e.GET("/events", func(c echo.Context) error {
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
			assert.Equal(t, glomo.COOPAllowPopups, res.Header.Get(headerCOOP))
			assert.Equal(t, mergedPolicy, res.Header.Get(headerCSP))
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

// TestHijack checks on a real connection that a hijacked response is left
// to its handler, through echo's Response.Hijack and our Unwrap.
func TestHijack(t *testing.T) {
	e := newEcho(glomoecho.Headers())
	e.GET("/raw", func(c echo.Context) error {
		conn, rw, err := c.Response().Hijack()
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
	e := newEcho(glomoecho.Headers())
	e.GET("/", func(c echo.Context) error {
		err := http.NewResponseController(c.Response().Writer).Flush()
		assert.ErrorIs(t, err, http.ErrNotSupported)
		isolate(c) // still in time
		return c.String(http.StatusOK, "ok")
	})
	rec := httptest.NewRecorder()
	e.ServeHTTP(noFlush{rec}, httptest.NewRequest(http.MethodGet, "/", nil))
	assert.Equal(t, glomo.COOPAllowPopups, rec.Result().Header.Get(headerCOOP))
	assert.Equal(t, mergedPolicy, rec.Result().Header.Get(headerCSP))
}

func TestExemptCOOP(t *testing.T) {
	writes := map[string]func(c echo.Context) error{
		"String":          func(c echo.Context) error { return c.String(http.StatusOK, "page") },
		"Flush":           func(c echo.Context) error { c.Response().Flush(); return nil },
		"nothing written": func(echo.Context) error { return nil },
	}
	for name, write := range writes {
		t.Run(name, func(t *testing.T) {
			e := newEcho(glomoecho.Headers())
			e.GET("/", func(c echo.Context) error {
				isolate(c)
				assert.True(t, glomo.ExemptCOOP(c.Response()), "the middleware's writer is found")
				return write(c)
			})
			rec := httptest.NewRecorder()
			e.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
			res := rec.Result()
			assert.Equal(t, "same-origin", res.Header.Get(headerCOOP), "an exempt response keeps its COOP")
			assert.Equal(t, mergedPolicy, res.Header.Get(headerCSP), "its CSP is still merged")
		})
	}
	t.Run("without the middleware", func(t *testing.T) {
		found := true
		e := newEcho()
		e.GET("/", func(c echo.Context) error { found = glomo.ExemptCOOP(c.Response()); return nil })
		e.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/", nil))
		assert.False(t, found)
	})
}
