// Command gin runs the demo shop on gin with the glomogin adapter: the
// same shop, pages and behaviour as examples/nethttp. From the repository
// root:
//
//	go run ./examples/gin
//
// It listens on 127.0.0.1:8080 (the -addr flag, else the ADDR environment
// variable) and uses real Glomo when GLOMO_SECRET_KEY and GLOMO_PUBLIC_KEY
// are set, otherwise an embedded glomotest simulator.
package main

import (
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"
	glomogin "github.com/glomokit/glomo/adapters/gin"
	"github.com/glomokit/glomo/examples/internal/demo"
	"github.com/glomokit/glomo/examples/internal/shop"
)

func main() { demo.Main("gin", router) }

// router mounts the shop on gin: its pages behind glomogin's header
// middleware, and glomo's result and webhook handlers through glomogin.
func router(s *shop.Shop) (http.Handler, error) {
	h, err := demo.NewHandlers(s)
	if err != nil {
		return nil, err
	}

	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	r.HandleMethodNotAllowed = true
	r.Use(gin.Recovery(), glomogin.Middleware(h.Headers))
	for _, rt := range s.Pages() {
		path := rt.Path
		if rt.Path != shop.PathProducts && strings.HasSuffix(path, "/") {
			path += "*file" // a prefix route
		}
		r.Handle(rt.Method, path, gin.WrapH(rt.Handler))
	}
	r.GET(shop.PathResult, glomogin.Result(h.Results))
	r.POST(shop.PathVerify, glomogin.Result(h.Results))
	if h.Webhooks != nil {
		r.POST(shop.PathWebhook, glomogin.Webhook(h.Webhooks))
	} else {
		r.POST(shop.PathWebhook, gin.WrapH(h.WebhooksDisabled))
	}
	r.NoRoute(func(c *gin.Context) { c.JSON(http.StatusNotFound, demo.NotFound) })
	r.NoMethod(func(c *gin.Context) { c.JSON(http.StatusMethodNotAllowed, demo.MethodNotAllowed) })
	return r, nil
}
