package main

import (
	"bytes"
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"

	"github.com/glomokit/glomo"
)

// pageScript is a script element of the page.
type pageScript struct {
	src, typ, nonce, text string
	hasNonce              bool
}

// pageInfo is what doctor reads from the HTML.
type pageInfo struct {
	metaCSP []string // content of <meta http-equiv="Content-Security-Policy"> in <head>
	scripts []pageScript
}

// maxScripts bounds how many script elements are kept.
const maxScripts = 10000

// parsePage parses an HTML document the way browsers build it (the HTML
// standard's tree construction), so a meta tag counts only where the
// browser puts it: in <head>.
func parsePage(body []byte) pageInfo {
	var info pageInfo
	doc, err := html.Parse(bytes.NewReader(body))
	if err != nil {
		return info
	}
	var walk func(n *html.Node, inHead bool, depth int)
	walk = func(n *html.Node, inHead bool, depth int) {
		if depth > 512 {
			return
		}
		if n.Type == html.ElementNode {
			switch n.DataAtom {
			case atom.Head:
				inHead = true
			case atom.Meta:
				if inHead && strings.EqualFold(strings.TrimSpace(attr(n, "http-equiv")), "content-security-policy") {
					if c, ok := attrOK(n, "content"); ok {
						info.metaCSP = append(info.metaCSP, c)
					}
				}
			case atom.Script:
				if len(info.scripts) < maxScripts {
					s := pageScript{src: attr(n, "src"), typ: strings.ToLower(strings.TrimSpace(attr(n, "type")))}
					s.nonce, s.hasNonce = attrOK(n, "nonce")
					var b strings.Builder
					for c := n.FirstChild; c != nil; c = c.NextSibling {
						if c.Type == html.TextNode {
							b.WriteString(c.Data)
						}
					}
					s.text = b.String()
					info.scripts = append(info.scripts, s)
				}
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c, inHead, depth+1)
		}
	}
	walk(doc, false, 0)
	return info
}

func attr(n *html.Node, name string) string {
	v, _ := attrOK(n, name)
	return v
}

func attrOK(n *html.Node, name string) (string, bool) {
	for _, a := range n.Attr {
		if a.Namespace == "" && a.Key == name {
			return a.Val, true
		}
	}
	return "", false
}

// loadsGlomo reports whether a script loads Glomo Checkout: its src is on
// the SDK origin, or its text imports from it or names GlomoCheckoutApi.
func (s pageScript) loadsGlomo() bool {
	if s.src != "" {
		return strings.HasPrefix(strings.ToLower(strings.TrimSpace(s.src)), glomo.SDKOrigin+"/")
	}
	return strings.Contains(s.text, glomo.SDKOrigin) || strings.Contains(s.text, "GlomoCheckoutApi")
}
