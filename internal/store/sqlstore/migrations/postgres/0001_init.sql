-- Keys that lists are ordered by use COLLATE "C" so the order is bytewise,
-- as in SQLite and Go, whatever the database's default collation.

CREATE TABLE grants (
	principal   text COLLATE "C" PRIMARY KEY,
	key_id      text NOT NULL,
	ciphertext  bytea NOT NULL,
	version     bigint NOT NULL,
	created_at  timestamptz NOT NULL,
	updated_at  timestamptz NOT NULL,
	lease_owner text,
	lease_until timestamptz
);

CREATE TABLE states (
	id         text PRIMARY KEY,
	kind       text NOT NULL,
	principal  text NOT NULL,
	data       bytea,
	created_at timestamptz NOT NULL,
	expires_at timestamptz NOT NULL,
	used_at    timestamptz
);
CREATE INDEX states_pending ON states (kind, principal, created_at);
CREATE INDEX states_expires ON states (expires_at);

CREATE TABLE parked_requests (
	id          text COLLATE "C" PRIMARY KEY,
	principal   text NOT NULL,
	data        bytea,
	ready       boolean NOT NULL DEFAULT false,
	created_at  timestamptz NOT NULL,
	expires_at  timestamptz NOT NULL,
	lease_owner text,
	lease_until timestamptz
);
CREATE INDEX parked_requests_principal ON parked_requests (principal, created_at);
CREATE INDEX parked_requests_ready ON parked_requests (created_at) WHERE ready;
CREATE INDEX parked_requests_expires ON parked_requests (expires_at);

CREATE TABLE clients (
	id           text PRIMARY KEY,
	secret_hash  bytea,
	metadata     bytea,
	created_at   timestamptz NOT NULL,
	last_used_at timestamptz,
	expires_at   timestamptz
);
CREATE INDEX clients_expires ON clients (expires_at);

CREATE TABLE auth_codes (
	hash           text PRIMARY KEY,
	client_id      text NOT NULL,
	principal      text NOT NULL,
	redirect_uri   text NOT NULL,
	code_challenge text NOT NULL,
	resource       text NOT NULL,
	scope          text NOT NULL,
	family_id      text NOT NULL,
	created_at     timestamptz NOT NULL,
	expires_at     timestamptz NOT NULL,
	used_at        timestamptz
);
CREATE INDEX auth_codes_expires ON auth_codes (expires_at);

CREATE TABLE tokens (
	hash       text PRIMARY KEY,
	kind       text NOT NULL,
	client_id  text NOT NULL,
	principal  text NOT NULL,
	family_id  text NOT NULL,
	resource   text NOT NULL,
	scope      text NOT NULL,
	created_at timestamptz NOT NULL,
	expires_at timestamptz NOT NULL,
	revoked    boolean NOT NULL DEFAULT false,
	used_at    timestamptz
);
CREATE INDEX tokens_family ON tokens (family_id);
CREATE INDEX tokens_principal ON tokens (principal);
CREATE INDEX tokens_expires ON tokens (expires_at);

CREATE TABLE approvals (
	id         text PRIMARY KEY,
	client_id  text NOT NULL,
	scope      text NOT NULL,
	created_at timestamptz NOT NULL,
	expires_at timestamptz NOT NULL
);
CREATE INDEX approvals_expires ON approvals (expires_at);

CREATE TABLE audit (
	id        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	time      timestamptz NOT NULL,
	principal text NOT NULL,
	action    text NOT NULL,
	detail    text NOT NULL
);
CREATE INDEX audit_principal ON audit (principal, id);

CREATE TABLE events (
	id         text PRIMARY KEY,
	expires_at timestamptz NOT NULL
);
CREATE INDEX events_expires ON events (expires_at);
