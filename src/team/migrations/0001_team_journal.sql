-- linkus team journal, schema version 1 (CLI.md section 3, "Team journal").
--
-- What every linkus version sharing this database must agree on lives here, not in the
-- binary: the portal key's normalisation, the lock key, what blocks an order, and how an
-- outcome may change. A later migration may replace these functions; a binary that finds a
-- schema newer than it knows refuses to order ("upgrade linkus").

CREATE TABLE linkus_entries (
    id                 text PRIMARY KEY,
    portal             text NOT NULL,
    sn                 text NOT NULL,
    operation          text NOT NULL,
    plan_id            text,
    plan_name          text,
    years              integer,
    billing_contact_id text,
    po_number          text,
    profile            text,
    host               text,
    os_user            text,
    pid                integer,
    command            text,
    linkus_version     text,
    local_time         text,
    created_at         timestamptz NOT NULL DEFAULT now(),
    outcome            text,
    order_no           text,
    order_status       text,
    request_id         text,
    outcome_at         timestamptz,
    outcome_by         text
);

CREATE INDEX linkus_entries_by_sn ON linkus_entries (portal, sn, created_at DESC);
CREATE INDEX linkus_entries_unsettled ON linkus_entries (created_at)
    WHERE outcome IS NULL OR lower(outcome) = 'unknown';

-- Two spellings of one portal are one portal.
CREATE FUNCTION linkus_portal_key(p text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT replace(
        replace(rtrim(lower(btrim(p)), '/'), '://localhost:', '://127.0.0.1:'),
        '://localhost', '://127.0.0.1')
$$;

CREATE FUNCTION linkus_sn_key(p text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$ SELECT upper(btrim(p)) $$;

-- The transaction-level advisory lock that serialises claims for one portal and SN.
CREATE FUNCTION linkus_lock_key(p_portal text, p_sn text) RETURNS bigint
LANGUAGE sql IMMUTABLE AS $$
    SELECT hashtext('linkus:' || linkus_portal_key(p_portal) || '|' || linkus_sn_key(p_sn))::bigint
$$;

-- An entry's state from its outcome, as the local journal reads its lines.
CREATE FUNCTION linkus_state(p_outcome text, p_order_no text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE
        WHEN p_outcome IS NULL THEN 'in_flight'
        WHEN lower(btrim(p_outcome)) IN ('unknown', '') THEN 'unknown'
        WHEN lower(btrim(p_outcome)) = 'succeed' THEN 'succeeded'
        WHEN lower(btrim(p_outcome)) IN ('failed', 'invalid', 'cancelled', 'canceled', 'refunded',
                                         'rejected', 'not_sent', 'not_placed') THEN 'closed'
        WHEN coalesce(p_order_no, '') <> '' THEN 'open'
        ELSE 'unknown'
    END
$$;

-- Whether an earlier entry blocks a new order of p_operation: in flight, unknown and open
-- entries block every operation; a success of the same operation in the last 24 hours (by
-- this database's clock) blocks unless --again names its order number. The operation 'any'
-- (an order sent with an operationType linkus does not know, through `linkus api`) is every
-- operation, on either side.
CREATE FUNCTION linkus_blocks(e linkus_entries, p_operation text, p_again text[]) RETURNS boolean
LANGUAGE sql STABLE AS $$
    SELECT CASE linkus_state(e.outcome, e.order_no)
        WHEN 'in_flight' THEN true
        WHEN 'unknown' THEN true
        WHEN 'open' THEN true
        WHEN 'succeeded' THEN
            (lower(e.operation) = lower(p_operation)
             OR lower(e.operation) = 'any' OR lower(p_operation) = 'any')
            AND e.created_at > now() - interval '24 hours'
            AND NOT (e.order_no IS NOT NULL AND upper(e.order_no) IN
                     (SELECT upper(btrim(a)) FROM unnest(coalesce(p_again, '{}'::text[])) a))
        ELSE false
    END
$$;

CREATE FUNCTION linkus_entry_json(e linkus_entries) RETURNS json
LANGUAGE sql STABLE AS $$
    SELECT json_build_object(
        'id', e.id, 'portal', e.portal, 'sn', e.sn, 'operation', e.operation,
        'planId', e.plan_id, 'planName', e.plan_name, 'years', e.years,
        'billingContactId', e.billing_contact_id, 'poNumber', e.po_number,
        'profile', e.profile, 'host', e.host, 'user', e.os_user, 'pid', e.pid,
        'command', e.command, 'linkusVersion', e.linkus_version, 'localTime', e.local_time,
        'createdAt', to_char(e.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
        'ageSeconds', floor(extract(epoch FROM now() - e.created_at))::bigint,
        'state', linkus_state(e.outcome, e.order_no), 'outcome', e.outcome,
        'orderNo', e.order_no, 'orderStatus', e.order_status, 'requestId', e.request_id,
        'outcomeBy', e.outcome_by)
$$;

-- The claim, in one statement (one round trip): under the SN's lock, an earlier entry that
-- blocks is returned; otherwise the intent is inserted and returned. A claim whose id is
-- already there (a retry after a lost answer) returns that entry as claimed.
CREATE FUNCTION linkus_claim(
    p_id text, p_portal text, p_sn text, p_operation text, p_again text[],
    p_plan_id text, p_plan_name text, p_years integer, p_billing_contact_id text,
    p_po_number text, p_profile text, p_host text, p_os_user text, p_pid integer,
    p_command text, p_version text, p_local_time text) RETURNS json
LANGUAGE plpgsql AS $$
DECLARE
    k_portal text := linkus_portal_key(p_portal);
    k_sn text := linkus_sn_key(p_sn);
    found_entry linkus_entries;
BEGIN
    PERFORM pg_advisory_xact_lock(linkus_lock_key(p_portal, p_sn));
    SELECT * INTO found_entry FROM linkus_entries x WHERE x.id = p_id;
    IF FOUND THEN
        RETURN json_build_object('claimed', true, 'entry', linkus_entry_json(found_entry));
    END IF;
    SELECT * INTO found_entry FROM linkus_entries x
        WHERE x.portal = k_portal AND x.sn = k_sn AND linkus_blocks(x, p_operation, p_again)
        ORDER BY x.created_at DESC LIMIT 1;
    IF FOUND THEN
        RETURN json_build_object('claimed', false, 'entry', linkus_entry_json(found_entry));
    END IF;
    INSERT INTO linkus_entries (id, portal, sn, operation, plan_id, plan_name, years,
        billing_contact_id, po_number, profile, host, os_user, pid, command, linkus_version,
        local_time)
    VALUES (p_id, k_portal, k_sn, lower(p_operation), p_plan_id, p_plan_name, p_years,
        p_billing_contact_id, p_po_number, p_profile, p_host, p_os_user, p_pid, p_command,
        p_version, p_local_time)
    RETURNING * INTO found_entry;
    RETURN json_build_object('claimed', true, 'entry', linkus_entry_json(found_entry));
END
$$;

-- Whether an outcome may replace another: a settled one (succeeded, closed) never changes;
-- an open order may move on but never back to unknown or "not placed"; a known outcome is
-- never replaced by unknown.
CREATE FUNCTION linkus_may_settle(p_old text, p_old_order text, p_new text, p_new_order text) RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE linkus_state(p_old, p_old_order)
        WHEN 'in_flight' THEN true
        WHEN 'unknown' THEN linkus_state(p_new, p_new_order) <> 'in_flight'
        WHEN 'open' THEN linkus_state(p_new, coalesce(p_new_order, p_old_order)) IN ('open', 'succeeded', 'closed')
                         AND lower(btrim(p_new)) <> 'not_placed'
        ELSE false
    END
$$;

-- Writes an outcome; idempotent, and a settled outcome is never overwritten. Returns the
-- entry as it stands afterwards, and whether this call changed it.
CREATE FUNCTION linkus_settle(p_id text, p_outcome text, p_order_no text, p_order_status text,
    p_request_id text, p_by text) RETURNS json
LANGUAGE plpgsql AS $$
DECLARE
    e linkus_entries;
    changed boolean := false;
BEGIN
    SELECT * INTO e FROM linkus_entries x WHERE x.id = p_id FOR UPDATE;
    IF NOT FOUND THEN
        RETURN json_build_object('found', false, 'changed', false);
    END IF;
    IF linkus_may_settle(e.outcome, e.order_no, p_outcome, p_order_no)
       AND (e.outcome IS DISTINCT FROM p_outcome OR e.order_no IS DISTINCT FROM coalesce(p_order_no, e.order_no)) THEN
        UPDATE linkus_entries x SET
            outcome = p_outcome,
            order_no = coalesce(p_order_no, x.order_no),
            order_status = coalesce(p_order_status, x.order_status),
            request_id = coalesce(p_request_id, x.request_id),
            outcome_at = now(),
            outcome_by = p_by
        WHERE x.id = p_id
        RETURNING * INTO e;
        changed := true;
    END IF;
    RETURN json_build_object('found', true, 'changed', changed, 'entry', linkus_entry_json(e));
END
$$;

-- Rows are never deleted, and a settled outcome never changes, whoever writes.
CREATE FUNCTION linkus_guard() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'linkus team journal entries are never deleted';
    END IF;
    IF NOT linkus_may_settle(OLD.outcome, OLD.order_no, NEW.outcome, NEW.order_no)
       AND (NEW.outcome IS DISTINCT FROM OLD.outcome OR NEW.order_no IS DISTINCT FROM OLD.order_no) THEN
        RETURN OLD;
    END IF;
    NEW.id := OLD.id;
    NEW.portal := OLD.portal;
    NEW.sn := OLD.sn;
    NEW.created_at := OLD.created_at;
    RETURN NEW;
END
$$;

CREATE TRIGGER linkus_entries_guard BEFORE UPDATE OR DELETE ON linkus_entries
    FOR EACH ROW EXECUTE FUNCTION linkus_guard();
