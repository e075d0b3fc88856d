// Command fiber runs the demo shop on Fiber v3 with the glomofiber
// adapter: the same shop, pages and behaviour as examples/nethttp, served
// by Fiber's own fasthttp server. From the repository root:
//
//	go run ./examples/fiber
//
// It listens on 127.0.0.1:8080 (the -addr flag, else the ADDR environment
// variable) and uses real Glomo when GLOMO_SECRET_KEY and GLOMO_PUBLIC_KEY
// are set, otherwise an embedded glomotest simulator.
package main

import (
	"github.com/glomokit/glomo/examples/internal/demo"
	"github.com/glomokit/glomo/examples/internal/routers"
)

func main() { demo.MainServer("fiber", routers.Fiber) }
