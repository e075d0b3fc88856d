package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Limits of a fetch.
const (
	maxRedirects = 10
	maxBody      = 5 << 20
)

// userAgent names the tool while looking enough like a browser that sites
// serve it their browser page.
const userAgent = "Mozilla/5.0 (compatible; glomo-doctor/1; +https://github.com/glomokit/glomo) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0 Safari/537.36"

// fetchOptions configure fetchPage.
type fetchOptions struct {
	timeout  time.Duration
	headers  http.Header // sent only to the origin of the URL given
	cookie   string      // likewise
	insecure bool
}

// fetched is the final document and how it was reached.
type fetched struct {
	redirects   []Hop
	finalURL    *url.URL
	status      int
	header      http.Header
	body        []byte
	truncated   bool
	contentType string
}

// checkError is a failure to make the check at all: exit code 2.
type checkError struct{ msg string }

func (e *checkError) Error() string { return e.msg }

func checkErrorf(format string, args ...any) error {
	return &checkError{msg: fmt.Sprintf(format, args...)}
}

// newClient returns a client that follows no redirect itself and uses no
// proxy, so nothing reaches any host but the page's.
func newClient(insecure bool) *http.Client {
	tr := &http.Transport{
		Proxy:                 nil,
		DialContext:           (&net.Dialer{Timeout: 10 * time.Second}).DialContext,
		TLSClientConfig:       &tls.Config{InsecureSkipVerify: insecure}, //nolint:gosec // only with -insecure, documented
		TLSHandshakeTimeout:   10 * time.Second,
		ResponseHeaderTimeout: 0,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          4,
		IdleConnTimeout:       10 * time.Second,
	}
	return &http.Client{
		Transport:     tr,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// sameOrigin reports whether a and b share scheme, host and port.
func sameOrigin(a, b *url.URL) bool {
	return strings.EqualFold(a.Scheme, b.Scheme) && strings.EqualFold(a.Host, b.Host)
}

// fetchPage GETs the page as a browser would, following redirects by hand.
func fetchPage(ctx context.Context, start *url.URL, o fetchOptions) (*fetched, error) {
	client := newClient(o.insecure)
	defer client.CloseIdleConnections()
	f := &fetched{redirects: []Hop{}}
	seen := map[string]bool{}
	cur := start
	for hop := 0; ; hop++ {
		if seen[cur.String()] {
			return f, checkErrorf("redirect loop: %s was already visited (chain of %d redirects)", cur, len(f.redirects))
		}
		seen[cur.String()] = true
		resp, body, truncated, err := fetchOne(ctx, client, cur, start, o)
		if err != nil {
			return f, err
		}
		if loc := resp.Header.Get("Location"); isRedirect(resp.StatusCode) && loc != "" {
			next, perr := cur.Parse(loc)
			if perr != nil {
				return f, checkErrorf("redirect from %s to an invalid Location %q: %v", cur, loc, perr)
			}
			f.redirects = append(f.redirects, Hop{URL: cur.String(), Status: resp.StatusCode, Location: next.String()})
			if next.Scheme != "http" && next.Scheme != "https" {
				return f, checkErrorf("redirect from %s to a non-HTTP URL %s", cur, next)
			}
			if hop+1 >= maxRedirects {
				return f, checkErrorf("too many redirects: more than %d", maxRedirects)
			}
			cur = next
			continue
		}
		f.finalURL = cur
		f.status = resp.StatusCode
		f.header = resp.Header
		f.body = body
		f.truncated = truncated
		f.contentType = resp.Header.Get("Content-Type")
		return f, checkHTML(f)
	}
}

func isRedirect(code int) bool {
	switch code {
	case http.StatusMovedPermanently, http.StatusFound, http.StatusSeeOther,
		http.StatusTemporaryRedirect, http.StatusPermanentRedirect:
		return true
	}
	return false
}

// fetchOne makes one request, under its own timeout, body read included.
func fetchOne(ctx context.Context, client *http.Client, u, start *url.URL, o fetchOptions) (*http.Response, []byte, bool, error) {
	ctx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, nil, false, checkErrorf("bad URL %s: %v", u, err)
	}
	req.Header.Set("User-Agent", userAgent)
	req.Header.Set("Accept", "text/html,application/xhtml+xml;q=0.9,*/*;q=0.1")
	req.Header.Set("Accept-Language", "en")
	if sameOrigin(u, start) {
		for name, vals := range o.headers {
			for _, v := range vals {
				req.Header.Add(name, v)
			}
		}
		if h := o.headers.Get("Host"); h != "" {
			req.Host = h
			req.Header.Del("Host")
		}
		if o.cookie != "" {
			req.Header.Add("Cookie", o.cookie)
		}
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, nil, false, describeNetError(u, err, o.timeout)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
	if err != nil {
		return nil, nil, false, describeNetError(u, err, o.timeout)
	}
	truncated := len(body) > maxBody
	if truncated {
		body = body[:maxBody]
	}
	return resp, body, truncated, nil
}

// describeNetError turns a transport error into a message a merchant can act on.
func describeNetError(u *url.URL, err error, timeout time.Duration) error {
	var (
		unknownCA  x509.UnknownAuthorityError
		hostErr    x509.HostnameError
		invalidErr x509.CertificateInvalidError
		verifyErr  *tls.CertificateVerificationError
		recordErr  tls.RecordHeaderError
		netErr     net.Error
		dnsErr     *net.DNSError
		opErr      *net.OpError
	)
	switch {
	case errors.As(err, &unknownCA), errors.As(err, &hostErr), errors.As(err, &invalidErr), errors.As(err, &verifyErr):
		return checkErrorf("TLS error: the certificate of %s is not trusted: %v (for a staging server with a private certificate, add -insecure)", u.Host, unwrapURLError(err))
	case errors.As(err, &recordErr):
		return checkErrorf("TLS error: %s did not answer with TLS (is it plain http?): %v", u.Host, unwrapURLError(err))
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &netErr) && netErr.Timeout():
		return checkErrorf("timeout: %s did not answer within %s (see -timeout)", u, timeout)
	case errors.Is(err, context.Canceled):
		return checkErrorf("interrupted while fetching %s", u)
	case errors.As(err, &dnsErr):
		return checkErrorf("cannot resolve %s: %v", u.Hostname(), dnsErr)
	case errors.As(err, &opErr) && opErr.Op == "dial":
		return checkErrorf("cannot connect to %s: %v", u.Host, opErr.Err)
	}
	return checkErrorf("fetching %s: %v", u, unwrapURLError(err))
}

func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// checkHTML makes a non-HTML final response a check error.
func checkHTML(f *fetched) error {
	ct := f.contentType
	if ct == "" {
		ct = http.DetectContentType(f.body)
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err == nil && (mt == "text/html" || mt == "application/xhtml+xml") {
		return nil
	}
	return checkErrorf("not an HTML page: %s answered %d with Content-Type %q; give the URL of the page that shows the checkout", f.finalURL, f.status, f.contentType)
}
