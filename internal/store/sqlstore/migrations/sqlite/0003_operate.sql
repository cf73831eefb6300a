-- Running lookout for real (issue #11): admin queries, the background
-- refresher and the connections page.

-- What the vault copies out of a sealed grant, so that grants can be found
-- without decrypting every one: the Sentry user it belongs to, when its
-- access token expires (NULL: never), whether Sentry refused it. None of
-- it is secret. Rows written before this migration are not "described"
-- until the vault rewrites them (the refresher does so when it starts).
ALTER TABLE grants ADD COLUMN sentry_user_id TEXT NOT NULL DEFAULT '';
ALTER TABLE grants ADD COLUMN expires_at INTEGER;
ALTER TABLE grants ADD COLUMN stale INTEGER NOT NULL DEFAULT 0;
ALTER TABLE grants ADD COLUMN described INTEGER NOT NULL DEFAULT 0;
-- When the grant was last used, recorded at most about once a minute.
ALTER TABLE grants ADD COLUMN last_used_at INTEGER;
CREATE INDEX grants_sentry_user ON grants (sentry_user_id);
CREATE INDEX grants_expires ON grants (expires_at) WHERE described AND NOT stale;

-- Named leases, e.g. which replica runs the background refresher.
CREATE TABLE leases (
	name       TEXT PRIMARY KEY,
	owner      TEXT NOT NULL,
	expires_at INTEGER NOT NULL
) STRICT;

-- lookout admin clients: tokens and approvals by client.
CREATE INDEX tokens_client ON tokens (client_id);
CREATE INDEX approvals_client ON approvals (client_id);
