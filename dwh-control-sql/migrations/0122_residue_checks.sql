-- Residue checks (issue 12 item 4): what the residue verifier (Anonymise Verify Residue, run by the nightly sweep
-- after forgetting) found for a forgotten person, and v_residue_alerts (placeholder in 0110) over it.
-- A check names places (relation.column, object key:line) and counts, never a value; it is tied to the person only
-- through the audit's subject HMAC and the forget request it verifies. A CSV finding carries expires_at (written +
-- the registry's archive_days): residue the archive retention removes before the request's 30-day deadline is
-- expected, not an alert.
--   residue_left      the latest check of the latest request found residue nothing removes before the deadline (P2)
--   residue_past_sla  the same, once the deadline has passed (P1: a legal breach)
-- The alert detail is counts per kind of place and the deadline: dwh_readonly reads it.

CREATE TABLE IF NOT EXISTS dwh_control.residue_checks (
    check_id          bigserial PRIMARY KEY,
    subject_hmac      text NOT NULL,
    -- The latest forget request of the subject when checked (NULL: never forgotten, e.g. a check before forgetting).
    request_id        bigint REFERENCES dwh_control.rtbf_requests (request_id),
    checked_at        timestamptz NOT NULL DEFAULT now(),
    residue_places    integer NOT NULL,
    holds             integer NOT NULL,
    -- [{place, location, count, matched, expiresAt?}]: where and how much, never what.
    residue           jsonb NOT NULL DEFAULT '[]',
    searched          jsonb NOT NULL,
    n8n_execution_id  text
);
CREATE INDEX IF NOT EXISTS residue_checks_subject ON dwh_control.residue_checks (subject_hmac, checked_at DESC);

ALTER TABLE dwh_control.residue_checks OWNER TO dwh_owner;
REVOKE ALL ON dwh_control.residue_checks FROM PUBLIC;
GRANT SELECT, INSERT ON dwh_control.residue_checks TO dwh_compliance;
GRANT USAGE ON SEQUENCE dwh_control.residue_checks_check_id_seq TO dwh_compliance;

CREATE OR REPLACE VIEW dwh_control.v_residue_alerts AS
WITH latest_request AS (
    SELECT DISTINCT ON (subject_hmac) request_id, subject_hmac, requested_at + interval '30 days' AS deadline
      FROM dwh_control.rtbf_requests
     ORDER BY subject_hmac, request_id DESC
), latest_check AS (
    SELECT DISTINCT ON (c.subject_hmac) c.check_id, c.request_id, c.checked_at, c.residue, c.n8n_execution_id
      FROM dwh_control.residue_checks c
     ORDER BY c.subject_hmac, c.checked_at DESC, c.check_id DESC
), lasting AS (
    SELECT r.request_id, r.deadline, c.checked_at, c.n8n_execution_id, f->>'place' AS place, (f->>'count')::bigint AS n
      FROM latest_request r
      JOIN latest_check c ON c.request_id = r.request_id
     CROSS JOIN LATERAL jsonb_array_elements(c.residue) f
     WHERE f->>'expiresAt' IS NULL OR (f->>'expiresAt')::timestamptz > r.deadline
), per_place AS (
    SELECT request_id, deadline, checked_at, n8n_execution_id, place, count(*) AS places, sum(n) AS n
      FROM lasting GROUP BY 1, 2, 3, 4, 5
)
SELECT 'residue'::text AS area,
       (CASE WHEN now() > p.deadline THEN 'residue_past_sla' ELSE 'residue_left' END)::text AS alert,
       ('request ' || p.request_id)::text AS subject,
       (sum(p.places) || ' place(s), ' || sum(p.n) || ' row(s)/record(s): '
         || string_agg(p.place || ' ' || p.places, ', ' ORDER BY p.place)
         || '; SLA deadline ' || to_char(p.deadline AT TIME ZONE 'UTC', 'YYYY-MM-DD'))::text AS detail,
       p.checked_at::timestamptz AS since, p.n8n_execution_id::text AS n8n_execution_id
  FROM per_place p
 GROUP BY p.request_id, p.deadline, p.checked_at, p.n8n_execution_id;

ALTER VIEW dwh_control.v_residue_alerts OWNER TO dwh_owner;
REVOKE ALL ON dwh_control.v_residue_alerts FROM PUBLIC;
GRANT SELECT ON dwh_control.v_residue_alerts TO dwh_readonly;

INSERT INTO dwh_control.alert_severities (alert, severity, why) VALUES
    ('residue_left', 'P2', 'a forgotten person is still somewhere nothing removes before the 30-day deadline: act before it passes'),
    ('residue_past_sla', 'P1', 'a forgotten person is still in the warehouse, analytics_db, the vault or the archive past the 30-day erasure SLA')
ON CONFLICT (alert) DO NOTHING;
