package routers

import (
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"
	glomogin "github.com/glomokit/glomo/adapters/gin"
	"github.com/glomokit/glomo/examples/internal/demo"
	"github.com/glomokit/glomo/examples/internal/shop"
)

// Gin mounts the shop on gin: its pages behind glomogin's header
// middleware, and glomo's result and webhook handlers through glomogin.
func Gin(s *shop.Shop) (http.Handler, error) {
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
