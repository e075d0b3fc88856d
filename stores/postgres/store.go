package glomopg

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/glomokit/glomo"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// DefaultTable is the table a Store uses unless Options.Table names another.
const DefaultTable = "glomo_claims"

// Bounds of Options.Table, in bytes. PostgreSQL cuts identifiers at 63
// bytes; the table's own name is shorter so that the name of its index,
// the table's name plus "_expires_at_idx", fits too.
const (
	MaxSchemaBytes = 63
	MaxTableBytes  = 63 - len(indexSuffix)
)

const indexSuffix = "_expires_at_idx"

// Options configures New.
type Options struct {
	// Table is the table holding the claims: a lower-case SQL identifier
	// (letters a to z, digits, underscores, not starting with a digit),
	// optionally qualified by a schema of the same form, such as
	// "shop.glomo_claims". Anything else is refused, since the name is
	// written into SQL; upper case is refused because it is quoted as
	// written, which would not match a table created with the name
	// unquoted. Default DefaultTable, in the connection's search_path.
	Table string
	// Retention is how long a done mark is kept: it must outlast the
	// longest time in which a proof of the same work can arrive again.
	// Negative is an error. Default glomo.DefaultRetention.
	Retention time.Duration
}

// Store is a [glomo.Store] in a PostgreSQL table, shared by every replica
// that connects to the database. Leases and retention are measured by the
// database server's clock, so the replicas' clocks need not agree. Build
// one with New and create its table with Migrate (or MigrationSQL); it is
// safe for concurrent use.
type Store struct {
	pool      *pgxpool.Pool
	table     string // quoted
	retention time.Duration

	migrationSQL, claimSQL, stateSQL, releaseSQL, doneSQL, purgeSQL string
}

var _ glomo.Store = (*Store)(nil)

// identifierPart is one part of a table name that Options.Table accepts.
var identifierPart = regexp.MustCompile(`^[a-z_][a-z0-9_]*$`)

// New returns a Store keeping its claims in opts.Table through pool. A nil
// pool, a negative Retention or a table name that Options.Table does not
// accept is an error. New does not connect; Migrate or the first call does.
func New(pool *pgxpool.Pool, opts Options) (*Store, error) {
	if pool == nil {
		return nil, errors.New("glomopg: New needs a connection pool")
	}
	if opts.Retention < 0 {
		return nil, fmt.Errorf("glomopg: Options.Retention %v must not be negative", opts.Retention)
	}
	if opts.Retention == 0 {
		opts.Retention = glomo.DefaultRetention
	}
	if opts.Retention < time.Microsecond {
		return nil, fmt.Errorf("glomopg: Options.Retention %v is below PostgreSQL's resolution of a microsecond", opts.Retention)
	}
	ident, err := parseTable(opts.Table)
	if err != nil {
		return nil, err
	}
	t := ident.Sanitize()
	s := &Store{pool: pool, table: t, retention: opts.Retention}
	if s.migrationSQL, err = MigrationSQL(opts.Table); err != nil {
		return nil, err
	}

	// Why READ COMMITTED, PostgreSQL's default, is enough for exactly one
	// of concurrent Claims to acquire a key: the primary key lets only one
	// INSERT of the key succeed, and an INSERT that meets a row, committed
	// or not, waits for its transaction and then takes the ON CONFLICT
	// path. That path locks the row and evaluates its WHERE against the
	// newest committed version of the row, not against the statement's
	// snapshot. Of two Claims taking over the same lapsed row, the second
	// waits for the first's lock and then sees the fresh lease, so it does
	// not update and returns no row. Every check of a lease uses
	// clock_timestamp(), the time of the check, rather than now(), the
	// start of the transaction.
	s.claimSQL = `INSERT INTO ` + t + ` AS c (key, token, done, expires_at)
VALUES ($1, $2, false, clock_timestamp() + $3::bigint * interval '1 microsecond')
ON CONFLICT (key) DO UPDATE
SET token = excluded.token, done = false, expires_at = excluded.expires_at
WHERE c.expires_at <= clock_timestamp()
RETURNING true`
	s.stateSQL = `SELECT done, expires_at > clock_timestamp() FROM ` + t + ` WHERE key = $1`
	s.releaseSQL = `DELETE FROM ` + t + `
WHERE key = $1 AND token = $2 AND NOT done AND expires_at > clock_timestamp()`
	// The second EXISTS reads the statement's snapshot, so it finds a done
	// mark committed before Done began: the one the same token made inside
	// a Transactional fulfilment.
	s.doneSQL = `WITH marked AS (
	UPDATE ` + t + `
	SET done = true, expires_at = clock_timestamp() + $3::bigint * interval '1 microsecond'
	WHERE key = $1 AND token = $2 AND NOT done AND expires_at > clock_timestamp()
	RETURNING 1
)
SELECT EXISTS (SELECT 1 FROM marked)
	OR EXISTS (SELECT 1 FROM ` + t + ` WHERE key = $1 AND token = $2 AND done AND expires_at > clock_timestamp())`
	s.purgeSQL = `DELETE FROM ` + t + ` WHERE expires_at <= clock_timestamp()`
	return s, nil
}

// parseTable checks a table name against the rules of Options.Table.
func parseTable(name string) (pgx.Identifier, error) {
	if name == "" {
		name = DefaultTable
	}
	parts := strings.Split(name, ".")
	if len(parts) > 2 {
		return nil, fmt.Errorf("glomopg: Options.Table %q has more than a schema and a table", name)
	}
	for i, p := range parts {
		limit := MaxTableBytes
		if i < len(parts)-1 {
			limit = MaxSchemaBytes
		}
		if !identifierPart.MatchString(p) || len(p) > limit {
			return nil, fmt.Errorf("glomopg: Options.Table %q is not a lower-case SQL identifier of at most %d bytes, optionally schema-qualified", name, limit)
		}
	}
	return pgx.Identifier(parts), nil
}

// claimAttempts bounds how often Claim retries when the row it could not
// take changes before it can read it.
const claimAttempts = 3

// Claim implements glomo.Store in one statement when the key is free or
// lapsed, and two when it is not: the second tells a done key from one in
// progress. A lease below a microsecond is an error.
func (s *Store) Claim(ctx context.Context, key string, lease time.Duration) (glomo.Claim, error) {
	if lease < time.Microsecond {
		return glomo.Claim{}, fmt.Errorf("glomopg: claim: the lease %v must be at least a microsecond", lease)
	}
	token, err := newToken()
	if err != nil {
		return glomo.Claim{}, fmt.Errorf("glomopg: claim: making a token: %w", err)
	}
	for attempt := 0; attempt < claimAttempts; attempt++ {
		var acquired bool
		err := s.pool.QueryRow(ctx, s.claimSQL, key, token, lease.Microseconds()).Scan(&acquired)
		if err == nil {
			return glomo.Claim{State: glomo.ClaimAcquired, Token: token}, nil
		}
		if !errors.Is(err, pgx.ErrNoRows) {
			return glomo.Claim{}, fmt.Errorf("glomopg: claim in %s: %w", s.table, err)
		}
		var done, live bool
		err = s.pool.QueryRow(ctx, s.stateSQL, key).Scan(&done, &live)
		switch {
		case errors.Is(err, pgx.ErrNoRows) || (err == nil && !live):
			// Released or lapsed between the two statements: free now.
			continue
		case err != nil:
			return glomo.Claim{}, fmt.Errorf("glomopg: reading a claim in %s: %w", s.table, err)
		case done:
			return glomo.Claim{State: glomo.ClaimDone}, nil
		default:
			return glomo.Claim{State: glomo.ClaimInProgress}, nil
		}
	}
	// The key keeps changing hands: another claimer is at work on it.
	return glomo.Claim{State: glomo.ClaimInProgress}, nil
}

// Release implements glomo.Store: it deletes the key's row if token holds
// its live claim and the claim is not done.
func (s *Store) Release(ctx context.Context, key, token string) error {
	tag, err := s.pool.Exec(ctx, s.releaseSQL, key, token)
	if err != nil {
		return fmt.Errorf("glomopg: release in %s: %w", s.table, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("glomopg: release in %s: %w", s.table, glomo.ErrClaimLost)
	}
	return nil
}

// Done implements glomo.Store: it marks the live claim held under token
// done for the store's retention from now, or changes nothing and returns
// nil if token already marked it done.
func (s *Store) Done(ctx context.Context, key, token string) error {
	ok, err := s.markDone(ctx, s.pool, key, token)
	if err != nil {
		return fmt.Errorf("glomopg: done in %s: %w", s.table, err)
	}
	if !ok {
		return fmt.Errorf("glomopg: done in %s: %w", s.table, glomo.ErrClaimLost)
	}
	return nil
}

// querier is what markDone needs of a pool or a transaction.
type querier interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// markDone runs the done statement through q and reports whether token
// holds the key's claim, now done.
func (s *Store) markDone(ctx context.Context, q querier, key, token string) (bool, error) {
	var ok bool
	err := q.QueryRow(ctx, s.doneSQL, key, token, s.retention.Microseconds()).Scan(&ok)
	return ok, err
}

// Purge deletes the rows whose lease or retention has ended and returns
// how many it deleted. Without it such a row stays until the next Claim of
// its key reuses it, and most keys are never claimed again: run Purge
// periodically, say hourly, from one replica or a scheduled job. It is
// safe to run alongside claims.
func (s *Store) Purge(ctx context.Context) (int64, error) {
	tag, err := s.pool.Exec(ctx, s.purgeSQL)
	if err != nil {
		return 0, fmt.Errorf("glomopg: purge of %s: %w", s.table, err)
	}
	return tag.RowsAffected(), nil
}

// newToken returns a random claim token (128 bits, base64url).
func newToken() (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b[:]), nil
}
