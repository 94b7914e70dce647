-- The helpers every statement calls as PL/pgSQL (issue 16). RLS policies evaluate
-- closer.user_org_ids() (and friends) once per statement; as SECURITY DEFINER SQL functions they
-- cannot be inlined, so PostgreSQL planned their join again on every statement of every rep.
-- Under `closer bench load` at 1M leads, after 0028, the planner still took 18 % of the server's
-- CPU and SQL-function calls 33 %. PL/pgSQL keeps each body's plan for the session. Same
-- signatures, volatility, owners, grants and SET options; same results.
SET LOCAL ROLE closer_owner;

CREATE OR REPLACE FUNCTION closer.current_profile_id() RETURNS uuid
    LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = ''
AS $$
BEGIN
    RETURN (SELECT p.id FROM public.profiles p WHERE p.db_role = session_user);
END $$;

CREATE OR REPLACE FUNCTION closer.user_org_ids() RETURNS uuid[]
    LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = ''
AS $$
BEGIN
    RETURN (SELECT coalesce(array_agg(m.organization_id), '{}')
            FROM public.organization_members m
            JOIN public.profiles p ON p.id = m.profile_id
            WHERE p.db_role = session_user);
END $$;

CREATE OR REPLACE FUNCTION closer.user_manager_org_ids() RETURNS uuid[]
    LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = ''
AS $$
BEGIN
    RETURN (SELECT coalesce(array_agg(m.organization_id), '{}')
            FROM public.organization_members m
            JOIN public.profiles p ON p.id = m.profile_id
            WHERE p.db_role = session_user AND m.role IN ('admin', 'manager'));
END $$;

CREATE OR REPLACE FUNCTION closer.user_admin_org_ids() RETURNS uuid[]
    LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = ''
AS $$
BEGIN
    RETURN (SELECT coalesce(array_agg(m.organization_id), '{}')
            FROM public.organization_members m
            JOIN public.profiles p ON p.id = m.profile_id
            WHERE p.db_role = session_user AND m.role = 'admin');
END $$;

CREATE OR REPLACE FUNCTION closer.my_notify_channel(org uuid) RETURNS text
    LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = ''
AS $$
BEGIN
    RETURN (SELECT s.notify_channel FROM closer_private.org_secrets s
            WHERE s.organization_id = org AND org = ANY (closer.user_org_ids()));
END $$;

CREATE OR REPLACE FUNCTION closer.org_channel(org uuid) RETURNS text
    LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = ''
AS $$
BEGIN
    RETURN (SELECT s.notify_channel FROM closer_private.org_secrets s WHERE s.organization_id = org);
END $$;

CREATE OR REPLACE FUNCTION closer.lead_stage(org uuid, lead uuid) RETURNS uuid
    LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = ''
AS $$
BEGIN
    RETURN (SELECT l.stage_id FROM public.leads l WHERE l.organization_id = org AND l.id = lead);
END $$;

CREATE OR REPLACE FUNCTION closer.lead_open_deals(org uuid, lead uuid, OUT amount numeric, OUT weighted numeric)
    LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = ''
AS $$
BEGIN
    SELECT coalesce(sum(d.amount), 0), coalesce(sum(d.amount * d.probability / 100.0), 0)
    INTO amount, weighted
    FROM public.deals d
    WHERE d.organization_id = org AND d.lead_id = lead AND d.status = 'open';
END $$;

CREATE OR REPLACE FUNCTION closer.org_today(org uuid) RETURNS date
    LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = ''
AS $$
BEGIN
    RETURN (now() AT TIME ZONE coalesce((SELECT o.time_zone FROM public.organizations o WHERE o.id = org), 'UTC'))::date;
END $$;

RESET ROLE;
