-- Closer CRM schema.
-- Objects are created as `closer_owner` (a NOLOGIN role) so no login ever owns a table.
-- The roles, the pg_trgm extension and CREATE on schema public are prepared by
-- `closer admin migrate` before this runs (they need rights an owner role should not have).
SET LOCAL ROLE closer_owner;

CREATE SCHEMA closer;
REVOKE ALL ON SCHEMA closer FROM PUBLIC;
GRANT USAGE ON SCHEMA closer TO closer_member;
ALTER DEFAULT PRIVILEGES FOR ROLE closer_owner REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC;

-- Enumerations the database enforces.
CREATE TYPE member_role AS ENUM ('admin', 'manager', 'rep');
CREATE TYPE interaction_type AS ENUM ('email', 'call', 'meeting', 'note', 'sms', 'whatsapp');
CREATE TYPE interaction_direction AS ENUM ('inbound', 'outbound');
CREATE TYPE task_priority AS ENUM ('low', 'medium', 'high');
CREATE TYPE task_status AS ENUM ('pending', 'completed', 'overdue');
CREATE TYPE document_type AS ENUM ('proposal', 'contract', 'brochure', 'presentation', 'other');
CREATE TYPE deal_status AS ENUM ('open', 'won', 'lost');

-- ---------------------------------------------------------------------------
-- People and organizations
-- ---------------------------------------------------------------------------
CREATE TABLE organizations (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name text NOT NULL UNIQUE CHECK (length(btrim(name)) BETWEEN 1 AND 200),
    time_zone text NOT NULL DEFAULT 'UTC',
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- A person. `db_role` is the PostgreSQL login that is this person.
CREATE TABLE profiles (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    db_role name NOT NULL UNIQUE,
    full_name text NOT NULL CHECK (length(btrim(full_name)) BETWEEN 1 AND 200),
    email text NOT NULL CHECK (email ~ '^[^@\s]+@[^@\s]+$'),
    phone text,
    time_zone text NOT NULL DEFAULT 'UTC',
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    version integer NOT NULL DEFAULT 1
);

CREATE TABLE organization_members (
    organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    profile_id uuid NOT NULL REFERENCES profiles (id) ON DELETE CASCADE,
    role member_role NOT NULL DEFAULT 'rep',
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (organization_id, profile_id)
);
CREATE INDEX organization_members_profile_idx ON organization_members (profile_id, organization_id);

-- ---------------------------------------------------------------------------
-- Identity helpers. SECURITY DEFINER so policies can read memberships without
-- recursing into their own RLS; identity is the login (session_user), which a
-- session cannot change without superuser rights.
-- ---------------------------------------------------------------------------
CREATE FUNCTION closer.current_profile_id() RETURNS uuid
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = ''
AS $$ SELECT p.id FROM public.profiles p WHERE p.db_role = session_user $$;

CREATE FUNCTION closer.user_org_ids() RETURNS uuid[]
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = ''
AS $$
    SELECT coalesce(array_agg(m.organization_id), '{}')
    FROM public.organization_members m
    JOIN public.profiles p ON p.id = m.profile_id
    WHERE p.db_role = session_user
$$;

CREATE FUNCTION closer.user_manager_org_ids() RETURNS uuid[]
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = ''
AS $$
    SELECT coalesce(array_agg(m.organization_id), '{}')
    FROM public.organization_members m
    JOIN public.profiles p ON p.id = m.profile_id
    WHERE p.db_role = session_user AND m.role IN ('admin', 'manager')
$$;

REVOKE EXECUTE ON FUNCTION closer.current_profile_id(), closer.user_org_ids(), closer.user_manager_org_ids() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION closer.current_profile_id(), closer.user_org_ids(), closer.user_manager_org_ids() TO closer_member;

-- Shared trigger functions.
CREATE FUNCTION closer.touch_row() RETURNS trigger
    LANGUAGE plpgsql SET search_path = ''
AS $$
BEGIN
    NEW.updated_at := now();
    RETURN NEW;
END $$;

CREATE FUNCTION closer.touch_versioned_row() RETURNS trigger
    LANGUAGE plpgsql SET search_path = ''
AS $$
BEGIN
    NEW.updated_at := now();
    NEW.version := OLD.version + 1;
    RETURN NEW;
END $$;

-- A row never changes organization: composite keys and policies rely on it.
CREATE FUNCTION closer.forbid_org_change() RETURNS trigger
    LANGUAGE plpgsql SET search_path = ''
AS $$
BEGIN
    IF NEW.organization_id IS DISTINCT FROM OLD.organization_id THEN
        RAISE EXCEPTION 'a row cannot move to another organization' USING ERRCODE = '42501';
    END IF;
    RETURN NEW;
END $$;
-- Authorship is the caller's, not a value the client sends: a member inserting a row is its
-- author, and nobody rewrites authorship later. (Admin tools run as superuser, with no profile.)
CREATE FUNCTION closer.stamp_author() RETURNS trigger
    LANGUAGE plpgsql SET search_path = ''
AS $$
DECLARE
    me uuid := closer.current_profile_id();
    author_column text := TG_ARGV[0];
BEGIN
    IF TG_OP = 'INSERT' AND me IS NOT NULL THEN
        NEW := jsonb_populate_record(NEW, jsonb_build_object(author_column, me));
    ELSIF TG_OP = 'UPDATE' THEN
        NEW := jsonb_populate_record(NEW, jsonb_build_object(author_column, to_jsonb(OLD) -> author_column));
    END IF;
    RETURN NEW;
END $$;
GRANT EXECUTE ON FUNCTION closer.touch_row(), closer.touch_versioned_row(), closer.forbid_org_change(),
    closer.stamp_author() TO closer_member;

-- ---------------------------------------------------------------------------
-- Projects and properties
-- ---------------------------------------------------------------------------
CREATE TABLE projects (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    name text NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 200),
    description text,
    location text,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    version integer NOT NULL DEFAULT 1,
    UNIQUE (organization_id, id),
    UNIQUE (organization_id, name)
);

CREATE TABLE properties (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    project_id uuid,
    name text NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 200),
    address text,
    property_type text,
    price numeric(14, 2) CHECK (price >= 0),
    bedrooms smallint CHECK (bedrooms >= 0),
    area_sqm numeric(10, 2) CHECK (area_sqm > 0),
    status text NOT NULL DEFAULT 'available' CHECK (status IN ('available', 'reserved', 'sold', 'rented')),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    version integer NOT NULL DEFAULT 1,
    UNIQUE (organization_id, id),
    FOREIGN KEY (organization_id, project_id) REFERENCES projects (organization_id, id) ON DELETE SET NULL (project_id)
);
CREATE INDEX properties_project_idx ON properties (organization_id, project_id);

-- ---------------------------------------------------------------------------
-- Pipelines
-- ---------------------------------------------------------------------------
CREATE TABLE pipelines (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    name text NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 200),
    is_default boolean NOT NULL DEFAULT false,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    version integer NOT NULL DEFAULT 1,
    UNIQUE (organization_id, id),
    UNIQUE (organization_id, name)
);
-- At most one default pipeline per organization.
CREATE UNIQUE INDEX pipelines_one_default_idx ON pipelines (organization_id) WHERE is_default;

CREATE TABLE pipeline_stages (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    pipeline_id uuid NOT NULL,
    name text NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 100),
    order_index integer NOT NULL CHECK (order_index >= 0),
    color text NOT NULL DEFAULT '#808080' CHECK (color ~ '^#[0-9a-fA-F]{6}$'),
    is_won boolean NOT NULL DEFAULT false,
    is_lost boolean NOT NULL DEFAULT false,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    version integer NOT NULL DEFAULT 1,
    CHECK (NOT (is_won AND is_lost)),
    UNIQUE (organization_id, id),
    UNIQUE (organization_id, pipeline_id, name),
    UNIQUE (organization_id, pipeline_id, order_index) DEFERRABLE INITIALLY DEFERRED,
    FOREIGN KEY (organization_id, pipeline_id) REFERENCES pipelines (organization_id, id) ON DELETE CASCADE
);

-- ---------------------------------------------------------------------------
-- Leads and what hangs off them
-- ---------------------------------------------------------------------------
CREATE TABLE leads (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    project_id uuid,
    property_id uuid,
    name text NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 200),
    email text CHECK (email IS NULL OR email ~ '^[^@\s]+@[^@\s]+\.[^@\s]+$'),
    phone text CHECK (phone IS NULL OR phone ~ '^\+?[0-9 ()./-]{5,30}$'),
    mobile text CHECK (mobile IS NULL OR mobile ~ '^\+?[0-9 ()./-]{5,30}$'),
    stage_id uuid NOT NULL,
    assigned_to uuid,
    source text,
    lead_source text,
    external_lead_id text,
    score integer NOT NULL DEFAULT 0 CHECK (score BETWEEN 0 AND 100),
    engagement_score integer NOT NULL DEFAULT 0 CHECK (engagement_score BETWEEN 0 AND 100),
    interest_level integer NOT NULL DEFAULT 0 CHECK (interest_level BETWEEN 0 AND 100),
    purchase_readiness integer NOT NULL DEFAULT 0 CHECK (purchase_readiness BETWEEN 0 AND 100),
    total_calls integer NOT NULL DEFAULT 0 CHECK (total_calls >= 0),
    last_sentiment_score numeric(4, 3) CHECK (last_sentiment_score BETWEEN -1 AND 1),
    last_contacted_at timestamptz,
    lost_reason text,
    metadata jsonb NOT NULL DEFAULT '{}',
    raw_data jsonb NOT NULL DEFAULT '{}',
    created_by uuid DEFAULT closer.current_profile_id() REFERENCES profiles (id) ON DELETE SET NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    version integer NOT NULL DEFAULT 1,
    UNIQUE (organization_id, id),
    UNIQUE (organization_id, external_lead_id),
    FOREIGN KEY (organization_id, stage_id) REFERENCES pipeline_stages (organization_id, id),
    FOREIGN KEY (organization_id, project_id) REFERENCES projects (organization_id, id) ON DELETE SET NULL (project_id),
    FOREIGN KEY (organization_id, property_id) REFERENCES properties (organization_id, id) ON DELETE SET NULL (property_id),
    -- The owner must be a member of the lead's organization.
    FOREIGN KEY (organization_id, assigned_to) REFERENCES organization_members (organization_id, profile_id) ON DELETE SET NULL (assigned_to)
);
-- Board columns: one index per sort order, keyset-paged.
CREATE INDEX leads_board_score_idx ON leads (organization_id, stage_id, score DESC, id DESC);
CREATE INDEX leads_board_contact_idx ON leads (organization_id, stage_id, (coalesce(last_contacted_at, '-infinity'::timestamptz)) DESC, id DESC);
CREATE INDEX leads_board_newest_idx ON leads (organization_id, stage_id, created_at DESC, id DESC);
CREATE INDEX leads_assignee_idx ON leads (organization_id, assigned_to);
-- Type-ahead: name prefixes first (btree), then substrings anywhere (trigram GIN).
CREATE INDEX leads_name_prefix_idx ON leads (organization_id, lower(name) text_pattern_ops);
CREATE INDEX leads_name_trgm_idx ON leads USING gin (name gin_trgm_ops);
CREATE INDEX leads_email_trgm_idx ON leads USING gin (email gin_trgm_ops);
CREATE INDEX leads_phone_trgm_idx ON leads USING gin (phone gin_trgm_ops);

CREATE TABLE lead_profiles (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    lead_id uuid NOT NULL,
    company text,
    job_title text,
    location text,
    industry text,
    lead_score integer CHECK (lead_score BETWEEN 0 AND 100),
    engagement_level text CHECK (engagement_level IN ('low', 'medium', 'high')),
    budget_range text,
    timeline text,
    min_budget numeric(14, 2) CHECK (min_budget >= 0),
    max_budget numeric(14, 2) CHECK (max_budget >= 0),
    property_type_interest text,
    preferences jsonb NOT NULL DEFAULT '{}',
    custom_fields jsonb NOT NULL DEFAULT '{}',
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    version integer NOT NULL DEFAULT 1,
    CHECK (min_budget IS NULL OR max_budget IS NULL OR min_budget <= max_budget),
    -- One profile per lead (lead ids are random UUIDs, unique across organizations).
    UNIQUE (organization_id, lead_id),
    FOREIGN KEY (organization_id, lead_id) REFERENCES leads (organization_id, id) ON DELETE CASCADE
);
CREATE INDEX lead_profiles_company_trgm_idx ON lead_profiles USING gin (company gin_trgm_ops);

CREATE TABLE lead_interactions (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    lead_id uuid NOT NULL,
    type interaction_type NOT NULL,
    direction interaction_direction,
    subject text CHECK (length(subject) <= 1000),
    content text CHECK (length(content) <= 2000000),
    duration integer CHECK (duration >= 0),
    outcome text,
    email_opened boolean NOT NULL DEFAULT false,
    email_clicked boolean NOT NULL DEFAULT false,
    occurred_at timestamptz NOT NULL DEFAULT now(),
    created_by uuid DEFAULT closer.current_profile_id() REFERENCES profiles (id) ON DELETE SET NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    version integer NOT NULL DEFAULT 1,
    CHECK (type <> 'note' OR direction IS NULL OR direction = 'outbound'),
    FOREIGN KEY (organization_id, lead_id) REFERENCES leads (organization_id, id) ON DELETE CASCADE
);
CREATE INDEX lead_interactions_timeline_idx ON lead_interactions (organization_id, lead_id, occurred_at DESC);

-- The activity feed is append-only for members: it is the audit of who did what.
CREATE TABLE lead_activities (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    lead_id uuid NOT NULL,
    type text NOT NULL CHECK (type ~ '^[a-z_]{1,40}$'),
    content jsonb NOT NULL DEFAULT '{}',
    created_by uuid DEFAULT closer.current_profile_id() REFERENCES profiles (id) ON DELETE SET NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (organization_id, lead_id) REFERENCES leads (organization_id, id) ON DELETE CASCADE
);
CREATE INDEX lead_activities_timeline_idx ON lead_activities (organization_id, lead_id, created_at DESC);

CREATE TABLE lead_tasks (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    lead_id uuid NOT NULL,
    title text NOT NULL CHECK (length(btrim(title)) BETWEEN 1 AND 500),
    description text,
    due_date date,
    due_time time,
    priority task_priority NOT NULL DEFAULT 'medium',
    status task_status NOT NULL DEFAULT 'pending',
    assigned_to uuid,
    created_by uuid DEFAULT closer.current_profile_id() REFERENCES profiles (id) ON DELETE SET NULL,
    completed_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    version integer NOT NULL DEFAULT 1,
    CHECK (due_time IS NULL OR due_date IS NOT NULL),
    CHECK ((status = 'completed') = (completed_at IS NOT NULL)),
    FOREIGN KEY (organization_id, lead_id) REFERENCES leads (organization_id, id) ON DELETE CASCADE,
    FOREIGN KEY (organization_id, assigned_to) REFERENCES organization_members (organization_id, profile_id) ON DELETE SET NULL (assigned_to)
);
CREATE INDEX lead_tasks_inbox_idx ON lead_tasks (organization_id, assigned_to, status, due_date, due_time);
CREATE INDEX lead_tasks_lead_idx ON lead_tasks (organization_id, lead_id, status, due_date);

CREATE TABLE lead_documents (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    lead_id uuid NOT NULL,
    file_name text NOT NULL CHECK (length(btrim(file_name)) BETWEEN 1 AND 500),
    file_url text NOT NULL CHECK (length(file_url) <= 4000),
    file_type text,
    file_size bigint CHECK (file_size >= 0),
    document_type document_type NOT NULL DEFAULT 'other',
    uploaded_by uuid DEFAULT closer.current_profile_id() REFERENCES profiles (id) ON DELETE SET NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    version integer NOT NULL DEFAULT 1,
    FOREIGN KEY (organization_id, lead_id) REFERENCES leads (organization_id, id) ON DELETE CASCADE
);
CREATE INDEX lead_documents_lead_idx ON lead_documents (organization_id, lead_id, created_at DESC);

CREATE TABLE lead_tags (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    lead_id uuid NOT NULL,
    tag text NOT NULL CHECK (length(btrim(tag)) BETWEEN 1 AND 50),
    color text NOT NULL DEFAULT '#808080' CHECK (color ~ '^#[0-9a-fA-F]{6}$'),
    created_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (organization_id, lead_id, tag),
    FOREIGN KEY (organization_id, lead_id) REFERENCES leads (organization_id, id) ON DELETE CASCADE
);
CREATE INDEX lead_tags_tag_idx ON lead_tags (organization_id, tag);

CREATE TABLE deals (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    lead_id uuid NOT NULL,
    property_id uuid,
    name text NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 200),
    amount numeric(14, 2) NOT NULL DEFAULT 0 CHECK (amount >= 0),
    stage text NOT NULL DEFAULT 'qualification'
        CHECK (stage IN ('qualification', 'proposal', 'negotiation', 'closing', 'closed')),
    probability integer NOT NULL DEFAULT 10 CHECK (probability BETWEEN 0 AND 100),
    status deal_status NOT NULL DEFAULT 'open',
    expected_close_date date,
    created_by uuid DEFAULT closer.current_profile_id() REFERENCES profiles (id) ON DELETE SET NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    version integer NOT NULL DEFAULT 1,
    FOREIGN KEY (organization_id, lead_id) REFERENCES leads (organization_id, id) ON DELETE CASCADE,
    FOREIGN KEY (organization_id, property_id) REFERENCES properties (organization_id, id) ON DELETE SET NULL (property_id)
);
CREATE INDEX deals_lead_idx ON deals (organization_id, lead_id, status);

-- ---------------------------------------------------------------------------
-- Column totals for the board, kept in the same transaction as every change,
-- so a header never counts rows (count(*) over 1M rows is ~0.4 s).
-- ---------------------------------------------------------------------------
CREATE TABLE stage_summaries (
    organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    stage_id uuid NOT NULL,
    lead_count bigint NOT NULL DEFAULT 0,
    open_deal_amount numeric(18, 2) NOT NULL DEFAULT 0,
    weighted_deal_amount numeric(18, 2) NOT NULL DEFAULT 0,
    PRIMARY KEY (organization_id, stage_id),
    FOREIGN KEY (organization_id, stage_id) REFERENCES pipeline_stages (organization_id, id) ON DELETE CASCADE
);

CREATE FUNCTION closer.bump_stage_summary(org uuid, stage uuid, leads bigint, amount numeric, weighted numeric)
    RETURNS void LANGUAGE sql SECURITY DEFINER SET search_path = ''
AS $$
    INSERT INTO public.stage_summaries AS s (organization_id, stage_id, lead_count, open_deal_amount, weighted_deal_amount)
    VALUES (org, stage, leads, amount, weighted)
    ON CONFLICT (organization_id, stage_id) DO UPDATE
        SET lead_count = s.lead_count + excluded.lead_count,
            open_deal_amount = s.open_deal_amount + excluded.open_deal_amount,
            weighted_deal_amount = s.weighted_deal_amount + excluded.weighted_deal_amount
$$;

-- Open-deal totals of one lead, read as the owner so the summary is exact.
CREATE FUNCTION closer.lead_open_deals(org uuid, lead uuid, OUT amount numeric, OUT weighted numeric)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = ''
AS $$
    SELECT coalesce(sum(d.amount), 0), coalesce(sum(d.amount * d.probability / 100.0), 0)
    FROM public.deals d
    WHERE d.organization_id = org AND d.lead_id = lead AND d.status = 'open'
$$;

CREATE FUNCTION closer.lead_stage(org uuid, lead uuid) RETURNS uuid
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = ''
AS $$ SELECT l.stage_id FROM public.leads l WHERE l.organization_id = org AND l.id = lead $$;

CREATE FUNCTION closer.leads_maintain_summary() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = ''
AS $$
DECLARE
    totals record;
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM closer.bump_stage_summary(NEW.organization_id, NEW.stage_id, 1, 0, 0);
    ELSIF TG_OP = 'DELETE' THEN
        -- Runs BEFORE the delete: the cascaded deals can no longer find the lead's stage, so the
        -- lead takes its open deals off the column here.
        SELECT * INTO totals FROM closer.lead_open_deals(OLD.organization_id, OLD.id);
        PERFORM closer.bump_stage_summary(OLD.organization_id, OLD.stage_id, -1, -totals.amount, -totals.weighted);
        RETURN OLD;
    ELSIF NEW.stage_id IS DISTINCT FROM OLD.stage_id THEN
        SELECT * INTO totals FROM closer.lead_open_deals(OLD.organization_id, OLD.id);
        PERFORM closer.bump_stage_summary(OLD.organization_id, OLD.stage_id, -1, -totals.amount, -totals.weighted);
        PERFORM closer.bump_stage_summary(NEW.organization_id, NEW.stage_id, 1, totals.amount, totals.weighted);
    END IF;
    RETURN NULL;
END $$;

CREATE FUNCTION closer.deals_maintain_summary() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = ''
AS $$
DECLARE
    stage uuid;
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.status = 'open' THEN
        stage := closer.lead_stage(OLD.organization_id, OLD.lead_id);
        IF stage IS NOT NULL THEN
            PERFORM closer.bump_stage_summary(OLD.organization_id, stage, 0, -OLD.amount, -(OLD.amount * OLD.probability / 100.0));
        END IF;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.status = 'open' THEN
        stage := closer.lead_stage(NEW.organization_id, NEW.lead_id);
        IF stage IS NOT NULL THEN
            PERFORM closer.bump_stage_summary(NEW.organization_id, stage, 0, NEW.amount, NEW.amount * NEW.probability / 100.0);
        END IF;
    END IF;
    RETURN NULL;
END $$;

GRANT EXECUTE ON FUNCTION closer.leads_maintain_summary(), closer.deals_maintain_summary() TO closer_member;

-- ---------------------------------------------------------------------------
-- Triggers
-- ---------------------------------------------------------------------------
CREATE TRIGGER update_leads_modtime BEFORE UPDATE ON leads
    FOR EACH ROW EXECUTE FUNCTION closer.touch_versioned_row();
CREATE TRIGGER leads_maintain_summary AFTER INSERT OR UPDATE OF stage_id ON leads
    FOR EACH ROW EXECUTE FUNCTION closer.leads_maintain_summary();
CREATE TRIGGER leads_maintain_summary_on_delete BEFORE DELETE ON leads
    FOR EACH ROW EXECUTE FUNCTION closer.leads_maintain_summary();
CREATE TRIGGER deals_maintain_summary AFTER INSERT OR DELETE OR UPDATE OF amount, probability, status, lead_id ON deals
    FOR EACH ROW EXECUTE FUNCTION closer.deals_maintain_summary();

CREATE TRIGGER leads_stamp_author BEFORE INSERT OR UPDATE ON leads
    FOR EACH ROW EXECUTE FUNCTION closer.stamp_author('created_by');
CREATE TRIGGER lead_interactions_stamp_author BEFORE INSERT OR UPDATE ON lead_interactions
    FOR EACH ROW EXECUTE FUNCTION closer.stamp_author('created_by');
CREATE TRIGGER lead_tasks_stamp_author BEFORE INSERT OR UPDATE ON lead_tasks
    FOR EACH ROW EXECUTE FUNCTION closer.stamp_author('created_by');
CREATE TRIGGER deals_stamp_author BEFORE INSERT OR UPDATE ON deals
    FOR EACH ROW EXECUTE FUNCTION closer.stamp_author('created_by');
CREATE TRIGGER lead_documents_stamp_author BEFORE INSERT OR UPDATE ON lead_documents
    FOR EACH ROW EXECUTE FUNCTION closer.stamp_author('uploaded_by');
CREATE TRIGGER update_organizations_modtime BEFORE UPDATE ON organizations
    FOR EACH ROW EXECUTE FUNCTION closer.touch_row();
CREATE TRIGGER update_organization_members_modtime BEFORE UPDATE ON organization_members
    FOR EACH ROW EXECUTE FUNCTION closer.touch_row();
CREATE TRIGGER update_profiles_modtime BEFORE UPDATE ON profiles
    FOR EACH ROW EXECUTE FUNCTION closer.touch_versioned_row();

DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['projects', 'properties', 'pipelines', 'pipeline_stages', 'lead_profiles',
                             'lead_interactions', 'lead_tasks', 'lead_documents', 'deals'] LOOP
        EXECUTE format('CREATE TRIGGER update_%s_modtime BEFORE UPDATE ON %I FOR EACH ROW EXECUTE FUNCTION closer.touch_versioned_row()', t, t);
    END LOOP;
    FOREACH t IN ARRAY ARRAY['organization_members', 'projects', 'properties', 'pipelines', 'pipeline_stages', 'leads',
                             'lead_profiles', 'lead_interactions', 'lead_activities', 'lead_tasks', 'lead_documents',
                             'lead_tags', 'deals', 'stage_summaries'] LOOP
        EXECUTE format('CREATE TRIGGER %s_keep_organization BEFORE UPDATE OF organization_id ON %I FOR EACH ROW EXECUTE FUNCTION closer.forbid_org_change()', t, t);
    END LOOP;
END $$;

-- ---------------------------------------------------------------------------
-- Row-level security. Enabled and forced everywhere; policies apply TO the
-- member group; the owner gets narrow read policies its SECURITY DEFINER
-- helpers need.
-- ---------------------------------------------------------------------------
ALTER TABLE organizations ENABLE ROW LEVEL SECURITY;
ALTER TABLE organizations FORCE ROW LEVEL SECURITY;
CREATE POLICY view_own_organizations ON organizations FOR SELECT TO closer_member
    USING (id = ANY ((SELECT closer.user_org_ids())::uuid[]));
CREATE POLICY admins_rename_organizations ON organizations FOR UPDATE TO closer_member
    USING (id = ANY ((SELECT closer.user_manager_org_ids())::uuid[]))
    WITH CHECK (id = ANY ((SELECT closer.user_manager_org_ids())::uuid[]));

ALTER TABLE profiles ENABLE ROW LEVEL SECURITY;
ALTER TABLE profiles FORCE ROW LEVEL SECURITY;
CREATE POLICY owner_reads_profiles ON profiles FOR SELECT TO closer_owner USING (true);
CREATE POLICY view_colleague_profiles ON profiles FOR SELECT TO closer_member
    USING (db_role = session_user OR id IN (
        SELECT m.profile_id FROM organization_members m
        WHERE m.organization_id = ANY ((SELECT closer.user_org_ids())::uuid[])));
CREATE POLICY update_own_profile ON profiles FOR UPDATE TO closer_member
    USING (db_role = session_user) WITH CHECK (db_role = session_user);

ALTER TABLE organization_members ENABLE ROW LEVEL SECURITY;
ALTER TABLE organization_members FORCE ROW LEVEL SECURITY;
CREATE POLICY owner_reads_members ON organization_members FOR SELECT TO closer_owner USING (true);
CREATE POLICY view_org_members ON organization_members FOR SELECT TO closer_member
    USING (organization_id = ANY ((SELECT closer.user_org_ids())::uuid[]));
CREATE POLICY managers_change_member_roles ON organization_members FOR UPDATE TO closer_member
    USING (organization_id = ANY ((SELECT closer.user_manager_org_ids())::uuid[]))
    WITH CHECK (organization_id = ANY ((SELECT closer.user_manager_org_ids())::uuid[]));
CREATE POLICY managers_remove_members ON organization_members FOR DELETE TO closer_member
    USING (organization_id = ANY ((SELECT closer.user_manager_org_ids())::uuid[]));

-- Tables any member may read and write within their organizations.
DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['projects', 'properties', 'lead_profiles', 'lead_interactions', 'lead_tasks',
                             'lead_documents', 'lead_tags', 'deals'] LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY view_org_%s ON %I FOR SELECT TO closer_member USING (organization_id = ANY ((SELECT closer.user_org_ids())::uuid[]))', t, t);
        EXECUTE format('CREATE POLICY manage_org_%s ON %I FOR ALL TO closer_member USING (organization_id = ANY ((SELECT closer.user_org_ids())::uuid[])) WITH CHECK (organization_id = ANY ((SELECT closer.user_org_ids())::uuid[]))', t, t);
    END LOOP;
END $$;
CREATE POLICY owner_reads_deals ON deals FOR SELECT TO closer_owner USING (true);
CREATE POLICY owner_reads_lead_profiles ON lead_profiles FOR SELECT TO closer_owner USING (true);

ALTER TABLE leads ENABLE ROW LEVEL SECURITY;
ALTER TABLE leads FORCE ROW LEVEL SECURITY;
CREATE POLICY view_org_leads ON leads FOR SELECT TO closer_member
    USING (organization_id = ANY ((SELECT closer.user_org_ids())::uuid[]));
CREATE POLICY manage_org_leads ON leads FOR ALL TO closer_member
    USING (organization_id = ANY ((SELECT closer.user_org_ids())::uuid[]))
    WITH CHECK (organization_id = ANY ((SELECT closer.user_org_ids())::uuid[]));
-- Restrictive: deleting a lead also needs admin or manager.
CREATE POLICY managers_delete_leads ON leads AS RESTRICTIVE FOR DELETE TO closer_member
    USING (organization_id = ANY ((SELECT closer.user_manager_org_ids())::uuid[]));
CREATE POLICY owner_reads_leads ON leads FOR SELECT TO closer_owner USING (true);

ALTER TABLE lead_activities ENABLE ROW LEVEL SECURITY;
ALTER TABLE lead_activities FORCE ROW LEVEL SECURITY;
CREATE POLICY view_org_lead_activities ON lead_activities FOR SELECT TO closer_member
    USING (organization_id = ANY ((SELECT closer.user_org_ids())::uuid[]));
-- The audit cannot be forged: written by the caller, at the time of writing.
CREATE POLICY record_org_lead_activities ON lead_activities FOR INSERT TO closer_member
    WITH CHECK (organization_id = ANY ((SELECT closer.user_org_ids())::uuid[])
                AND created_by = (SELECT closer.current_profile_id())
                AND created_at = now());

ALTER TABLE pipelines ENABLE ROW LEVEL SECURITY;
ALTER TABLE pipelines FORCE ROW LEVEL SECURITY;
CREATE POLICY view_org_pipelines ON pipelines FOR SELECT TO closer_member
    USING (organization_id = ANY ((SELECT closer.user_org_ids())::uuid[]));
CREATE POLICY managers_manage_pipelines ON pipelines FOR ALL TO closer_member
    USING (organization_id = ANY ((SELECT closer.user_manager_org_ids())::uuid[]))
    WITH CHECK (organization_id = ANY ((SELECT closer.user_manager_org_ids())::uuid[]));

ALTER TABLE pipeline_stages ENABLE ROW LEVEL SECURITY;
ALTER TABLE pipeline_stages FORCE ROW LEVEL SECURITY;
CREATE POLICY view_org_pipeline_stages ON pipeline_stages FOR SELECT TO closer_member
    USING (organization_id = ANY ((SELECT closer.user_org_ids())::uuid[]));
CREATE POLICY managers_manage_pipeline_stages ON pipeline_stages FOR ALL TO closer_member
    USING (organization_id = ANY ((SELECT closer.user_manager_org_ids())::uuid[]))
    WITH CHECK (organization_id = ANY ((SELECT closer.user_manager_org_ids())::uuid[]));

ALTER TABLE stage_summaries ENABLE ROW LEVEL SECURITY;
ALTER TABLE stage_summaries FORCE ROW LEVEL SECURITY;
CREATE POLICY view_org_stage_summaries ON stage_summaries FOR SELECT TO closer_member
    USING (organization_id = ANY ((SELECT closer.user_org_ids())::uuid[]));
CREATE POLICY owner_maintains_stage_summaries ON stage_summaries FOR ALL TO closer_owner
    USING (true) WITH CHECK (true);

-- ---------------------------------------------------------------------------
-- Type-ahead search. LIKE/ILIKE are not leakproof, so under RLS (even a `USING (true)` policy)
-- the planner may not use them as index conditions and every search scans the organization
-- (~0.5 s at 300k leads). So this one function is owned by `closer_search`, a NOLOGIN role with
-- BYPASSRLS that nobody is a member of, and enforces the tenant rule itself: it returns nothing
-- unless the caller is a member of `org`, and reads only that organization's rows.
-- ---------------------------------------------------------------------------
CREATE FUNCTION closer.search_leads(org uuid, query text, max_hits integer)
    RETURNS TABLE (id uuid, name text, company text, stage_id uuid)
    LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = ''
AS $$
DECLARE
    q text := replace(replace(replace(btrim(query), '\', '\\'), '%', '\%'), '_', '\_');
    lim integer := least(greatest(max_hits, 1), 100);
BEGIN
    IF q = '' OR NOT org = ANY (closer.user_org_ids()) THEN
        RETURN;
    END IF;
    -- Literal patterns (quoted with %L) so every call is planned with the real pattern.
    RETURN QUERY EXECUTE format($sql$
        WITH prefix AS (
            SELECT l.id, l.name, l.stage_id, 0 AS rank FROM public.leads l
            WHERE l.organization_id = %1$L AND lower(l.name) LIKE %2$L
            ORDER BY lower(l.name), l.id LIMIT %4$s
        ), anywhere AS (
            SELECT l.id, l.name, l.stage_id, 1 AS rank FROM public.leads l
            WHERE %5$L::boolean AND l.organization_id = %1$L AND (l.name ILIKE %3$L OR l.email ILIKE %3$L OR l.phone ILIKE %3$L)
            LIMIT %4$s
        ), by_company AS (
            SELECT l.id, l.name, l.stage_id, 2 AS rank FROM public.lead_profiles lp
            JOIN public.leads l ON l.organization_id = lp.organization_id AND l.id = lp.lead_id
            WHERE %5$L::boolean AND lp.organization_id = %1$L AND lp.company ILIKE %3$L
            LIMIT %4$s
        ), hits AS (
            SELECT DISTINCT ON (h.id) h.id, h.name, h.stage_id, h.rank
            FROM (SELECT * FROM prefix UNION ALL SELECT * FROM anywhere UNION ALL SELECT * FROM by_company) h
            ORDER BY h.id, h.rank
        )
        SELECT h.id, h.name, p.company, h.stage_id FROM hits h
        LEFT JOIN public.lead_profiles p ON p.organization_id = %1$L AND p.lead_id = h.id
        ORDER BY h.rank, lower(h.name), h.id
        LIMIT %4$s
    $sql$, org, lower(q) || '%', '%' || q || '%', lim, length(q) >= 3);
END $$;
REVOKE EXECUTE ON FUNCTION closer.search_leads(uuid, text, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION closer.search_leads(uuid, text, integer) TO closer_member;
GRANT EXECUTE ON FUNCTION closer.user_org_ids() TO closer_search;
GRANT USAGE ON SCHEMA closer TO closer_search;
GRANT SELECT ON leads, lead_profiles TO closer_search;

-- ---------------------------------------------------------------------------
-- Privileges: members get only what they need; never TRUNCATE, REFERENCES or TRIGGER.
-- ---------------------------------------------------------------------------
REVOKE ALL ON organizations, profiles, organization_members, projects, properties, pipelines, pipeline_stages, leads,
    lead_profiles, lead_interactions, lead_activities, lead_tasks, lead_documents, lead_tags, deals, stage_summaries FROM PUBLIC;
GRANT SELECT ON organizations, organization_members, stage_summaries TO closer_member;
-- Names are unique across organizations, so a rename could probe other tenants' names:
-- renames go through the admin connection only.
GRANT UPDATE (time_zone) ON organizations TO closer_member;
GRANT UPDATE (role) ON organization_members TO closer_member;
GRANT DELETE ON organization_members TO closer_member;
GRANT SELECT ON profiles TO closer_member;
GRANT UPDATE (full_name, email, phone, time_zone) ON profiles TO closer_member;
GRANT SELECT, INSERT ON lead_activities TO closer_member;
GRANT SELECT, INSERT, UPDATE, DELETE ON projects, properties, pipelines, pipeline_stages, leads, lead_profiles,
    lead_interactions, lead_tasks, lead_documents, lead_tags, deals TO closer_member;

RESET ROLE;
-- Only the admin connection can hand the function to the RLS-bypassing role (see above).
ALTER FUNCTION closer.search_leads(uuid, text, integer) OWNER TO closer_search;
