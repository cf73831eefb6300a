-- Reserved for the Slack inbox migration (slack-durable); a no-op here so
-- that 0005 follows without a gap. Replace this file with that migration
-- when the branches meet.
SELECT 1;
