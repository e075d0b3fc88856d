package glomo

import (
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// cspSeeds are policies the fuzz targets start from.
var cspSeeds = []string{
	"",
	";;;",
	"default-src 'self'",
	"default-src 'none'; child-src 'self'",
	"script-src 'self'; script-src-elem 'self' https://*.web.app",
	"DEFAULT-SRC * ; frame-src https:; connect-src http://*.glomopay.com:443/",
	"script-src 'self', default-src 'none', img-src data:",
	"default-src foo script-src 'none'",
	"script-src 'nonce-abc' 'strict-dynamic'; sandbox allow-scripts",
	"scrïpt-src 'none'; connect-src",
	"script-src 'none' 'none'; script-src https://glomopay-checkout-sdk.web.app/x/",
	"  script-src\t'self'  ;img-src  data: ;",
	"connect-src wss://*.glomopay.com https://glomopay.com:*",
	"frame-src https://*.glomopay.co; script-src https://*.eb.app",
	"default-src 'self'; script-src-elem 'self'",
	"default-src 'none'; script-src-elem 'nonce-a' 'strict-dynamic'; child-src 'self'",
	"script-src-elem 'self'; child-src 'none'",
	"script-src 'NONCE-a' 'nonce-b'; style-src 'Nonce-b' 'nonce-c', default-src 'nonce-a'",
}

// --- an independent model of CSP matching, written from the specification
// without the package's parser, to check merges against.

var asciiSpace = func(r rune) bool { return r == ' ' || r == '\t' || r == '\n' || r == '\f' || r == '\r' }

type modelPolicy map[string][]string

func modelParse(policy string) (modelPolicy, []string) {
	m := modelPolicy{}
	var order []string
	for _, tok := range strings.Split(policy, ";") {
		fields := strings.FieldsFunc(tok, asciiSpace)
		if len(fields) == 0 || strings.IndexFunc(tok, func(r rune) bool { return r > 0x7f }) >= 0 {
			continue
		}
		name := strings.ToLower(fields[0])
		if _, dup := m[name]; dup {
			continue
		}
		m[name] = fields[1:]
		order = append(order, name)
	}
	return m, order
}

func (m modelPolicy) governing(chain ...string) ([]string, bool) {
	for _, name := range chain {
		if v, ok := m[name]; ok {
			return v, true
		}
	}
	return nil, false
}

var (
	modelHostSource   = regexp.MustCompile(`^(?:([a-zA-Z][a-zA-Z0-9+.-]*)://)?(\*|(?:\*\.)?[a-zA-Z0-9-]+(?:\.[a-zA-Z0-9-]+)*)(?::(\*|[0-9]+))?(/[^?#]*)?$`)
	modelSchemeSource = regexp.MustCompile(`^([a-zA-Z][a-zA-Z0-9+.-]*):$`)
)

// modelAllows reports whether a source list allows an https URL without a
// port, fetched by a page served over https.
func modelAllows(values []string, rawURL string) bool {
	u, err := url.Parse(rawURL)
	if err != nil {
		panic(err)
	}
	schemeOK := func(s string) bool {
		s = strings.ToLower(s)
		return s == "https" || s == "http"
	}
	for _, v := range values {
		if v == "*" {
			return true
		}
		if m := modelSchemeSource.FindStringSubmatch(v); m != nil {
			if schemeOK(m[1]) {
				return true
			}
			continue
		}
		m := modelHostSource.FindStringSubmatch(v)
		if m == nil {
			continue
		}
		scheme, host, port, path := m[1], strings.ToLower(m[2]), m[3], m[4]
		if scheme != "" && !schemeOK(scheme) {
			continue
		}
		switch {
		case host == "*":
		case strings.HasPrefix(host, "*."):
			if !strings.HasSuffix(u.Hostname(), host[1:]) {
				continue
			}
		default:
			if host != u.Hostname() {
				continue
			}
		}
		if port != "" && port != "*" && port != "443" {
			continue
		}
		if path != "" && path != "/" {
			if strings.HasSuffix(path, "/") && !strings.HasPrefix(u.Path, path) || !strings.HasSuffix(path, "/") && path != u.Path {
				continue
			}
		}
		return true
	}
	return false
}

var (
	probeScript  = []string{"https://glomopay-checkout-sdk.web.app/glomo-fuzz/probe"}
	probeFrame   = []string{"https://glomopay-checkout-sdk.web.app/glomo-fuzz/probe", "https://checkout.glomopay.com/glomo-fuzz/probe"}
	probeConnect = []string{"https://glomopay-checkout-sdk.web.app/glomo-fuzz/probe", "https://api.glomopay.com/glomo-fuzz/probe"}
	loadChains   = []struct {
		chain  []string
		probes []string
	}{
		{[]string{"script-src-elem", "script-src", "default-src"}, probeScript},
		{[]string{"script-src", "default-src"}, probeScript},
		{[]string{"frame-src", "child-src", "default-src"}, probeFrame},
		{[]string{"connect-src", "default-src"}, probeConnect},
	}
	mergedNames = map[string]bool{"script-src": true, "script-src-elem": true, "frame-src": true, "connect-src": true}
)

// checkMerge asserts the properties every merge must have.
func checkMerge(t *testing.T, policy, merged string) {
	t.Helper()
	again, err := MergeCSP(merged)
	if err != nil || again != merged {
		t.Fatalf("not idempotent:\n in   %q\n once %q\n twice %q", policy, merged, again)
	}
	in, out := strings.Split(policy, ","), strings.Split(merged, ",")
	if len(in) != len(out) {
		t.Fatalf("policy count changed: %q -> %q", policy, merged)
	}
	for i := range in {
		before, order := modelParse(in[i])
		after, afterOrder := modelParse(out[i])
		for _, name := range order {
			if _, ok := after[name]; !ok {
				t.Fatalf("directive %s lost: %q -> %q", name, in[i], out[i])
			}
			if !mergedNames[name] && strings.Join(before[name], " ") != strings.Join(after[name], " ") {
				t.Fatalf("unrelated directive %s changed: %q -> %q", name, in[i], out[i])
			}
		}
		for _, name := range afterOrder {
			if _, ok := before[name]; !ok && !mergedNames[name] {
				t.Fatalf("unexpected directive %s created: %q -> %q", name, in[i], out[i])
			}
		}
		for _, lc := range loadChains {
			_, restricted := before.governing(lc.chain...)
			values, stillRestricted := after.governing(lc.chain...)
			if restricted != stillRestricted {
				t.Fatalf("chain %v restriction changed: %q -> %q", lc.chain, in[i], out[i])
			}
			if !restricted {
				continue
			}
			for _, probe := range lc.probes {
				if !modelAllows(values, probe) {
					t.Fatalf("%s not allowed by %v after merge: %q -> %q", probe, lc.chain, in[i], out[i])
				}
			}
		}
		for _, other := range []string{"img-src", "style-src", "font-src", "object-src", "media-src", "manifest-src"} {
			b, _ := before.governing(other, "default-src")
			a, _ := after.governing(other, "default-src")
			if strings.Join(a, " ") != strings.Join(b, " ") {
				t.Fatalf("%s loads changed: %q -> %q", other, in[i], out[i])
			}
		}
	}
}

func FuzzParseCSP(f *testing.F) {
	for _, s := range cspSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, policy string) {
		p := parseCSP(policy)
		if strings.Join(p.tokens, ";") != policy {
			t.Fatalf("tokens do not rebuild the policy")
		}
		if got := p.render(nil); got != policy {
			t.Fatalf("render without edits changed %q to %q", policy, got)
		}
		model, order := modelParse(policy)
		if len(order) != len(p.directives) {
			t.Fatalf("%d directives, model has %d: %q", len(p.directives), len(order), policy)
		}
		for i, d := range p.directives {
			if d.name != order[i] || strings.Join(d.values, " ") != strings.Join(model[d.name], " ") {
				t.Fatalf("directive %d = %s %q, model %s %q", i, d.name, d.values, order[i], model[order[i]])
			}
		}
	})
}

func FuzzMergeCSP(f *testing.F) {
	for _, s := range cspSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, policy string) {
		merged, err := MergeCSP(policy)
		if err != nil {
			t.Fatal(err)
		}
		checkMerge(t, policy, merged)
	})
}

// FuzzCachedMerge checks that the middleware's cache, with its per-request
// nonce marks, gives exactly what a direct merge gives.
func FuzzCachedMerge(f *testing.F) {
	for _, s := range cspSeeds {
		f.Add(s, "")
		f.Add(s, "abc")
		f.Add(s+"; style-src 'nonce-xyz'", "q+/=")
	}
	m := newTestMerger(f, WithCacheSize(64))
	f.Fuzz(func(t *testing.T, policy, nonce string) {
		// Keep only what a nonce may hold, so every input is a valid case.
		nonce = strings.Map(func(r rune) rune {
			if r < 0x80 && isBase64Char(byte(r)) {
				return r
			}
			return -1
		}, nonce)
		want := directMerge(t, policy, nonce)
		if got := m.merge(policy, sourceOf(nonce)); got != want {
			t.Fatalf("cached merge of %q with nonce %q:\n got  %q\n want %q", policy, nonce, got, want)
		}
	})
}
