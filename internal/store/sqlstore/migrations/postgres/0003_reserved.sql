-- Reserved: migration 0003 was set aside for the vault-durable work, which
-- needed no schema change. Kept (as a no-op) so versions run without a gap.
SELECT 1;
