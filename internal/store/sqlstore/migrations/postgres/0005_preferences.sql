-- A principal's own settings (issue #13): the organization and project a
-- Slack user pinned on the bot's Home tab, used when a question names none.
-- Plain, short, not secret.
CREATE TABLE preferences (
	principal  text NOT NULL,
	name       text NOT NULL,
	value      text NOT NULL,
	updated_at timestamptz NOT NULL,
	PRIMARY KEY (principal, name)
);
