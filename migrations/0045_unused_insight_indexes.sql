-- Four indexes that only the insights panels read, and that since 0042 they no longer read
-- (issues 16, 14, 10): the deal and call panels now sum monthly rollups kept by triggers, so
-- nothing a member does ranges over deals by pipeline and close day or over calls by day.
-- * `deals_won_scope_idx`, `deals_open_scope_idx`, `deals_lost_scope_idx` (0031): the forecast,
--   won/lost, sources and leaderboard panels' ranges over a pipeline's deals.
-- * `lead_interactions_calls_idx` (0031): the leaderboard's calls per rep and day.
-- None backs a foreign key or a constraint. Each cost an index entry per deal written (and per
-- call logged) on the sales floor's write path, and a build in every large seed. Measured on a
-- 1M-lead organization after `closer bench` (board, find, inbox, insights, paging):
-- `pg_stat_user_indexes.idx_scan` was 0 for all four. The plain reference queries of
-- `data/insights/plain.rs` still run (tests, as the admin) as sequential scans.
SET LOCAL ROLE closer_owner;

DROP INDEX deals_won_scope_idx, deals_open_scope_idx, deals_lost_scope_idx;
DROP INDEX lead_interactions_calls_idx;

RESET ROLE;
