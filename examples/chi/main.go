// Command chi runs the demo shop on chi with glomo's middleware and the
// glomochi adapter: the same shop, pages and behaviour as
// examples/nethttp. From the repository root:
//
//	go run ./examples/chi
//
// It listens on 127.0.0.1:8080 (the -addr flag, else the ADDR environment
// variable) and uses real Glomo when GLOMO_SECRET_KEY and GLOMO_PUBLIC_KEY
// are set, otherwise an embedded glomotest simulator.
package main

import (
	"github.com/glomokit/glomo/examples/internal/demo"
	"github.com/glomokit/glomo/examples/internal/routers"
)

func main() { demo.Main("chi", routers.Chi) }
