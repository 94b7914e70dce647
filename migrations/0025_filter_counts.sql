-- Filter changes at scale (issue 12): the exact column totals of a filter read only narrow
-- indexes, never the wide lead, deal or task rows (see README "Filter changes at scale").
--
-- No new cross-organization probe (SECURITY.md): key columns are the only ones a member's
-- query can use as index conditions, and here they are the organization, the stage, the owner
-- and the lead (uuids a member cannot list for another organization, the same leading columns
-- as the board's indexes). The values the filter compares are INCLUDEd: never index conditions.
SET LOCAL ROLE closer_owner;

-- The kept leads of a stage, index-only: owner as a key (`mine`, `owner:`), and every column a
-- countable term reads (score, created, contacted, rotting, source) plus the id the deal sums
-- and the task and tag semi joins join on.
CREATE INDEX leads_filter_idx ON leads (organization_id, stage_id, assigned_to)
    INCLUDE (id, score, created_at, last_contacted_at, source);

-- Open deals by lead with what the totals sum: joined index-only (deals_open_scope_idx has no
-- lead, deals_lead_idx no amounts, so the sums read a heap row per open deal).
CREATE INDEX deals_open_lead_idx ON deals (organization_id, lead_id)
    INCLUDE (amount, probability) WHERE status = 'open';

-- Open tasks by lead with their due day and time: `overdue` and `no-next-step` as semi/anti
-- joins, hashed index-only for totals, one probe per lead for a page. The status set is the
-- predicate (enum comparisons are not leakproof: under RLS they are never index conditions).
CREATE INDEX lead_tasks_open_lead_idx ON lead_tasks (organization_id, lead_id)
    INCLUDE (due_date, due_time) WHERE status IN ('pending', 'overdue');

RESET ROLE;
