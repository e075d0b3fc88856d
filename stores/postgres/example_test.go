package glomopg_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"os/signal"
	"time"

	"github.com/glomokit/glomo"
	glomopg "github.com/glomokit/glomo/stores/postgres"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Fulfil orders exactly once across replicas: the order is marked paid in
// the same transaction as the claim is marked done.
func Example() {
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, os.Getenv("DATABASE_URL"))
	if err != nil {
		log.Fatal(err)
	}
	defer pool.Close()

	store, err := glomopg.New(pool, glomopg.Options{})
	if err != nil {
		log.Fatal(err)
	}
	if err := store.Migrate(ctx); err != nil {
		log.Fatal(err)
	}
	fulfilment, err := glomo.NewFulfilment(store.Transactional(func(ctx context.Context, tx pgx.Tx, o glomo.PaidOrder) error {
		_, err := tx.Exec(ctx, "UPDATE orders SET status = 'paid' WHERE id = $1", o.OrderID)
		return err
	}), glomo.FulfilmentOptions{Store: store})
	if err != nil {
		log.Fatal(err)
	}
	_ = fulfilment // give it to glomo.NewResultHandler and the webhook handler
}

// Purge ended claims and done marks hourly, from one replica or a job.
func ExampleStore_Purge() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	pool, err := pgxpool.New(ctx, os.Getenv("DATABASE_URL"))
	if err != nil {
		log.Fatal(err)
	}
	defer pool.Close()
	store, err := glomopg.New(pool, glomopg.Options{Table: "shop.glomo_claims"})
	if err != nil {
		log.Fatal(err)
	}
	tick := time.NewTicker(time.Hour)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			if n, err := store.Purge(ctx); err != nil {
				log.Print(err)
			} else {
				log.Printf("purged %d claims", n)
			}
		}
	}
}

// Teams that run their own migrations take the SQL from MigrationSQL.
func ExampleMigrationSQL() {
	sql, err := glomopg.MigrationSQL("glomo_claims")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Print(sql)
	// Output:
	// CREATE TABLE IF NOT EXISTS "glomo_claims" (
	// 	key text COLLATE "C" PRIMARY KEY,
	// 	token text NOT NULL,
	// 	done boolean NOT NULL,
	// 	expires_at timestamptz NOT NULL
	// );
	// CREATE INDEX IF NOT EXISTS "glomo_claims_expires_at_idx" ON "glomo_claims" (expires_at);
}
