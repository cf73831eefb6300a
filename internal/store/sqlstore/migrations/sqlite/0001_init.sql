-- Times are INTEGER unix microseconds in UTC: the precision PostgreSQL
-- keeps, so both backends agree on every comparison. NULL means "never"
-- or "not yet".

CREATE TABLE grants (
	principal   TEXT PRIMARY KEY,
	key_id      TEXT NOT NULL,
	ciphertext  BLOB NOT NULL,
	version     INTEGER NOT NULL,
	created_at  INTEGER NOT NULL,
	updated_at  INTEGER NOT NULL,
	lease_owner TEXT,
	lease_until INTEGER
) STRICT;

CREATE TABLE states (
	id         TEXT PRIMARY KEY,
	kind       TEXT NOT NULL,
	principal  TEXT NOT NULL,
	data       BLOB,
	created_at INTEGER NOT NULL,
	expires_at INTEGER NOT NULL,
	used_at    INTEGER
) STRICT;
CREATE INDEX states_pending ON states (kind, principal, created_at);
CREATE INDEX states_expires ON states (expires_at);

CREATE TABLE parked_requests (
	id          TEXT PRIMARY KEY,
	principal   TEXT NOT NULL,
	data        BLOB,
	ready       INTEGER NOT NULL DEFAULT 0,
	created_at  INTEGER NOT NULL,
	expires_at  INTEGER NOT NULL,
	lease_owner TEXT,
	lease_until INTEGER
) STRICT;
CREATE INDEX parked_requests_principal ON parked_requests (principal, created_at);
CREATE INDEX parked_requests_ready ON parked_requests (ready, created_at);
CREATE INDEX parked_requests_expires ON parked_requests (expires_at);

CREATE TABLE clients (
	id           TEXT PRIMARY KEY,
	secret_hash  BLOB,
	metadata     BLOB,
	created_at   INTEGER NOT NULL,
	last_used_at INTEGER,
	expires_at   INTEGER
) STRICT;
CREATE INDEX clients_expires ON clients (expires_at);

CREATE TABLE auth_codes (
	hash           TEXT PRIMARY KEY,
	client_id      TEXT NOT NULL,
	principal      TEXT NOT NULL,
	redirect_uri   TEXT NOT NULL,
	code_challenge TEXT NOT NULL,
	resource       TEXT NOT NULL,
	scope          TEXT NOT NULL,
	family_id      TEXT NOT NULL,
	created_at     INTEGER NOT NULL,
	expires_at     INTEGER NOT NULL,
	used_at        INTEGER
) STRICT;
CREATE INDEX auth_codes_expires ON auth_codes (expires_at);

CREATE TABLE tokens (
	hash       TEXT PRIMARY KEY,
	kind       TEXT NOT NULL,
	client_id  TEXT NOT NULL,
	principal  TEXT NOT NULL,
	family_id  TEXT NOT NULL,
	resource   TEXT NOT NULL,
	scope      TEXT NOT NULL,
	created_at INTEGER NOT NULL,
	expires_at INTEGER NOT NULL,
	revoked    INTEGER NOT NULL DEFAULT 0,
	used_at    INTEGER
) STRICT;
CREATE INDEX tokens_family ON tokens (family_id);
CREATE INDEX tokens_principal ON tokens (principal);
CREATE INDEX tokens_expires ON tokens (expires_at);

CREATE TABLE approvals (
	id         TEXT PRIMARY KEY,
	client_id  TEXT NOT NULL,
	scope      TEXT NOT NULL,
	created_at INTEGER NOT NULL,
	expires_at INTEGER NOT NULL
) STRICT;
CREATE INDEX approvals_expires ON approvals (expires_at);

-- AUTOINCREMENT: ids are never reused, so "newest first" is "highest id".
CREATE TABLE audit (
	id        INTEGER PRIMARY KEY AUTOINCREMENT,
	time      INTEGER NOT NULL,
	principal TEXT NOT NULL,
	action    TEXT NOT NULL,
	detail    TEXT NOT NULL
) STRICT;
CREATE INDEX audit_principal ON audit (principal, id);

CREATE TABLE events (
	id         TEXT PRIMARY KEY,
	expires_at INTEGER NOT NULL
) STRICT;
CREATE INDEX events_expires ON events (expires_at);
