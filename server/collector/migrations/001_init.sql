-- Portable SQL (SQLite and PostgreSQL). Times are integer milliseconds since the epoch.

-- Every record as received, stored once per id (idempotent delivery).
CREATE TABLE records (
  id          TEXT    PRIMARY KEY,
  session_id  TEXT    NOT NULL,
  seq         BIGINT  NOT NULL,
  time        BIGINT  NOT NULL,
  kind        TEXT    NOT NULL,
  role        TEXT    NOT NULL,
  generation  INTEGER NOT NULL,
  received_at BIGINT  NOT NULL,
  body        TEXT    NOT NULL
);

CREATE INDEX records_session_timeline ON records (session_id, time, seq);

-- One row per session, folded on ingest from newly stored records only, with order-independent
-- rules (min, max, sums, latest by (time, seq)) so that out-of-order and duplicate delivery give
-- the same summary as in-order delivery.
CREATE TABLE sessions (
  id                     TEXT    PRIMARY KEY,
  first_time             BIGINT  NOT NULL,
  last_time              BIGINT  NOT NULL,
  record_count           INTEGER NOT NULL,
  caller_browser_name    TEXT,
  caller_browser_version INTEGER,
  callee_browser_name    TEXT,
  callee_browser_version INTEGER,
  max_generation         INTEGER NOT NULL,
  rekey_count            INTEGER NOT NULL,
  rekey_failed_count     INTEGER NOT NULL,
  violation_count        INTEGER NOT NULL,
  noncompliant_count     INTEGER NOT NULL,
  dropped_count          BIGINT  NOT NULL,
  latest_time            BIGINT  NOT NULL,
  latest_seq             BIGINT  NOT NULL,
  dtls_version           TEXT,
  srtp_profile           TEXT,
  dtls_cipher            TEXT,
  ended_time             BIGINT,
  ended_reason           TEXT,
  duration_ms            BIGINT
);

CREATE INDEX sessions_first_time ON sessions (first_time, id);
CREATE INDEX sessions_last_time ON sessions (last_time);
