package sqlstore

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/lookout-hq/lookout/internal/store"
)

// Errors here name client ids but never a code, token hash or approval id:
// those are bearer material or close to it.

const clientColumns = `id, secret_hash, metadata, created_at, last_used_at, expires_at`

func scanClient(row scanner) (store.Client, error) {
	var c store.Client
	if err := row.Scan(&c.ID, &c.SecretHash, &c.Metadata,
		timestamp{&c.CreatedAt}, timestamp{&c.LastUsedAt}, timestamp{&c.ExpiresAt}); err != nil {
		return store.Client{}, err
	}
	return c, nil
}

func (s *Store) CreateClient(ctx context.Context, c store.Client) error {
	n, err := affected(s.w.exec(ctx, `
		INSERT INTO clients (id, secret_hash, metadata, created_at, last_used_at, expires_at)
		VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
		c.ID, c.SecretHash, c.Metadata, s.time(c.CreatedAt), s.nullTime(c.LastUsedAt), s.nullTime(c.ExpiresAt)))
	if err == nil && n == 0 {
		err = store.ErrAlreadyExists
	}
	if err != nil {
		return fmt.Errorf("create client %q: %w", c.ID, err)
	}
	return nil
}

func (s *Store) GetClient(ctx context.Context, id string, now time.Time) (store.Client, error) {
	c, err := scanClient(s.r.queryRow(ctx, `
		SELECT `+clientColumns+` FROM clients
		WHERE id = ? AND (expires_at IS NULL OR expires_at > ?)`,
		id, s.time(now)))
	if err != nil {
		return store.Client{}, fmt.Errorf("get client %q: %w", id, notFound(err))
	}
	return c, nil
}

// TouchClient reports ErrNotFound for an expired client as well as an
// unknown one: a registration that has lapsed is not revived by use.
func (s *Store) TouchClient(ctx context.Context, id string, now, expiresAt time.Time) error {
	n, err := affected(s.w.exec(ctx, `
		UPDATE clients SET last_used_at = ?, expires_at = COALESCE(?, expires_at)
		WHERE id = ? AND (expires_at IS NULL OR expires_at > ?)`,
		s.time(now), s.nullTime(expiresAt), id, s.time(now)))
	if err == nil && n == 0 {
		err = store.ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("touch client %q: %w", id, err)
	}
	return nil
}

func (s *Store) DeleteClient(ctx context.Context, id string) error {
	n, err := affected(s.w.exec(ctx, `DELETE FROM clients WHERE id = ?`, id))
	if err == nil && n == 0 {
		err = store.ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("delete client %q: %w", id, err)
	}
	return nil
}

const codeColumns = `hash, client_id, principal, redirect_uri, code_challenge, resource, scope, family_id, created_at, expires_at`

func scanCode(row scanner) (store.AuthCode, error) {
	var c store.AuthCode
	if err := row.Scan(&c.Hash, &c.ClientID, &c.Principal, &c.RedirectURI, &c.CodeChallenge,
		&c.Resource, &c.Scope, &c.FamilyID, timestamp{&c.CreatedAt}, timestamp{&c.ExpiresAt}); err != nil {
		return store.AuthCode{}, err
	}
	return c, nil
}

func (s *Store) CreateAuthCode(ctx context.Context, c store.AuthCode) error {
	n, err := affected(s.w.exec(ctx, `
		INSERT INTO auth_codes (`+codeColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
		c.Hash, c.ClientID, c.Principal, c.RedirectURI, c.CodeChallenge,
		c.Resource, c.Scope, c.FamilyID, s.time(c.CreatedAt), s.time(c.ExpiresAt)))
	if err == nil && n == 0 {
		err = store.ErrAlreadyExists
	}
	if err != nil {
		return fmt.Errorf("create auth code for client %q: %w", c.ClientID, err)
	}
	return nil
}

// GetAuthCode reads a code without using it, used or not.
func (s *Store) GetAuthCode(ctx context.Context, hash string, now time.Time) (store.AuthCode, error) {
	c, err := scanCode(s.r.queryRow(ctx, `
		SELECT `+codeColumns+` FROM auth_codes WHERE hash = ? AND expires_at > ?`,
		hash, s.time(now)))
	if err != nil {
		return store.AuthCode{}, fmt.Errorf("get auth code: %w", notFound(err))
	}
	return c, nil
}

// ConsumeAuthCode uses the same one-statement claim as ConsumeState; the
// loser reads the code back so its caller can revoke what the winner got.
func (s *Store) ConsumeAuthCode(ctx context.Context, hash string, now time.Time) (store.AuthCode, error) {
	c, err := scanCode(s.w.queryRow(ctx, `
		UPDATE auth_codes SET used_at = ?
		WHERE hash = ? AND used_at IS NULL AND expires_at > ?
		RETURNING `+codeColumns,
		s.time(now), hash, s.time(now)))
	if err == nil {
		return c, nil
	}
	if errors.Is(err, sql.ErrNoRows) {
		c, err = scanCode(s.r.queryRow(ctx, `
			SELECT `+codeColumns+` FROM auth_codes
			WHERE hash = ? AND used_at IS NOT NULL AND expires_at > ?`,
			hash, s.time(now)))
		if err == nil {
			return c, fmt.Errorf("consume auth code of client %q: %w", c.ClientID, store.ErrAlreadyUsed)
		}
	}
	return store.AuthCode{}, fmt.Errorf("consume auth code: %w", notFound(err))
}

const tokenColumns = `hash, kind, client_id, principal, family_id, resource, scope, created_at, expires_at, revoked`

// tokenSelect is what reads return: the written columns, used_at and
// successor_seed.
const tokenSelect = tokenColumns + `, used_at, successor_seed`

func scanToken(row scanner) (store.Token, error) {
	var t store.Token
	var seed sql.NullString
	if err := row.Scan(&t.Hash, &t.Kind, &t.ClientID, &t.Principal, &t.FamilyID,
		&t.Resource, &t.Scope, timestamp{&t.CreatedAt}, timestamp{&t.ExpiresAt}, &t.Revoked, timestamp{&t.UsedAt}, &seed); err != nil {
		return store.Token{}, err
	}
	t.SuccessorSeed = seed.String
	return t, nil
}

func (s *Store) CreateToken(ctx context.Context, t store.Token) error {
	n, err := affected(s.w.exec(ctx, `
		INSERT INTO tokens (`+tokenColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
		t.Hash, string(t.Kind), t.ClientID, t.Principal, t.FamilyID,
		t.Resource, t.Scope, s.time(t.CreatedAt), s.time(t.ExpiresAt), t.Revoked))
	if err == nil && n == 0 {
		err = store.ErrAlreadyExists
	}
	if err != nil {
		return fmt.Errorf("create %s token for client %q: %w", t.Kind, t.ClientID, err)
	}
	return nil
}

func (s *Store) GetToken(ctx context.Context, hash string, now time.Time) (store.Token, error) {
	t, err := scanToken(s.r.queryRow(ctx, `
		SELECT `+tokenSelect+` FROM tokens
		WHERE hash = ? AND NOT revoked AND expires_at > ?`,
		hash, s.time(now)))
	if err != nil {
		return store.Token{}, fmt.Errorf("get token: %w", notFound(err))
	}
	return t, nil
}

// GetTokenGrant is GetToken LEFT JOIN grants on the principal: one
// statement, prepared once, for the bearer check of every MCP request,
// whose answer the token cache keeps for its TTL (tokencache.go).
func (s *Store) GetTokenGrant(ctx context.Context, hash string, now time.Time) (store.TokenGrant, error) {
	tg, ok, gen := s.tokens.get(hash, now)
	if ok {
		return tg, nil
	}
	tg, err := s.readTokenGrant(ctx, hash, now)
	if err == nil {
		s.tokens.put(hash, tg, gen)
	}
	return tg, err
}

func (s *Store) readTokenGrant(ctx context.Context, hash string, now time.Time) (store.TokenGrant, error) {
	var (
		out       store.TokenGrant
		t         = &out.Token
		g         = &out.Grant
		seed      sql.NullString
		principal sql.NullString
		keyID     sql.NullString
		version   sql.NullInt64
		userID    sql.NullString
		stale     sql.NullBool
		described sql.NullBool
	)
	err := s.r.queryRow(ctx, `
		SELECT t.hash, t.kind, t.client_id, t.principal, t.family_id, t.resource, t.scope,
			t.created_at, t.expires_at, t.revoked, t.used_at, t.successor_seed,
			g.principal, g.key_id, g.ciphertext, g.version, g.created_at, g.updated_at,
			g.sentry_user_id, g.expires_at, g.stale, g.described, g.last_used_at
		FROM tokens t LEFT JOIN grants g ON g.principal = t.principal
		WHERE t.hash = ? AND NOT t.revoked AND t.expires_at > ?`,
		hash, s.time(now)).Scan(
		&t.Hash, &t.Kind, &t.ClientID, &t.Principal, &t.FamilyID, &t.Resource, &t.Scope,
		timestamp{&t.CreatedAt}, timestamp{&t.ExpiresAt}, &t.Revoked, timestamp{&t.UsedAt}, &seed,
		&principal, &keyID, &g.Ciphertext, &version, timestamp{&g.CreatedAt}, timestamp{&g.UpdatedAt},
		&userID, timestamp{&g.ExpiresAt}, &stale, &described, timestamp{&g.LastUsedAt})
	if err != nil {
		return store.TokenGrant{}, fmt.Errorf("get token and grant: %w", notFound(err))
	}
	t.SuccessorSeed = seed.String
	if !principal.Valid {
		return store.TokenGrant{Token: *t}, nil
	}
	out.HasGrant = true
	g.Principal, g.KeyID, g.Version = principal.String, keyID.String, version.Int64
	g.SentryUserID, g.Stale, g.Described = userID.String, stale.Bool, described.Bool
	return out, nil
}

// UseRefreshToken claims the token and records the successor seed in one
// statement, like ConsumeState. A loser that finds it used (and still
// live) gets it back, with the winner's seed, and ErrAlreadyUsed: that is
// refresh token reuse.
func (s *Store) UseRefreshToken(ctx context.Context, hash string, now time.Time, successorSeed string) (store.Token, error) {
	t, err := scanToken(s.w.queryRow(ctx, `
		UPDATE tokens SET used_at = ?, successor_seed = ?
		WHERE hash = ? AND kind = 'refresh' AND NOT revoked AND expires_at > ? AND used_at IS NULL
		RETURNING `+tokenSelect,
		s.time(now), successorSeed, hash, s.time(now)))
	if err == nil {
		return t, nil
	}
	if errors.Is(err, sql.ErrNoRows) {
		t, err = scanToken(s.r.queryRow(ctx, `
			SELECT `+tokenSelect+` FROM tokens
			WHERE hash = ? AND kind = 'refresh' AND NOT revoked AND expires_at > ? AND used_at IS NOT NULL`,
			hash, s.time(now)))
		if err == nil {
			return t, fmt.Errorf("use refresh token of client %q: %w", t.ClientID, store.ErrAlreadyUsed)
		}
	}
	return store.Token{}, fmt.Errorf("use refresh token: %w", notFound(err))
}

// RevokeToken succeeds again on a revoked token (revocation is
// idempotent) but reports ErrNotFound for an unknown one.
func (s *Store) RevokeToken(ctx context.Context, hash string) error {
	defer s.tokens.drop()
	n, err := affected(s.w.exec(ctx, `UPDATE tokens SET revoked = true WHERE hash = ?`, hash))
	if err == nil && n == 0 {
		err = store.ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("revoke token: %w", err)
	}
	return nil
}

// RevokeFamily counts only tokens this call revoked.
func (s *Store) RevokeFamily(ctx context.Context, familyID string) (int, error) {
	defer s.tokens.drop()
	n, err := affected(s.w.exec(ctx,
		`UPDATE tokens SET revoked = true WHERE family_id = ? AND NOT revoked`, familyID))
	if err != nil {
		return 0, fmt.Errorf("revoke token family: %w", err)
	}
	return int(n), nil
}

// RevokePrincipal counts only tokens this call revoked.
func (s *Store) RevokePrincipal(ctx context.Context, principal string) (int, error) {
	defer s.tokens.drop()
	n, err := affected(s.w.exec(ctx,
		`UPDATE tokens SET revoked = true WHERE principal = ? AND NOT revoked`, principal))
	if err != nil {
		return 0, fmt.Errorf("revoke tokens of %q: %w", principal, err)
	}
	return int(n), nil
}

const approvalColumns = `id, client_id, scope, resource, redirect_uri, created_at, expires_at`

func scanApproval(row scanner) (store.Approval, error) {
	var a store.Approval
	if err := row.Scan(&a.ID, &a.ClientID, &a.Scope, &a.Resource, &a.RedirectURI, timestamp{&a.CreatedAt}, timestamp{&a.ExpiresAt}); err != nil {
		return store.Approval{}, err
	}
	return a, nil
}

func (s *Store) CreateApproval(ctx context.Context, a store.Approval) error {
	n, err := affected(s.w.exec(ctx, `
		INSERT INTO approvals (`+approvalColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
		a.ID, a.ClientID, a.Scope, a.Resource, a.RedirectURI, s.time(a.CreatedAt), s.time(a.ExpiresAt)))
	if err == nil && n == 0 {
		err = store.ErrAlreadyExists
	}
	if err != nil {
		return fmt.Errorf("create approval of client %q: %w", a.ClientID, err)
	}
	return nil
}

func (s *Store) GetApproval(ctx context.Context, id string, now time.Time) (store.Approval, error) {
	a, err := scanApproval(s.r.queryRow(ctx, `
		SELECT `+approvalColumns+` FROM approvals WHERE id = ? AND expires_at > ?`,
		id, s.time(now)))
	if err != nil {
		return store.Approval{}, fmt.Errorf("get approval: %w", notFound(err))
	}
	return a, nil
}

func (s *Store) DeleteApproval(ctx context.Context, id string) error {
	n, err := affected(s.w.exec(ctx, `DELETE FROM approvals WHERE id = ?`, id))
	if err == nil && n == 0 {
		err = store.ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("delete approval: %w", err)
	}
	return nil
}

// ListClientUsage gathers the ids from registrations, live tokens and live
// approvals, then counts per id. Rows are sorted here: clients.id has the
// database's collation, which need not be bytewise.
func (s *Store) ListClientUsage(ctx context.Context, now time.Time) ([]store.ClientUsage, error) {
	t := s.time(now)
	rows, err := s.r.query(ctx, `
		SELECT ids.id, c.id IS NOT NULL, c.metadata, c.created_at, c.last_used_at, c.expires_at,
			(SELECT MAX(tk.created_at) FROM tokens tk WHERE tk.client_id = ids.id),
			(SELECT COUNT(*) FROM approvals a WHERE a.client_id = ids.id AND a.expires_at > ?),
			(SELECT COUNT(*) FROM tokens tk WHERE tk.client_id = ids.id
				AND NOT tk.revoked AND tk.used_at IS NULL AND tk.expires_at > ?),
			(SELECT COUNT(DISTINCT tk.principal) FROM tokens tk WHERE tk.client_id = ids.id
				AND NOT tk.revoked AND tk.used_at IS NULL AND tk.expires_at > ?)
		FROM (
			SELECT id FROM clients WHERE expires_at IS NULL OR expires_at > ?
			UNION SELECT client_id FROM tokens WHERE NOT revoked AND used_at IS NULL AND expires_at > ?
			UNION SELECT client_id FROM approvals WHERE expires_at > ?
		) ids
		LEFT JOIN clients c ON c.id = ids.id AND (c.expires_at IS NULL OR c.expires_at > ?)`,
		t, t, t, t, t, t, t)
	cs, err := collect(rows, err, func(row scanner) (store.ClientUsage, error) {
		var c store.ClientUsage
		err := row.Scan(&c.ID, &c.Registered, &c.Metadata, timestamp{&c.CreatedAt}, timestamp{&c.LastUsedAt},
			timestamp{&c.ExpiresAt}, timestamp{&c.LastTokenAt}, &c.Approvals, &c.Tokens, &c.Principals)
		return c, err
	})
	if err != nil {
		return nil, fmt.Errorf("list client usage: %w", err)
	}
	slices.SortFunc(cs, func(a, b store.ClientUsage) int { return strings.Compare(a.ID, b.ID) })
	return cs, nil
}

// RevokeClientTokens reads the principals and revokes in one transaction,
// so a token issued meanwhile is either in both or in neither.
func (s *Store) RevokeClientTokens(ctx context.Context, clientID string) (int, []string, error) {
	defer s.tokens.drop()
	var n int64
	var principals []string
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, s.flavor.rebind(`SELECT DISTINCT principal FROM tokens WHERE client_id = ?`), clientID)
		principals, err = collect(rows, err, func(row scanner) (string, error) {
			var p string
			return p, row.Scan(&p)
		})
		if err != nil {
			return err
		}
		n, err = affected(tx.ExecContext(ctx, s.flavor.rebind(`UPDATE tokens SET revoked = true WHERE client_id = ? AND NOT revoked`), clientID))
		return err
	})
	if err != nil {
		return 0, nil, fmt.Errorf("revoke tokens of client %q: %w", clientID, err)
	}
	slices.Sort(principals)
	return int(n), principals, nil
}

func (s *Store) ListTokenHolders(ctx context.Context, principal string, now time.Time) ([]store.TokenHolder, error) {
	rows, err := s.r.query(ctx, `
		SELECT principal, client_id, resource, COUNT(*), MAX(created_at) FROM tokens
		WHERE principal = ? AND NOT revoked AND used_at IS NULL AND expires_at > ?
		GROUP BY principal, client_id, resource`,
		principal, s.time(now))
	hs, err := collect(rows, err, func(row scanner) (store.TokenHolder, error) {
		var h store.TokenHolder
		err := row.Scan(&h.Principal, &h.ClientID, &h.Resource, &h.Tokens, timestamp{&h.LastIssuedAt})
		return h, err
	})
	if err != nil {
		return nil, fmt.Errorf("list token holders of %q: %w", principal, err)
	}
	slices.SortFunc(hs, func(a, b store.TokenHolder) int {
		return cmp.Or(strings.Compare(a.ClientID, b.ClientID), strings.Compare(a.Resource, b.Resource))
	})
	return hs, nil
}

func (s *Store) DeleteClientApprovals(ctx context.Context, clientID string) (int64, error) {
	n, err := affected(s.w.exec(ctx, `DELETE FROM approvals WHERE client_id = ?`, clientID))
	if err != nil {
		return 0, fmt.Errorf("delete approvals of client %q: %w", clientID, err)
	}
	return n, nil
}
