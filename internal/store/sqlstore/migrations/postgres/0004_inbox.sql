-- The inbox (issue #9): work received from outside (a Slack event, a
-- question to resume after consent, a notice to send) is recorded before it
-- is acknowledged, claimed with a short heart-beaten lease, and marked
-- answered only once its answer went out. The id is the dedupe key.
--
-- state: received (claimable from available_at), claimed (lease_owner
-- holds it until lease_until; claimable again once that has passed),
-- answered or failed (done). progress is what the handler saved between
-- steps (its answer, the ids of messages it posted), opaque here.
CREATE TABLE inbox (
	id           text COLLATE "C" PRIMARY KEY,
	kind         text NOT NULL,
	payload      bytea,
	state        text NOT NULL,
	progress     bytea,
	attempts     integer NOT NULL DEFAULT 0,
	lease_owner  text,
	lease_until  timestamptz,
	available_at timestamptz NOT NULL,
	created_at   timestamptz NOT NULL,
	updated_at   timestamptz NOT NULL,
	finished_at  timestamptz,
	expires_at   timestamptz NOT NULL
);
CREATE INDEX inbox_open ON inbox (available_at) WHERE state IN ('received', 'claimed');
CREATE INDEX inbox_expires ON inbox (expires_at);
