// Package glomopg is a [glomo.Store] in PostgreSQL, through pgx, for
// merchants whose replicas share a database: every replica's Fulfilment
// then runs each order's fulfilment once, whichever proof of payment
// arrives first and wherever it arrives.
//
//	store, err := glomopg.New(pool, glomopg.Options{})
//	err = store.Migrate(ctx) // or run glomopg.MigrationSQL in your migrations
//	f, err := glomo.NewFulfilment(store.Transactional(hook), glomo.FulfilmentOptions{Store: store})
//
// Each key is one row of the claims table (see [MigrationSQL]): a claim
// inserts or takes over the row in one statement, Done and Release update
// or delete it only for the token that holds it, and the primary key and
// PostgreSQL's row locks make exactly one of concurrent claims win, at the
// default READ COMMITTED isolation. Leases and retention are measured by
// the database server's clock. Rows whose retention ended are reused by
// the next claim of their key; [Store.Purge] deletes the others and should
// run periodically.
//
// # What it guarantees, and what it does not
//
// Used as a plain Store (FulfilmentOptions{Store: store} with any hook),
// it is bound by leases like every store: the claim lives for the
// Fulfilment's lease, and a process paused or partitioned for longer (a
// stop-the-world pause, a frozen VM, a hook stuck on a slow API) can
// outlive its lease while another replica takes the order over and runs
// the hook too. Such a hook must stay idempotent: check and set the
// order's state in one conditional write of its own.
//
// [Store.Transactional] removes that dependence on timing when the
// orders live in PostgreSQL: the hook gets a transaction, and the claim
// is marked done in that same transaction before it commits. A run that
// crashes, loses its connection or outlives its lease commits nothing;
// whichever run commits first wins, and every other run's writes are
// rolled back with an error matching glomo.ErrClaimLost. Fulfilment is
// then exactly once across crashes, restarts and pauses, as long as all
// of the hook's effects are writes through tx. Calls to other systems
// (sending an e-mail, calling a shipping API) are outside the transaction
// and may still happen twice; record them in tx and perform them from an
// outbox instead.
//
// One outcome cannot be known: if the connection is lost while COMMIT is
// under way, the transaction may or may not have committed. The error then
// says so and matches glomo.ErrStore, the Fulfilment tries to release the
// claim (which is refused if the commit went through, since a done mark is
// never released), and a retried proof either finds the order done or
// runs it again, correctly in both cases. Only an effect outside the
// transaction needs the merchant's reconciliation in this case.
//
// Recommended: use Transactional whenever the orders are in PostgreSQL.
//
// Errors from the database are wrapped with what was being done; they
// never contain a claim's token. pgx's connection errors name the user
// and database but not the password.
package glomopg
