#!/usr/bin/env python3
"""What an import's rows cost to write, without Closer: SQL that copies one organization's
leads with their profiles, activities and tags (and, with triggers off, their stage history)
under new ids by plain INSERT ... SELECT, timed per statement, in a transaction that rolls back.

    python3 tests/support/import_write_floor.py ORG [replica] > floor.sql
    psql ... -U <superuser> -d closer -f floor.sql

`replica` sets session_replication_role (no triggers, no foreign-key checks), so the history
rows the leads trigger writes are copied too. README: "A fast VM: the floor met, and what is
left". Run it as the cluster's superuser; it writes nothing that stays.
"""
import sys

COLUMNS = {
    "leads": "id,organization_id,project_id,property_id,name,email,phone,mobile,stage_id,assigned_to,"
    "source,lead_source,external_lead_id,score,engagement_score,interest_level,purchase_readiness,"
    "total_calls,last_sentiment_score,last_contacted_at,lost_reason,metadata,raw_data,created_by,"
    "created_at,updated_at,version",
    "lead_profiles": "id,organization_id,lead_id,company,job_title,location,industry,lead_score,"
    "engagement_level,budget_range,timeline,min_budget,max_budget,property_type_interest,preferences,"
    "custom_fields,created_at,updated_at,version",
    "lead_activities": "id,organization_id,lead_id,type,content,created_by,created_at",
    "lead_tags": "id,organization_id,lead_id,tag,color,created_at",
    "stage_history": "id,organization_id,lead_id,from_stage_id,to_stage_id,entered_at,left_at,"
    "next_stage_id,changed_by",
}


def main() -> None:
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    org = sys.argv[1].replace("'", "''")
    replica = sys.argv[2:] == ["replica"]
    org_id = f"(select id from organizations where name = '{org}')"
    out = ["\\timing on", "begin;"]
    if replica:
        out.append("set local session_replication_role = replica;")
    out.append(
        "create temp table new_ids on commit drop as "
        f"select id as old, gen_random_uuid() as new from leads where organization_id = {org_id};"
    )
    for table, columns in COLUMNS.items():
        if table == "stage_history" and not replica:
            continue  # written by the leads' trigger
        names = columns.split(",")
        values = []
        for name in names:
            if name == "id":
                values.append("m.new" if table == "leads" else "gen_random_uuid()")
            elif name == "lead_id":
                values.append("m.new")
            elif name == "external_lead_id":
                values.append("null")  # unique per organization
            else:
                values.append("s." + name)
        key = "id" if table == "leads" else "lead_id"
        out.append(
            f"insert into {table} ({','.join(names)}) select {','.join(values)} "
            f"from {table} s join new_ids m on m.old = s.{key} where s.organization_id = {org_id};"
        )
    out.append("rollback;")
    print("\n".join(out))


if __name__ == "__main__":
    main()
