package glomofiber_test

import (
	"bufio"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/glomokit/glomo"
	"github.com/glomokit/glomo/adapter"
	glomofiber "github.com/glomokit/glomo/adapters/fiber"
	"github.com/glomokit/glomo/internal/adaptertest"
	"github.com/gofiber/fiber/v3"
	"github.com/gofiber/fiber/v3/middleware/recover"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const (
	sitePolicy = "default-src 'self'"
	sdkHost    = "https://glomopay-checkout-sdk.web.app"
)

// mergedPolicy is sitePolicy as the middleware serves it.
func mergedPolicy(t testing.TB) string {
	t.Helper()
	p, err := glomo.MergeCSP(sitePolicy)
	require.NoError(t, err)
	return p
}

// setSite sets the site's own, unfixed COOP and CSP on c's response.
func setSite(c fiber.Ctx) {
	c.Set("Content-Security-Policy", sitePolicy)
	c.Set("Cross-Origin-Opener-Policy", "same-origin")
}

// do sends req to app through app.Test.
func do(t testing.TB, app *fiber.App, req *http.Request) (*http.Response, string) {
	t.Helper()
	res, err := app.Test(req, fiber.TestConfig{Timeout: 10 * time.Second})
	require.NoError(t, err)
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	return res, string(b)
}

func get(path string) *http.Request { return httptest.NewRequest(http.MethodGet, path, nil) }

// TestHeadersCoversEveryWriteBeforeFasthttpWrites runs each way a Fiber
// app sets headers and checks that the response carries them fixed.
func TestHeadersCoversEveryWriteBeforeFasthttpWrites(t *testing.T) {
	tests := []struct {
		name       string
		config     fiber.Config
		before     []fiber.Handler // registered before glomofiber's
		after      []fiber.Handler // registered after it
		path       string
		handler    fiber.Handler
		wantStatus int
		wantBody   string
	}{
		{name: "handler", path: "/p", handler: func(c fiber.Ctx) error { setSite(c); return c.SendString("page") }, wantStatus: 200, wantBody: "page"},
		{name: "handler through Response().Header", path: "/p", handler: func(c fiber.Ctx) error {
			c.Response().Header.Set("Content-Security-Policy", sitePolicy)
			c.Response().Header.Set("Cross-Origin-Opener-Policy", "same-origin")
			return c.SendString("page")
		}, wantStatus: 200, wantBody: "page"},
		{name: "later middleware after c.Next", path: "/p",
			after: []fiber.Handler{func(c fiber.Ctx) error {
				err := c.Next()
				setSite(c)
				return err
			}},
			handler: func(c fiber.Ctx) error { return c.SendString("page") }, wantStatus: 200, wantBody: "page"},
		{name: "later middleware before c.Next", path: "/p",
			after:   []fiber.Handler{func(c fiber.Ctx) error { setSite(c); return c.Next() }},
			handler: func(c fiber.Ctx) error { return c.SendString("page") }, wantStatus: 200, wantBody: "page"},
		{name: "earlier middleware before c.Next", path: "/p",
			before:  []fiber.Handler{func(c fiber.Ctx) error { setSite(c); return c.Next() }},
			handler: func(c fiber.Ctx) error { return c.SendString("page") }, wantStatus: 200, wantBody: "page"},
		{name: "error handler for a handler's error", path: "/p",
			config: fiber.Config{ErrorHandler: func(c fiber.Ctx, err error) error {
				setSite(c)
				return c.Status(fiber.StatusTeapot).SendString("error: " + err.Error())
			}},
			handler: func(fiber.Ctx) error { return errors.New("boom") }, wantStatus: fiber.StatusTeapot, wantBody: "error: boom"},
		{name: "error handler for a *fiber.Error", path: "/p",
			after:   []fiber.Handler{func(c fiber.Ctx) error { setSite(c); return c.Next() }},
			handler: func(fiber.Ctx) error { return fiber.ErrForbidden }, wantStatus: fiber.StatusForbidden, wantBody: "Forbidden"},
		{name: "error handler for the router's 404", path: "/nowhere",
			config: fiber.Config{ErrorHandler: func(c fiber.Ctx, err error) error {
				setSite(c)
				return fiber.DefaultErrorHandler(c, err)
			}},
			handler: func(c fiber.Ctx) error { return c.SendString("page") }, wantStatus: fiber.StatusNotFound, wantBody: "Not Found"},
		{name: "recovered panic", path: "/p",
			config: fiber.Config{ErrorHandler: func(c fiber.Ctx, err error) error {
				setSite(c)
				return c.Status(fiber.StatusInternalServerError).SendString("recovered")
			}},
			after:   []fiber.Handler{recover.New()},
			handler: func(fiber.Ctx) error { panic("boom") }, wantStatus: 500, wantBody: "recovered"},
		{name: "SendStream", path: "/p", handler: func(c fiber.Ctx) error {
			setSite(c)
			return c.SendStream(strings.NewReader("streamed"))
		}, wantStatus: 200, wantBody: "streamed"},
		{name: "SendStreamWriter", path: "/p", handler: func(c fiber.Ctx) error {
			setSite(c)
			return c.SendStreamWriter(func(w *bufio.Writer) {
				_, _ = w.WriteString("chunk 1,")
				_ = w.Flush()
				_, _ = w.WriteString("chunk 2")
			})
		}, wantStatus: 200, wantBody: "chunk 1,chunk 2"},
		{name: "SetBodyStreamWriter", path: "/p", handler: func(c fiber.Ctx) error {
			setSite(c)
			c.Response().SetBodyStreamWriter(func(w *bufio.Writer) { _, _ = w.WriteString("raw stream") })
			return nil
		}, wantStatus: 200, wantBody: "raw stream"},
		{name: "net/http page through HTTPHandler", path: "/p", handler: glomofiber.HTTPHandler(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Security-Policy", sitePolicy)
			w.Header().Set("Cross-Origin-Opener-Policy", "same-origin")
			_, _ = io.WriteString(w, "page")
		})), wantStatus: 200, wantBody: "page"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			app := fiber.New(tt.config)
			for _, h := range tt.before {
				app.Use(h)
			}
			app.Use(glomofiber.Headers())
			for _, h := range tt.after {
				app.Use(h)
			}
			app.Get("/p", tt.handler)
			res, body := do(t, app, get(tt.path))
			assert.Equal(t, tt.wantStatus, res.StatusCode)
			assert.Equal(t, tt.wantBody, body)
			assert.Equal(t, glomo.COOPAllowPopups, res.Header.Get("Cross-Origin-Opener-Policy"))
			assert.Equal(t, []string{mergedPolicy(t)}, res.Header.Values("Content-Security-Policy"))
		})
	}
}

// TestHeadersWithoutPolicies checks the defaults of a response that set
// nothing: COOP added, no CSP invented, and a WithBaseline policy.
func TestHeadersWithoutPolicies(t *testing.T) {
	app := fiber.New()
	app.Use(glomofiber.Headers())
	app.Get("/", func(c fiber.Ctx) error { return c.SendString("plain") })
	res, _ := do(t, app, get("/"))
	assert.Equal(t, glomo.COOPAllowPopups, res.Header.Get("Cross-Origin-Opener-Policy"))
	assert.Empty(t, res.Header.Values("Content-Security-Policy"))

	app = fiber.New()
	app.Use(glomofiber.CSP(glomo.WithBaseline(sitePolicy)))
	app.Get("/", func(c fiber.Ctx) error { return c.SendString("plain") })
	res, _ = do(t, app, get("/"))
	assert.Equal(t, mergedPolicy(t), res.Header.Get("Content-Security-Policy"))
	assert.Empty(t, res.Header.Get("Cross-Origin-Opener-Policy"), "CSP alone leaves COOP alone")
}

// TestHeadersKeepsRepeatedFields checks that every field line of a
// repeated header is fixed and kept, in order, and that fields the fixer
// does not change are not rewritten.
func TestHeadersKeepsRepeatedFields(t *testing.T) {
	app := fiber.New()
	app.Use(glomofiber.Headers(glomo.WithReportOnly(), glomo.WithLogger(adaptertest.Quiet)))
	app.Get("/", func(c fiber.Ctx) error {
		h := &c.Response().Header
		h.Add("Content-Security-Policy", sitePolicy)
		h.Add("Content-Security-Policy", "frame-ancestors 'none'")
		h.Add("Content-Security-Policy-Report-Only", sitePolicy)
		h.Set("Cross-Origin-Opener-Policy", "same-origin; report-to=\"coop\"")
		h.Set("Cross-Origin-Embedder-Policy", "require-corp")
		h.Set("X-Other", "kept")
		return c.SendString("ok")
	})
	res, _ := do(t, app, get("/"))
	assert.Equal(t, []string{mergedPolicy(t), "frame-ancestors 'none'"}, res.Header.Values("Content-Security-Policy"))
	assert.Equal(t, []string{mergedPolicy(t)}, res.Header.Values("Content-Security-Policy-Report-Only"))
	assert.Equal(t, `same-origin-allow-popups; report-to="coop"`, res.Header.Get("Cross-Origin-Opener-Policy"))
	assert.Equal(t, "require-corp", res.Header.Get("Cross-Origin-Embedder-Policy"))
	assert.Equal(t, "kept", res.Header.Get("X-Other"))
}

func TestCOOPAndCSPSeparately(t *testing.T) {
	for name, mw := range map[string]fiber.Handler{"COOP": glomofiber.COOP(), "CSP": glomofiber.CSP()} {
		t.Run(name, func(t *testing.T) {
			app := fiber.New()
			app.Use(mw)
			app.Get("/", func(c fiber.Ctx) error { setSite(c); return nil })
			res, _ := do(t, app, get("/"))
			if name == "COOP" {
				assert.Equal(t, glomo.COOPAllowPopups, res.Header.Get("Cross-Origin-Opener-Policy"))
				assert.Equal(t, sitePolicy, res.Header.Get("Content-Security-Policy"))
			} else {
				assert.Equal(t, "same-origin", res.Header.Get("Cross-Origin-Opener-Policy"))
				assert.Equal(t, mergedPolicy(t), res.Header.Get("Content-Security-Policy"))
			}
		})
	}
}

func TestSkip(t *testing.T) {
	var seen *http.Request
	app := fiber.New()
	app.Use(glomofiber.Headers(glomo.WithSkip(func(r *http.Request) bool {
		seen = r
		return strings.HasPrefix(r.URL.Path, "/isolated")
	})))
	app.Get("/*", func(c fiber.Ctx) error { setSite(c); return nil })

	res, _ := do(t, app, get("/isolated/page?x=1"))
	assert.Equal(t, "same-origin", res.Header.Get("Cross-Origin-Opener-Policy"))
	assert.Equal(t, sitePolicy, res.Header.Get("Content-Security-Policy"))
	res, _ = do(t, app, get("/page"))
	assert.Equal(t, glomo.COOPAllowPopups, res.Header.Get("Cross-Origin-Opener-Policy"))

	// The skip function sees the request as net/http would build it.
	req := get("/page?a=b&c=d")
	req.Header.Add("X-Twice", "one")
	req.Header.Add("X-Twice", "two")
	req.Header.Set("Cookie", "session=s1")
	do(t, app, req)
	require.NotNil(t, seen)
	assert.Equal(t, http.MethodGet, seen.Method)
	assert.Equal(t, "/page", seen.URL.Path)
	assert.Equal(t, "a=b&c=d", seen.URL.RawQuery)
	assert.Equal(t, "example.com", seen.Host)
	assert.Equal(t, []string{"one", "two"}, seen.Header.Values("X-Twice"))
	assert.Equal(t, "session=s1", seen.Header.Get("Cookie"))
	assert.Empty(t, seen.Header.Values("Host"))
}

func TestNonce(t *testing.T) {
	app := fiber.New()
	app.Use(glomofiber.Headers(glomo.WithNonce()))
	app.Get("/", func(c fiber.Ctx) error {
		setSite(c)
		assert.Equal(t, glomofiber.Nonce(c), glomo.Nonce(c.Context()))
		return c.SendString(glomofiber.Nonce(c))
	})
	app.Get("/nethttp", glomofiber.HTTPHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", sitePolicy)
		_, _ = io.WriteString(w, glomo.Nonce(r.Context()))
	})))
	seen := map[string]bool{}
	for _, path := range []string{"/", "/", "/nethttp"} {
		res, nonce := do(t, app, get(path))
		require.NotEmpty(t, nonce, path)
		assert.False(t, seen[nonce], "a fresh nonce per request")
		seen[nonce] = true
		assert.Contains(t, res.Header.Get("Content-Security-Policy"), "script-src 'self' "+sdkHost+" 'nonce-"+nonce+"'", path)
	}

	// Without the middleware, or without WithNonce, there is none.
	for _, mw := range []fiber.Handler{func(c fiber.Ctx) error { return c.Next() }, glomofiber.Headers()} {
		app := fiber.New()
		app.Use(mw)
		app.Get("/", func(c fiber.Ctx) error { return c.SendString("[" + glomofiber.Nonce(c) + "]") })
		_, body := do(t, app, get("/"))
		assert.Equal(t, "[]", body)
	}
}

func TestExemptCOOP(t *testing.T) {
	app := fiber.New()
	app.Use(glomofiber.Headers())
	app.Get("/fiber", func(c fiber.Ctx) error {
		setSite(c)
		c.Set("Cross-Origin-Embedder-Policy", "require-corp")
		glomofiber.ExemptCOOP(c)
		return nil
	})
	app.Get("/nethttp", glomofiber.HTTPHandler(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Security-Policy", sitePolicy)
		w.Header().Set("Cross-Origin-Opener-Policy", "same-origin")
		glomo.ExemptCOOP(w)
	})))
	for _, path := range []string{"/fiber", "/nethttp"} {
		res, _ := do(t, app, get(path))
		assert.Equal(t, "same-origin", res.Header.Get("Cross-Origin-Opener-Policy"), path)
		assert.Equal(t, mergedPolicy(t), res.Header.Get("Content-Security-Policy"), "the CSP merge still applies")
	}

	// Without the middleware ExemptCOOP does nothing, and does not panic.
	app = fiber.New()
	app.Get("/", func(c fiber.Ctx) error { glomofiber.ExemptCOOP(c); return nil })
	res, _ := do(t, app, get("/"))
	assert.Equal(t, http.StatusOK, res.StatusCode)
}

func TestErrorHandlerFailureGetsBare500(t *testing.T) {
	app := fiber.New(fiber.Config{ErrorHandler: func(c fiber.Ctx, _ error) error {
		setSite(c)
		return errors.New("the error handler failed")
	}})
	app.Use(glomofiber.Headers())
	app.Get("/", func(fiber.Ctx) error { return errors.New("boom") })
	res, _ := do(t, app, get("/"))
	assert.Equal(t, http.StatusInternalServerError, res.StatusCode)
	assert.Equal(t, glomo.COOPAllowPopups, res.Header.Get("Cross-Origin-Opener-Policy"))
}

func TestConstructorsPanicOnBadConfiguration(t *testing.T) {
	bad := glomo.WithExtraSources("'self'")
	assert.Panics(t, func() { glomofiber.CSP(bad) })
	assert.Panics(t, func() { glomofiber.Headers(bad) })
	assert.Panics(t, func() { glomofiber.COOP(glomo.WithNonce()) })
	assert.Panics(t, func() { glomofiber.Middleware(nil) })
	_, err := adapter.NewHeaders(bad)
	assert.Error(t, err)
}

// TestOverLoopback serves the app on a real listener, as app.Listen does,
// and checks a fixed page, a streamed one and a 404 over HTTP.
func TestOverLoopback(t *testing.T) {
	base := serveLoopback(t, func(app *fiber.App) {
		app.Use(glomofiber.Headers(glomo.WithNonce()))
		app.Get("/page", func(c fiber.Ctx) error { setSite(c); return c.SendString(glomofiber.Nonce(c)) })
		app.Get("/stream", func(c fiber.Ctx) error {
			setSite(c)
			return c.SendStreamWriter(func(w *bufio.Writer) {
				for i := 0; i < 3; i++ {
					_, _ = w.WriteString("line\n")
					_ = w.Flush()
				}
			})
		})
	})
	for _, tt := range []struct {
		path   string
		status int
	}{{"/page", 200}, {"/stream", 200}, {"/missing", 404}} {
		res, err := http.Get(base + tt.path)
		require.NoError(t, err)
		body, err := io.ReadAll(res.Body)
		res.Body.Close()
		require.NoError(t, err)
		assert.Equal(t, tt.status, res.StatusCode, tt.path)
		assert.Equal(t, glomo.COOPAllowPopups, res.Header.Get("Cross-Origin-Opener-Policy"), tt.path)
		if tt.path == "/page" {
			assert.Contains(t, res.Header.Get("Content-Security-Policy"), "'nonce-"+string(body)+"'")
		}
		if tt.path == "/stream" {
			assert.Equal(t, "line\nline\nline\n", string(body))
			assert.Contains(t, res.Header.Get("Content-Security-Policy"), sdkHost)
		}
	}
}

// serveLoopback serves the app that setup builds on 127.0.0.1 until the
// test ends and returns its base URL.
func serveLoopback(t testing.TB, setup func(app *fiber.App), cfg ...fiber.Config) string {
	t.Helper()
	app := fiber.New(cfg...)
	setup(app)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	done := make(chan error, 1)
	go func() { done <- app.Listener(ln, fiber.ListenConfig{DisableStartupMessage: true}) }()
	t.Cleanup(func() {
		assert.NoError(t, app.ShutdownWithTimeout(5*time.Second))
		<-done
	})
	return "http://" + ln.Addr().String()
}
