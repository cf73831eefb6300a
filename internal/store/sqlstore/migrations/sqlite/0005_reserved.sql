-- Intentionally empty. Number 0005 is reserved for another branch (the
-- performance work), which may need a schema change; the migration runner
-- wants versions without gaps, so until that branch lands the number is
-- taken by this no-op. Whoever merges replaces it with that branch's 0005,
-- or keeps it if that branch needed none.
SELECT 1;
