package glomopg

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// MigrationSQL returns the SQL that creates the claims table named table
// (the empty string for DefaultTable) and its index, for teams that run
// their own migrations; Migrate runs exactly this. Both statements use IF
// NOT EXISTS, so running them again changes nothing. A name that
// Options.Table does not accept is an error.
//
// The key column uses the "C" collation: keys are opaque, so byte order
// serves, and it compares faster than a language's order. The index on
// expires_at serves Purge.
func MigrationSQL(table string) (string, error) {
	ident, err := parseTable(table)
	if err != nil {
		return "", err
	}
	index := pgx.Identifier{ident[len(ident)-1] + indexSuffix}.Sanitize()
	t := ident.Sanitize()
	return `CREATE TABLE IF NOT EXISTS ` + t + ` (
	key text COLLATE "C" PRIMARY KEY,
	token text NOT NULL,
	done boolean NOT NULL,
	expires_at timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS ` + index + ` ON ` + t + ` (expires_at);
`, nil
}

// Migrate creates the store's table and index unless they exist, running
// MigrationSQL in one transaction. Replicas may run it at the same time:
// a transaction-scoped advisory lock on the table's name makes them take
// turns, since concurrent CREATE TABLE IF NOT EXISTS can otherwise fail.
func (s *Store) Migrate(ctx context.Context) error {
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext($1))`, "glomopg migrate "+s.table); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, s.migrationSQL)
		return err
	})
	if err != nil {
		return fmt.Errorf("glomopg: migrating %s: %w", s.table, err)
	}
	return nil
}
