-- Staged rows store their values as a JSON array of slots instead of an object keyed by column id
-- (worker/domain/imports/staging.ts, stagedData): a slot is the value, null when the row does not give
-- the column, or "" when a blank cell clears it. Rows staged before this (a held run waiting for
-- approval, a run in flight) are rewritten in place, in each kind's slot order.
UPDATE import_rows SET data = json_array(
    CASE WHEN json_type(data, '$.firstName') IS NULL THEN NULL WHEN json_type(data, '$.firstName') = 'null' THEN '' ELSE json(data -> '$.firstName') END,
    CASE WHEN json_type(data, '$.lastName') IS NULL THEN NULL WHEN json_type(data, '$.lastName') = 'null' THEN '' ELSE json(data -> '$.lastName') END,
    CASE WHEN json_type(data, '$.employeeNumber') IS NULL THEN NULL WHEN json_type(data, '$.employeeNumber') = 'null' THEN '' ELSE json(data -> '$.employeeNumber') END,
    CASE WHEN json_type(data, '$.department') IS NULL THEN NULL WHEN json_type(data, '$.department') = 'null' THEN '' ELSE json(data -> '$.department') END,
    CASE WHEN json_type(data, '$.costCentre') IS NULL THEN NULL WHEN json_type(data, '$.costCentre') = 'null' THEN '' ELSE json(data -> '$.costCentre') END,
    CASE WHEN json_type(data, '$.approverEmail') IS NULL THEN NULL WHEN json_type(data, '$.approverEmail') = 'null' THEN '' ELSE json(data -> '$.approverEmail') END,
    CASE WHEN json_type(data, '$.role') IS NULL THEN NULL WHEN json_type(data, '$.role') = 'null' THEN '' ELSE json(data -> '$.role') END,
    CASE WHEN json_type(data, '$.active') IS NULL THEN NULL WHEN json_type(data, '$.active') = 'null' THEN '' ELSE json(data -> '$.active') END,
    CASE WHEN json_type(data, '$.leaveDate') IS NULL THEN NULL WHEN json_type(data, '$.leaveDate') = 'null' THEN '' ELSE json(data -> '$.leaveDate') END
  )
WHERE json_type(data) = 'object' AND run_id IN (
  SELECT r.id FROM import_runs r JOIN deliveries d ON d.id = r.delivery_id WHERE d.kind = 'user_sync'
);--> statement-breakpoint
UPDATE import_rows SET data = json_array(
    CASE WHEN json_type(data, '$.name') IS NULL THEN NULL WHEN json_type(data, '$.name') = 'null' THEN '' ELSE json(data -> '$.name') END,
    CASE WHEN json_type(data, '$.client') IS NULL THEN NULL WHEN json_type(data, '$.client') = 'null' THEN '' ELSE json(data -> '$.client') END,
    CASE WHEN json_type(data, '$.active') IS NULL THEN NULL WHEN json_type(data, '$.active') = 'null' THEN '' ELSE json(data -> '$.active') END,
    CASE WHEN json_type(data, '$.startDate') IS NULL THEN NULL WHEN json_type(data, '$.startDate') = 'null' THEN '' ELSE json(data -> '$.startDate') END,
    CASE WHEN json_type(data, '$.endDate') IS NULL THEN NULL WHEN json_type(data, '$.endDate') = 'null' THEN '' ELSE json(data -> '$.endDate') END,
    CASE WHEN json_type(data, '$.billable') IS NULL THEN NULL WHEN json_type(data, '$.billable') = 'null' THEN '' ELSE json(data -> '$.billable') END,
    CASE WHEN json_type(data, '$.approverEmail') IS NULL THEN NULL WHEN json_type(data, '$.approverEmail') = 'null' THEN '' ELSE json(data -> '$.approverEmail') END
  )
WHERE json_type(data) = 'object' AND run_id IN (
  SELECT r.id FROM import_runs r JOIN deliveries d ON d.id = r.delivery_id WHERE d.kind = 'project_sync'
);
