-- Filters that count (issue 12: `rotting`, `overdue`, `no-next-step`, dates, sources, text) read
-- less at 1M leads. Two indexes; both keep SECURITY.md's rule that a value a filter compares is
-- never a key a member can probe.
SET LOCAL ROLE closer_owner;

-- Their exact totals join the kept leads to the organization's open deals. 0025's index held the
-- amount and probability but not the currency, so every open deal's heap row was read (a bitmap
-- heap scan of 341k rows at 1M), twice: once for the organization's currency, once for the
-- others. With the currency INCLUDEd the deals are read once, index-only
-- (`data/board_filter.rs`). Same name, key and predicate.
DROP INDEX deals_open_lead_idx;
CREATE INDEX deals_open_lead_idx ON deals (organization_id, lead_id)
    INCLUDE (amount, probability, currency) WHERE status = 'open';

-- Whether any won or lost lead of an organization still has an open task: an `overdue` page of
-- a closed column is empty by a one-time filter when none has (`data/filter_sql.rs`), instead of
-- a walk down every lead of the column probing its tasks (0.7 s per closed column at 1M). Closing
-- a lead offers to complete or cancel its tasks, so this index stays near empty.
CREATE INDEX lead_tasks_open_on_closed_idx ON lead_tasks (organization_id)
    WHERE lead_closed AND status IN ('pending', 'overdue');

RESET ROLE;
