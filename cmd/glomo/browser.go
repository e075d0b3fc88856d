package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os/exec"
	"strings"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/fetch"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/glomokit/glomo"
)

// URLs the in-page probes load. The hosts are Glomo's; in doctor's browser
// they resolve to a local stand-in (or, in tests, to glomotest).
const (
	probeScriptURL  = glomo.SDKOrigin + "/index.js"
	probeFrameURL   = glomo.SDKOrigin + "/checkout/frame?glomo-doctor=1"
	probeConnectURL = "https://api.glomopay.com/sdk/v1/glomo-doctor-probe"
	probePopupURL   = "https://checkout.glomopay.com/checkout/pay?glomo-doctor=1"
)

// findChromium returns the browser to drive: $CHROMIUM, else the first of
// the usual names on PATH. It never downloads one.
func findChromium(getenv func(string) string) (string, error) {
	if p := getenv("CHROMIUM"); p != "" {
		path, err := exec.LookPath(p)
		if err != nil {
			return "", fmt.Errorf("CHROMIUM=%s: %w", p, err)
		}
		return path, nil
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	return "", errors.New("no Chromium found for -browser: set CHROMIUM or put chromium on PATH (Debian: apt-get install chromium)")
}

// stubGlomo answers, on loopback, every request the probes make to Glomo's
// hosts: a module exporting GlomoCheckoutApi, and an empty page otherwise.
// Nothing reaches the real Glomo.
func stubGlomo() *httptest.Server {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Access-Control-Allow-Origin", "*")
		w.Header().Set("Access-Control-Allow-Headers", "*")
		w.Header().Set("Cache-Control", "no-store")
		switch {
		case r.Method == http.MethodOptions:
			w.WriteHeader(http.StatusNoContent)
		case r.URL.Path == "/index.js":
			w.Header().Set("Content-Type", "text/javascript")
			fmt.Fprint(w, "export class GlomoCheckoutApi { constructor(o) { this.o = o; } open() {} on() {} }\n")
		default:
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			fmt.Fprint(w, "<!doctype html><title>glomo doctor</title>")
		}
	})
	s := httptest.NewUnstartedServer(h)
	s.StartTLS()
	return s
}

// resolverRules maps Glomo's hosts to glomoRules' targets and makes every
// other host unresolvable except those of the page and its redirects.
func resolverRules(glomoRules string, hosts []string) string {
	rules := []string{glomoRules, "MAP * ~NOTFOUND"}
	for _, h := range hosts {
		rules = append(rules, "EXCLUDE "+h)
	}
	return strings.Join(rules, ", ")
}

// pageHosts are the host names of the URL given and its redirects.
func pageHosts(start *url.URL, hops []Hop) []string {
	seen := map[string]bool{}
	var out []string
	add := func(raw string) {
		u, err := url.Parse(raw)
		if err != nil || u.Hostname() == "" || seen[u.Hostname()] {
			return
		}
		seen[u.Hostname()] = true
		out = append(out, u.Hostname())
	}
	add(start.String())
	for _, h := range hops {
		add(h.URL)
		add(h.Location)
	}
	return out
}

// probeJS runs inside the page: it listens for CSP violations, then asks
// for Glomo's popup, script, iframe and API call, and returns what
// happened. Every wait is bounded.
const probeJS = `(async () => {
  const violations = [];
  document.addEventListener('securitypolicyviolation', e => {
    violations.push({uri: String(e.blockedURI || ''), directive: String(e.effectiveDirective || e.violatedDirective || ''), disposition: String(e.disposition || 'enforce')});
  });
  const sleep = ms => new Promise(r => setTimeout(r, ms));
  const out = {};
  let popup = null;
  try { popup = window.open(%[4]q, '_blank', 'popup,width=400,height=400'); } catch (e) { out.popupError = String(e); }
  out.popupOpened = !!popup;
  out.script = await new Promise(resolve => {
    const s = document.createElement('script');
    s.type = 'module';
    s.src = %[1]q;
    s.onload = () => resolve('loaded');
    s.onerror = () => resolve('error');
    (document.head || document.documentElement).appendChild(s);
    setTimeout(() => resolve('timeout'), 5000);
  });
  out.frame = await new Promise(resolve => {
    const f = document.createElement('iframe');
    f.style.display = 'none';
    f.onload = () => resolve('loaded');
    f.onerror = () => resolve('error');
    f.src = %[2]q;
    (document.body || document.documentElement).appendChild(f);
    setTimeout(() => resolve('timeout'), 5000);
  });
  try {
    const r = await Promise.race([fetch(%[3]q, {credentials: 'omit'}), sleep(5000).then(() => { throw new Error('timeout'); })]);
    out.connect = 'status ' + r.status;
  } catch (e) { out.connect = 'error: ' + e; }
  await sleep(500);
  out.popupClosed = popup ? !!popup.closed : null;
  try { if (popup && !popup.closed) popup.close(); } catch (e) {}
  out.violations = violations;
  return out;
})()`

// probeResult is what probeJS returns.
type probeResult struct {
	PopupOpened bool   `json:"popupOpened"`
	PopupError  string `json:"popupError"`
	PopupClosed *bool  `json:"popupClosed"`
	Script      string `json:"script"`
	Frame       string `json:"frame"`
	Connect     string `json:"connect"`
	Violations  []struct {
		URI         string `json:"uri"`
		Directive   string `json:"directive"`
		Disposition string `json:"disposition"`
	} `json:"violations"`
}

// browserCheck opens the page in headless Chromium and runs the probes.
func browserCheck(ctx context.Context, c *doctorConfig, f *fetched, getenv func(string) string) (*Browser, error) {
	path, err := findChromium(getenv)
	if err != nil {
		return nil, &checkError{msg: err.Error()}
	}
	glomoRules := c.hostRule
	if glomoRules == "" {
		stub := stubGlomo()
		defer stub.Close()
		addr := stub.Listener.Addr().(*net.TCPAddr)
		glomoRules = fmt.Sprintf("MAP glomopay-checkout-sdk.web.app %[1]s, MAP *.glomopay.com %[1]s", addr.String())
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("host-resolver-rules", resolverRules(glomoRules, pageHosts(c.url, f.redirects))),
		chromedp.Flag("ignore-certificate-errors", true),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	defer cancelAlloc()
	bctx, cancelBrowser := chromedp.NewContext(allocCtx)
	defer cancelBrowser()

	// Starting the browser under a timeout would stop it when the timeout
	// ends, so start it on bctx and wait for it here.
	started := make(chan error, 1)
	go func() { started <- chromedp.Do(bctx) }()
	select {
	case err := <-started:
		if err != nil {
			return nil, checkErrorf("the browser %s could not start: %v", path, err)
		}
	case <-time.After(time.Minute):
		return nil, checkErrorf("the browser %s did not start within a minute", path)
	case <-ctx.Done():
		return nil, checkErrorf("interrupted while starting the browser")
	}
	version, err := chromedp.CallBrowser(bctx, browser.GetVersion, cdp.Empty{})
	if err != nil {
		return nil, checkErrorf("the browser %s does not answer: %v", path, err)
	}
	tctx, cancel := context.WithTimeout(bctx, c.fetch.timeout+30*time.Second)
	defer cancel()
	if err := prepareTab(tctx, c); err != nil {
		return nil, checkErrorf("preparing the browser: %v", err)
	}
	navCtx, cancelNav := context.WithTimeout(tctx, c.fetch.timeout)
	defer cancelNav()
	if err := chromedp.Do(navCtx, chromedp.Navigate(c.url.String())); err != nil {
		return nil, checkErrorf("the browser could not load %s: %v", c.url, err)
	}
	gesture := func(p *runtime.EvaluateParams) { t := true; p.UserGesture = &t }
	res, err := chromedp.Run(tctx, chromedp.Evaluate[probeResult](fmt.Sprintf(probeJS, probeScriptURL, probeFrameURL, probeConnectURL, probePopupURL), chromedp.EvalAwaitPromise, gesture))
	if err != nil {
		return nil, checkErrorf("the probes did not run in the page: %v", err)
	}
	return interpretProbes(version.Product, res), nil
}

// prepareTab sets the -cookie cookies for the page's URL and sends the
// -header headers to the page's origin only.
func prepareTab(ctx context.Context, c *doctorConfig) error {
	for _, ck := range c.cookies {
		for _, pair := range strings.Split(ck, ";") {
			name, value, _ := strings.Cut(strings.TrimSpace(pair), "=")
			if _, err := chromedp.Call(ctx, network.SetCookie, network.SetCookieParams{Name: strings.TrimSpace(name), Value: value, URL: c.url.String()}); err != nil {
				return err
			}
		}
	}
	if len(c.fetch.headers) == 0 {
		return nil
	}
	if _, err := chromedp.Call(ctx, fetch.Enable, fetch.EnableParams{}); err != nil {
		return err
	}
	go func() {
		for ev, err := range chromedp.Events(ctx, fetch.RequestPaused) {
			if err != nil {
				return
			}
			p := fetch.ContinueRequestParams{RequestID: ev.RequestID}
			if u, err := url.Parse(ev.Request.URL); err == nil && sameOrigin(u, c.url) {
				for name, v := range ev.Request.Headers {
					p.Headers = append(p.Headers, &fetch.HeaderEntry{Name: name, Value: fmt.Sprint(v)})
				}
				for name, vals := range c.fetch.headers {
					for _, v := range vals {
						p.Headers = append(p.Headers, &fetch.HeaderEntry{Name: name, Value: v})
					}
				}
			}
			go func() { _, _ = chromedp.Call(ctx, fetch.ContinueRequest, p) }()
		}
	}()
	return nil
}

// interpretProbes turns the page's observations into the report.
func interpretProbes(version string, r probeResult) *Browser {
	b := &Browser{Version: version, Violations: []Violation{}}
	for _, v := range r.Violations {
		b.Violations = append(b.Violations, Violation{BlockedURI: v.URI, Directive: v.Directive, Disposition: v.Disposition})
	}
	// Browsers may strip the blocked URI to its origin (frames), so a
	// violation is matched by origin and by the kind of its directive.
	probe := func(origin string, directives []string, outcome string) Probe {
		p := Probe{Outcome: "allowed", Detail: outcome}
		for _, v := range r.Violations {
			if !strings.HasPrefix(v.URI, origin) || !contains(directives, v.Directive) {
				continue
			}
			if v.Disposition == "report" {
				p.ReportOnly = append(p.ReportOnly, v.Directive)
				continue
			}
			p.Outcome, p.Directive = "blocked", v.Directive
		}
		return p
	}
	b.Script = probe(glomo.SDKOrigin, []string{"script-src-elem", "script-src", "default-src"}, "script "+r.Script)
	b.Frame = probe(glomo.SDKOrigin, []string{"frame-src", "child-src", "default-src"}, "iframe "+r.Frame)
	b.Connect = probe("https://api.glomopay.com", []string{"connect-src", "default-src"}, "fetch "+r.Connect)
	switch {
	case !r.PopupOpened:
		b.Popup = Probe{Outcome: "no-popup", Detail: "window.open returned null " + r.PopupError}
	case r.PopupClosed != nil && *r.PopupClosed:
		b.Popup = Probe{Outcome: "severed", Detail: "the opener's handle reads closed: COOP cut the popup off"}
	case r.PopupClosed != nil:
		b.Popup = Probe{Outcome: "allowed", Detail: "the popup stayed connected"}
	default:
		b.Popup = Probe{Outcome: "unknown"}
	}
	return b
}

// browserFindings are the error findings of what the browser refused.
func browserFindings(b *Browser) []Finding {
	var out []Finding
	add := func(rule string, p Probe, what string) {
		if p.Outcome == "blocked" {
			out = append(out, Finding{Rule: rule, Severity: SeverityError, Policy: -1,
				Message: "Chromium refused " + what + " (" + p.Directive + ")"})
		}
	}
	add("browser-script-blocked", b.Script, "Glomo's SDK script")
	add("browser-frame-blocked", b.Frame, "Glomo's checkout iframe")
	add("browser-connect-blocked", b.Connect, "a fetch to Glomo's API")
	switch b.Popup.Outcome {
	case "severed":
		out = append(out, Finding{Rule: "browser-popup-severed", Severity: SeverityError, Policy: -1,
			Message: "in Chromium the checkout popup was cut off from the page (window.open's handle reads closed): COOP"})
	case "no-popup":
		out = append(out, Finding{Rule: "browser-popup-blocked", Severity: SeverityError, Policy: -1,
			Message: "in Chromium window.open returned no window (a sandbox without allow-popups?)"})
	}
	return out
}
