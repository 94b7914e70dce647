-- Input that never surprises (issue 11): phone numbers with an extension, and tags that are
-- one tag whatever their case.
SET LOCAL ROLE closer_owner;

-- A phone or mobile number may end in an extension: `+1 555 0100 x89`, `… ext. 89`.
ALTER TABLE leads DROP CONSTRAINT leads_phone_check;
ALTER TABLE leads DROP CONSTRAINT leads_mobile_check;
ALTER TABLE leads ADD CONSTRAINT leads_phone_check
    CHECK (phone IS NULL OR phone ~* '^\+?[0-9 ()./-]{5,30}( ?(x|ext\.?) ?[0-9]{1,6})?$');
ALTER TABLE leads ADD CONSTRAINT leads_mobile_check
    CHECK (mobile IS NULL OR mobile ~* '^\+?[0-9 ()./-]{5,30}( ?(x|ext\.?) ?[0-9]{1,6})?$');

-- Tags: `VIP` and `vip` are one tag. A lead that has both keeps the older row; then every
-- spelling of a tag in an organization becomes the one used first; the database keeps it so.
DELETE FROM lead_tags g
USING lead_tags keep
WHERE keep.organization_id = g.organization_id AND keep.lead_id = g.lead_id
  AND lower(keep.tag) = lower(g.tag)
  AND (keep.created_at, keep.id) < (g.created_at, g.id);
UPDATE lead_tags g SET tag = first.tag
FROM (
    SELECT DISTINCT ON (organization_id, lower(tag)) organization_id, lower(tag) AS key, tag
    FROM lead_tags
    ORDER BY organization_id, lower(tag), created_at, id
) first
WHERE g.organization_id = first.organization_id AND lower(g.tag) = first.key AND g.tag <> first.tag;
CREATE UNIQUE INDEX lead_tags_lower_tag_key ON lead_tags (organization_id, lead_id, lower(tag));
CREATE INDEX lead_tags_lower_idx ON lead_tags (organization_id, lower(tag));

-- Adding a tag uses the organization's spelling of it; adding it again recolours it.
CREATE OR REPLACE FUNCTION closer.add_tag(org uuid, lead uuid, tag text, color text)
    RETURNS TABLE (id uuid, tag text, color text)
    LANGUAGE sql SECURITY DEFINER SET search_path = '' SET lock_timeout = '5s'
AS $$
    SELECT closer.require_member($1);
    WITH lead AS (
        SELECT l.id FROM public.leads l WHERE l.organization_id = $1 AND l.id = $2
    ), spelling AS (
        SELECT coalesce((SELECT g.tag FROM public.lead_tags g
                         WHERE g.organization_id = $1 AND lower(g.tag) = lower($3)
                         ORDER BY g.created_at, g.id LIMIT 1), $3) AS tag
    ), before AS (
        SELECT g.color FROM public.lead_tags g
        WHERE g.organization_id = $1 AND g.lead_id = $2 AND lower(g.tag) = lower($3)
    ), tagged AS (
        INSERT INTO public.lead_tags (organization_id, lead_id, tag, color)
        SELECT $1, lead.id, spelling.tag, $4 FROM lead, spelling
        ON CONFLICT (organization_id, lead_id, lower(tag)) DO UPDATE SET color = excluded.color
        RETURNING id, lead_id, tag, color
    ), activity AS (
        INSERT INTO public.lead_activities (organization_id, lead_id, type, content)
        SELECT $1, tagged.lead_id,
               CASE WHEN EXISTS (SELECT 1 FROM before) THEN 'tag_updated' ELSE 'tag_added' END,
               jsonb_build_object('tag', tagged.tag, 'color', tagged.color, 'from_color', (SELECT b.color FROM before b))
        FROM tagged
        WHERE (SELECT b.color FROM before b) IS DISTINCT FROM tagged.color
    )
    SELECT id, tag, color FROM tagged
$$;

CREATE OR REPLACE FUNCTION closer.remove_tag(org uuid, lead uuid, tag text)
    RETURNS TABLE (found boolean, removed boolean)
    LANGUAGE sql SECURITY DEFINER SET search_path = '' SET lock_timeout = '5s'
AS $$
    SELECT closer.require_member($1);
    WITH lead AS (
        SELECT l.id FROM public.leads l WHERE l.organization_id = $1 AND l.id = $2
    ), removed AS (
        DELETE FROM public.lead_tags g
        WHERE g.organization_id = $1 AND g.lead_id = (SELECT id FROM lead) AND lower(g.tag) = lower($3)
        RETURNING g.lead_id, g.tag, g.color
    ), activity AS (
        INSERT INTO public.lead_activities (organization_id, lead_id, type, content)
        SELECT $1, removed.lead_id, 'tag_removed', jsonb_build_object('tag', removed.tag, 'color', removed.color)
        FROM removed
    )
    SELECT EXISTS (SELECT 1 FROM lead), EXISTS (SELECT 1 FROM removed)
$$;

RESET ROLE;
