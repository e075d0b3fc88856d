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
	"github.com/glomokit/glomo"
	glomogin "github.com/glomokit/glomo/adapters/gin"
	"github.com/glomokit/glomo/examples/internal/demo"
	"github.com/glomokit/glomo/examples/internal/shop"
)

func main() { demo.Main("gin", router) }

// router mounts the shop on gin: its pages behind glomogin's header
// middleware, and glomo's result and webhook handlers through glomogin.
func router(s *shop.Shop) (http.Handler, error) {
	headers, err := glomo.NewHeaders(s.HeaderOptions()...)
	if err != nil {
		return nil, err
	}
	results, err := glomo.NewResultHandler(s.ResultHandlerOptions())
	if err != nil {
		return nil, err
	}
	webhooks, disabled, err := demo.Webhook(s)
	if err != nil {
		return nil, err
	}

	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	r.HandleMethodNotAllowed = true
	r.Use(gin.Recovery(), glomogin.Middleware(headers))
	for _, rt := range s.Pages() {
		path := rt.Path
		if rt.Path != shop.PathProducts && strings.HasSuffix(path, "/") {
			path += "*file" // a prefix route
		}
		r.Handle(rt.Method, path, gin.WrapH(rt.Handler))
	}
	r.GET(shop.PathResult, glomogin.Result(results))
	r.POST(shop.PathVerify, glomogin.Result(results))
	if webhooks != nil {
		r.POST(shop.PathWebhook, glomogin.Webhook(webhooks))
	} else {
		r.POST(shop.PathWebhook, gin.WrapH(disabled))
	}
	r.NoRoute(func(c *gin.Context) { c.JSON(http.StatusNotFound, demo.NotFound) })
	r.NoMethod(func(c *gin.Context) { c.JSON(http.StatusMethodNotAllowed, demo.MethodNotAllowed) })
	return r, nil
}
