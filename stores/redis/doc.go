// Package glomoredis is a [glomo.Store] kept in Redis, so that every
// replica of a merchant's server shares one record of which orders and
// webhook events are being fulfilled and which are done:
//
//	client := redis.NewUniversalClient(&redis.UniversalOptions{
//		Addrs:                 []string{"localhost:6379"},
//		ContextTimeoutEnabled: true,
//	})
//	store, err := glomoredis.New(client, glomoredis.Options{})
//	...
//	fulfilment, err := glomo.NewFulfilment(hook, glomo.FulfilmentOptions{Store: store})
//
// # How it works
//
// Each glomo key is exactly one Redis string key, the Options.Prefix
// followed by the key, so all that a fulfilment does touches one hash
// slot and the store works the same on a single node, behind Sentinel and
// on Redis Cluster (any [redis.UniversalClient]). The key is absent while
// the work is free, holds "c:" and the claim's random token while claimed,
// with the lease as its expiry, and "d:" and that token once done, with
// the retention as its expiry. Tokens live in values only, never in keys.
//
//   - Claim is one SET NX PX GET: it claims a free key, or returns the
//     value holding it, in one round trip (Redis 7.0 or later; on older
//     servers the store falls back to SET NX and then GET, retrying a key
//     that lapsed between the two).
//   - Release and Done are one Lua script each, run with EVALSHA, which
//     compare the key's value with the caller's token before they delete
//     it or turn it into a done mark: an owner whose lease lapsed can
//     neither free nor complete the claim of the replica that took over.
//
// A fulfilment thus costs two round trips: the claim and the done mark.
// (The first Done or Release a server sees costs one more, to load its
// script.)
//
// # Failure modes
//
// Read these before relying on the store for money.
//
// A lease is time-bound, and Redis counts it, not the process holding it.
// A replica that stops for longer than the lease (a long GC pause, a
// frozen VM, a hook that ignores its context's deadline) comes back to a
// claim that another replica may have taken over after Glomo's next
// retry. Both then run the hook; the late one's Done is refused with
// [glomo.ErrClaimLost], which the fulfilment logs. The merchant's hook
// must therefore stay idempotent, for example by recording the fulfilment
// under a unique constraint on the order id.
//
// A claim lives only in Redis memory until Redis persists it. Without
// persistence (the default of many installations, and of this package's
// tests), a restarted server has forgotten every claim and done mark: the
// next proof of an order fulfilled before the restart runs the hook
// again. With appendonly yes and appendfsync always a single node keeps
// them across a crash; appendfsync everysec may lose the last second.
// Replication is asynchronous: after a Sentinel or Cluster failover the
// promoted replica may lack the most recent claims and done marks, with
// the same effect.
//
// What that means for exactly-once: while Redis keeps its data and every
// hook finishes within its lease, each order's hook runs once within the
// retention. A lapsed lease, a Done that fails after the hook succeeded,
// a restart without persistence and a failover can each make it run a
// second time. No failure of the store makes it run zero times, provided
// a later proof arrives (Glomo retries a webhook for days): an order whose
// claim was lost, or never made, is claimed again by that proof. The store thus gives at-least-once with duplicates
// suppressed in the normal case, and exactly-once only together with an
// idempotent hook.
//
// An error is never a claim: Claim returns ClaimAcquired only when its
// own SET took effect. The reverse does not hold: a command that reached
// the server but whose reply was lost (a timeout, a dropped connection)
// may have claimed the key although Claim returned an error; that claim
// holds the order until its lease ends, and the next proof after that
// runs the hook. Errors are wrapped with their operation, as in
// "glomoredis: claim: ...", and carry neither tokens nor credentials; the
// fulfilment answers them with 503 so that the proof is retried.
//
// When the merchant's orders live in PostgreSQL, prefer the PostgreSQL
// store: it marks an order done in the same transaction as the hook's own
// writes, so that a fulfilment and its done mark are committed together
// or not at all, which Redis cannot offer.
package glomoredis
