// Package routers mounts the demo shop on each framework with its glomo
// adapter: the routers the demos under examples/ run and the browser tests
// drive. Each is the shop's pages behind the adapter's header middleware
// and glomo's result and webhook handlers through the adapter.
package routers
