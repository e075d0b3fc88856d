// Package e2e holds end-to-end tests of several replicas of a merchant's
// server sharing one Redis or PostgreSQL store: replica processes (the
// test binary run again) receive every proof of each paid order at once,
// duplicated and out of order, one of them is killed in the middle of
// fulfilments, and the tests count that every order was fulfilled exactly
// once. The store's server is stopped under a replica, too. It has no
// code but its tests; run them with
//
//	GLOMO_E2E=1 go test -race ./...
//
// and the benchmark of three replicas with
//
//	go test -run '^$' -bench . -benchtime 3000x ./...
//
// The servers come from the installed redis-server and PostgreSQL
// binaries (Debian's redis-server and postgresql packages); without them
// the tests skip, unless GLOMO_E2E=1.
package e2e
