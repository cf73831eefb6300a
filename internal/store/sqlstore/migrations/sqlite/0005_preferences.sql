-- A principal's own settings (issue #13): the organization and project a
-- Slack user pinned on the bot's Home tab, used when a question names none.
-- Plain, short, not secret.
CREATE TABLE preferences (
	principal  TEXT NOT NULL,
	name       TEXT NOT NULL,
	value      TEXT NOT NULL,
	updated_at INTEGER NOT NULL,
	PRIMARY KEY (principal, name)
) STRICT;
