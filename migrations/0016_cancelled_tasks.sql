-- A task can be cancelled (issue 10: closing a lead offers to complete or cancel its open tasks).
-- Alone in its migration: a new enum value cannot be used in the transaction that adds it, so
-- everything that uses it is in 0017. "Open" is pending or overdue; completed and cancelled are not.
SET LOCAL ROLE closer_owner;

ALTER TYPE task_status ADD VALUE IF NOT EXISTS 'cancelled';

RESET ROLE;
