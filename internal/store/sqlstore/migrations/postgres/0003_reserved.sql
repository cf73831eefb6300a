-- Intentionally empty. Number 0003 was reserved for the vault-durable
-- branch (issue #9), which needed no schema change; the migration runner
-- wants versions without gaps, so the number is taken by this no-op.
SELECT 1;
