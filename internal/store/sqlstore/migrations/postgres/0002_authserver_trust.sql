-- Authorization server hardening (issue #8).

-- An approval covers one resource and one redirect URI as well as a client
-- and scope. Approvals made before this migration name neither, so they
-- match no request: their users are asked once more.
ALTER TABLE approvals ADD COLUMN resource text NOT NULL DEFAULT '';
ALTER TABLE approvals ADD COLUMN redirect_uri text NOT NULL DEFAULT '';

-- The seed the successor pair of a spent refresh token is derived from, so
-- that the token presented again within its grace period gets that pair.
ALTER TABLE tokens ADD COLUMN successor_seed text;

-- The audit retention deletes by time.
CREATE INDEX audit_time ON audit (time);
