package glomo_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"html/template"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/glomokit/glomo"
)

// renderedScript is a Checkout's script, parsed back.
type renderedScript struct {
	nonce   string // "" when the element has no nonce attribute
	sdk     string // the module imported
	body    string // the code between the import and the call
	options map[string]string
}

var scriptOpen = regexp.MustCompile(`^<script type="module"(?: nonce="([A-Za-z0-9+/=_-]+)")?>\n`)

// parseScript checks the shape of a rendered Checkout script and returns
// its parts: one module script element, nothing that could end it or open
// an HTML comment early, the SDK import, the module's code, and one call of
// mountCheckout whose options are a JSON object.
func parseScript(t testing.TB, html template.HTML) renderedScript {
	t.Helper()
	s := string(html)
	m := scriptOpen.FindStringSubmatch(s)
	require.NotNil(t, m, "opening tag of %q", s)
	require.True(t, strings.HasSuffix(s, ");\n</script>"), "closing of %q", s)
	inner := strings.TrimSuffix(s[len(m[0]):], "\n</script>")
	lower := strings.ToLower(inner)
	require.NotContains(t, lower, "</script", "the element must end only once")
	require.NotContains(t, lower, "<!--", "no HTML comment may start inside the script")
	require.NotContains(t, lower, "<script", "no script may start inside the script")
	require.False(t, strings.ContainsAny(inner, "\u2028\u2029"), "no raw line or paragraph separator")

	lines := strings.SplitN(inner, "\n", 2)
	require.Len(t, lines, 2)
	imp := regexp.MustCompile(`^import \{ GlomoCheckoutApi \} from (".*");$`).FindStringSubmatch(lines[0])
	require.NotNil(t, imp, "import line %q", lines[0])
	var r renderedScript
	r.nonce = m[1]
	require.NoError(t, json.Unmarshal([]byte(imp[1]), &r.sdk))

	const call = "mountCheckout(GlomoCheckoutApi, "
	i := strings.LastIndex(lines[1], call)
	require.GreaterOrEqual(t, i, 0, "the script calls mountCheckout")
	r.body = lines[1][:i]
	raw := strings.TrimSuffix(lines[1][i+len(call):], ");")
	dec := json.NewDecoder(strings.NewReader(raw))
	dec.DisallowUnknownFields()
	require.NoError(t, dec.Decode(&r.options), "options %s", raw)
	require.False(t, dec.More(), "one options object")
	return r
}

// moduleFunction is glomo-checkout.js from its function on, without export.
func moduleFunction(t testing.TB) string {
	t.Helper()
	i := strings.Index(glomo.CheckoutModule, "export function mountCheckout(")
	require.GreaterOrEqual(t, i, 0)
	return strings.TrimPrefix(glomo.CheckoutModule[i:], "export ")
}

func validCheckout() glomo.Checkout {
	return glomo.Checkout{
		OrderID:   "order_679a16457aP6K",
		PublicKey: "live_687b0151Bid24PAI",
		ResultURL: "/payment/verify",
		NextURL:   "/order?id=order_679a16457aP6K",
	}
}

func TestCheckoutScript(t *testing.T) {
	tests := []struct {
		name    string
		edit    func(c *glomo.Checkout)
		nonce   string
		wantSDK string
		want    map[string]string
	}{
		{
			name: "SDK events posted, then the next page", nonce: "bm9uY2Utb2YtdGVzdA",
			wantSDK: "https://glomopay-checkout-sdk.web.app/index.js",
			want: map[string]string{"orderId": "order_679a16457aP6K", "publicKey": "live_687b0151Bid24PAI",
				"resultUrl": "/payment/verify", "nextUrl": "/order?id=order_679a16457aP6K", "buttonId": "buy-button"},
		},
		{
			name: "callbackUrl: no result endpoint needed",
			edit: func(c *glomo.Checkout) {
				c.ResultURL, c.NextURL, c.CallbackURL = "", "", "https://shop.example/payment-result"
			},
			wantSDK: glomo.SDKURL,
			want: map[string]string{"orderId": "order_679a16457aP6K", "publicKey": "live_687b0151Bid24PAI",
				"callbackUrl": "https://shop.example/payment-result", "buttonId": "buy-button"},
		},
		{
			name: "CSRF header, own SDK and button, https endpoints", nonce: "a+b/c=",
			edit: func(c *glomo.Checkout) {
				c.CSRFHeader, c.CSRFToken = "X-CSRF-Token", "tok+en/=="
				c.SDKURL, c.ButtonID = "http://127.0.0.1:8081/index.js", "pay"
				c.ResultURL, c.NextURL = "https://shop.example/verify", "https://shop.example/done"
			},
			wantSDK: "http://127.0.0.1:8081/index.js",
			want: map[string]string{"orderId": "order_679a16457aP6K", "publicKey": "live_687b0151Bid24PAI",
				"resultUrl": "https://shop.example/verify", "nextUrl": "https://shop.example/done",
				"csrfHeader": "X-CSRF-Token", "csrfToken": "tok+en/==", "buttonId": "pay"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := validCheckout()
			if tt.edit != nil {
				tt.edit(&c)
			}
			html, err := c.Script(tt.nonce)
			require.NoError(t, err)
			r := parseScript(t, html)
			assert.Equal(t, tt.nonce, r.nonce)
			assert.Equal(t, tt.wantSDK, r.sdk)
			assert.Equal(t, tt.want, r.options)
			assert.Equal(t, moduleFunction(t), r.body, "the inline script runs glomo-checkout.js")
			if tt.nonce == "" {
				assert.NotContains(t, string(html), "nonce=")
			}
		})
	}
}

// TestCheckoutModuleCalls pins the calls the module makes, so a change of
// the JavaScript that drops one fails here and not only in the browser.
func TestCheckoutModuleCalls(t *testing.T) {
	js := glomo.CheckoutModule
	for _, want := range []string{
		"new GlomoCheckoutApi(sdkOptions)",
		"sdkOptions.callbackUrl = o.callbackUrl",
		"checkout.open()",
		"'payment.success', 'payment.failure', 'payment.bank_transfer_submitted'",
		"o.callbackUrl\n    ? ['payment.bank_transfer_submitted']",
		"checkout.on(event, (payload) => post(event, payload))",
		"checkout.on('checkout.closed'",
		"method: 'POST'",
		"'Content-Type': 'application/json'",
		"headers[o.csrfHeader] = o.csrfToken",
		"credentials: 'same-origin'",
		"Object.assign({}, payload, { event })",
		"if (o.nextUrl) location.assign(o.nextUrl)",
		"new CustomEvent('glomo-checkout'",
	} {
		assert.Contains(t, js, want)
	}
	for _, bad := range []string{"</script", "<!--", "<script", "\u2028", "\u2029"} {
		assert.NotContains(t, strings.ToLower(moduleFunction(t)), bad, "the code rendered inline")
	}
	for _, bad := range []string{"innerHTML", "eval(", "new Function"} {
		assert.NotContains(t, js, bad)
	}
	assert.True(t, utf8.ValidString(js))
}

func TestCheckoutScriptEscapesHostileValues(t *testing.T) {
	hostile := []string{
		`order"+alert(1)+"`,
		`order'+alert(1)+'`,
		"order</script><script>alert(1)</script>",
		"order</SCRIPT ><img src=x onerror=alert(1)>",
		"order<!--<script>",
		"order\u2028alert(1)\u2029",
		`order\"); alert(1); //`,
		"order`${alert(1)}`",
		"order&amp;&lt;",
		"order\x00\x1f\x7f",
	}
	for _, v := range hostile {
		t.Run(v, func(t *testing.T) {
			c := validCheckout()
			c.OrderID, c.PublicKey, c.CSRFHeader, c.CSRFToken = v, "pk_"+v, "X-CSRF-Token", "t"+strings.Map(func(r rune) rune {
				if r < 0x20 || r == 0x7f {
					return -1
				}
				return r
			}, v)
			c.NextURL = "/order?id=" + v[:5] + "%3C%2Fscript%3E"
			html, err := c.Script("bm9uY2U")
			require.NoError(t, err)
			r := parseScript(t, html)
			assert.Equal(t, v, r.options["orderId"], "the order id reaches the SDK unchanged")
			assert.Equal(t, "pk_"+v, r.options["publicKey"])
			assert.Equal(t, c.CSRFToken, r.options["csrfToken"])
			assert.Equal(t, c.NextURL, r.options["nextUrl"])
		})
	}
}

func TestCheckoutRefusesBadInput(t *testing.T) {
	tests := []struct {
		name  string
		edit  func(c *glomo.Checkout)
		nonce string
		want  string
	}{
		{"empty order id", func(c *glomo.Checkout) { c.OrderID = "" }, "", "OrderID is empty"},
		{"empty public key", func(c *glomo.Checkout) { c.PublicKey = "" }, "", "PublicKey is empty"},
		{"no result endpoint and no callbackUrl", func(c *glomo.Checkout) { c.ResultURL = "" }, "", "ResultURL is empty"},
		{"relative result path", func(c *glomo.Checkout) { c.ResultURL = "payment/verify" }, "", "ResultURL must be"},
		{"http result URL", func(c *glomo.Checkout) { c.ResultURL = "http://shop.example/verify" }, "", "ResultURL must be"},
		{"protocol-relative result URL", func(c *glomo.Checkout) { c.ResultURL = "//evil.example/verify" }, "", "ResultURL must be"},
		{"backslash result URL", func(c *glomo.Checkout) { c.ResultURL = `/\evil.example` }, "", "ResultURL must be"},
		{"javascript result URL", func(c *glomo.Checkout) { c.ResultURL = "javascript:alert(1)" }, "", "ResultURL must be"},
		{"https without host", func(c *glomo.Checkout) { c.ResultURL = "https:///verify" }, "", "ResultURL must be"},
		{"credentials in the URL", func(c *glomo.Checkout) { c.ResultURL = "https://u:p@shop.example/verify" }, "", "ResultURL must be"},
		{"javascript next URL", func(c *glomo.Checkout) { c.NextURL = "javascript:alert(1)" }, "", "NextURL must be"},
		{"data next URL", func(c *glomo.Checkout) { c.NextURL = "data:text/html,hi" }, "", "NextURL must be"},
		{"http callbackUrl", func(c *glomo.Checkout) { c.CallbackURL = "http://shop.example/r" }, "", "CallbackURL must be"},
		{"relative callbackUrl", func(c *glomo.Checkout) { c.CallbackURL = "/payment-result" }, "", "CallbackURL must be"},
		{"http SDK", func(c *glomo.Checkout) { c.SDKURL = "http://cdn.example/index.js" }, "", "SDKURL must be"},
		{"token without header", func(c *glomo.Checkout) { c.CSRFToken = "t" }, "", "without CSRFHeader"},
		{"header without token", func(c *glomo.Checkout) { c.CSRFHeader = "X-CSRF-Token" }, "", "without CSRFToken"},
		{"header name with a colon", func(c *glomo.Checkout) { c.CSRFHeader, c.CSRFToken = "X-CSRF:", "t" }, "", "not a header name"},
		{"token with a newline", func(c *glomo.Checkout) { c.CSRFHeader, c.CSRFToken = "X-CSRF", "t\r\nX: y" }, "", "control characters"},
		{"button id with a space", func(c *glomo.Checkout) { c.ButtonID = "buy button" }, "", "ButtonID"},
		{"nonce that is not base64", nil, `x" onload="alert(1)`, "nonce"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := validCheckout()
			if tt.edit != nil {
				tt.edit(&c)
			}
			html, err := c.Script(tt.nonce)
			require.Error(t, err)
			assert.ErrorIs(t, err, glomo.ErrInvalidCheckout)
			assert.Contains(t, err.Error(), tt.want)
			assert.Empty(t, html, "no half-made script")
		})
	}

	t.Run("every problem at once", func(t *testing.T) {
		err := glomo.Checkout{ResultURL: "ftp://x"}.Validate()
		require.Error(t, err)
		for _, want := range []string{"OrderID", "PublicKey", "ResultURL must be"} {
			assert.Contains(t, err.Error(), want)
		}
	})
}

func TestCheckoutInTemplate(t *testing.T) {
	page := template.Must(template.New("p").Parse(
		`<button id="buy-button">Buy Now</button>{{.Checkout.Script .Nonce}}<p>after</p>`))

	t.Run("renders the script unescaped", func(t *testing.T) {
		var buf bytes.Buffer
		require.NoError(t, page.Execute(&buf, map[string]any{"Checkout": validCheckout(), "Nonce": "bm9uY2U"}))
		out := buf.String()
		require.True(t, strings.HasPrefix(out, `<button id="buy-button">Buy Now</button><script type="module" nonce="bm9uY2U">`), out)
		assert.True(t, strings.HasSuffix(out, "</script><p>after</p>"))
		start := strings.Index(out, "<script")
		end := strings.Index(out, "</script>") + len("</script>")
		r := parseScript(t, template.HTML(out[start:end]))
		assert.Equal(t, "order_679a16457aP6K", r.options["orderId"])
	})

	t.Run("an invalid checkout aborts execution", func(t *testing.T) {
		c := validCheckout()
		c.OrderID = ""
		var buf bytes.Buffer
		err := page.Execute(&buf, map[string]any{"Checkout": c, "Nonce": "bm9uY2U"})
		require.Error(t, err)
		assert.True(t, errors.Is(err, glomo.ErrInvalidCheckout), "the template's error wraps ErrInvalidCheckout: %v", err)
		assert.NotContains(t, buf.String(), "<script", "no script was written")
		assert.NotContains(t, buf.String(), "after", "execution stopped")
	})
}

// FuzzCheckoutScript checks that no order id, key or token can break out
// of the script: the rendered script either is refused or parses back to
// exactly the values given (each invalid UTF-8 byte becoming U+FFFD, as in JSON).
func FuzzCheckoutScript(f *testing.F) {
	for _, s := range []string{"order_1", "</script>", "\u2028", `"'\`, "<!--", "\xff"} {
		f.Add(s, s, s)
	}
	f.Fuzz(func(t *testing.T, orderID, publicKey, token string) {
		c := validCheckout()
		c.OrderID, c.PublicKey = orderID, publicKey
		c.CSRFHeader, c.CSRFToken = "X-CSRF-Token", token
		html, err := c.Script("bm9uY2U")
		if err != nil {
			require.ErrorIs(t, err, glomo.ErrInvalidCheckout)
			require.Empty(t, html)
			return
		}
		r := parseScript(t, html)
		require.Equal(t, asJSONDecodes(orderID), r.options["orderId"])
		require.Equal(t, asJSONDecodes(publicKey), r.options["publicKey"])
		require.Equal(t, asJSONDecodes(token), r.options["csrfToken"])
	})
}

// asJSONDecodes is s after a JSON round trip: every invalid UTF-8 byte
// becomes U+FFFD.
func asJSONDecodes(s string) string {
	var b strings.Builder
	for len(s) > 0 {
		r, n := utf8.DecodeRuneInString(s)
		b.WriteRune(r) // utf8.RuneError is U+FFFD
		s = s[n:]
	}
	return b.String()
}
