// Command nethttp runs the demo shop on net/http with the glomo
// middleware and handlers. From the repository root:
//
//	go run ./examples/nethttp
//
// It listens on 127.0.0.1:8080 (the -addr flag, else the ADDR environment
// variable), prints its URL and stops cleanly on SIGINT or SIGTERM. With
// GLOMO_SECRET_KEY and GLOMO_PUBLIC_KEY set it uses real Glomo (sandbox or
// live, as the keys say; GLOMO_WEBHOOK_SECRET enables webhooks), otherwise
// an embedded glomotest simulator on another loopback port.
package main

import (
	"net/http"

	"github.com/glomokit/glomo/examples/internal/demo"
	"github.com/glomokit/glomo/examples/internal/shop"
)

func main() { demo.Main("nethttp", router) }

// router is the shop's own net/http assembly: every page behind
// glomo.Headers, and glomo's result and webhook handlers.
func router(s *shop.Shop) (http.Handler, error) { return s.Handler(), nil }
