-- Scaled mode: blobs live in the database (every server reaches them and they commit with
-- their document), a job queue for workers, rescans with per-document state, the dictionary
-- snapshots that incremental rescans diff against, and notifications for candidates.

CREATE TABLE blobs (
    document_id TEXT NOT NULL,
    name TEXT NOT NULL,
    data BLOB NOT NULL,
    PRIMARY KEY (document_id, name)
);

-- The dictionaries a detector version was built from (ids, terms, patterns: no document
-- content), so that a later version can evaluate only what changed.
CREATE TABLE detector_snapshots (
    version TEXT PRIMARY KEY,
    engine TEXT NOT NULL,
    files TEXT NOT NULL,
    created_at TEXT NOT NULL
);

CREATE TABLE rescans (
    id TEXT PRIMARY KEY,
    mode TEXT NOT NULL CHECK (mode IN ('stale', 'all')),
    dry_run INTEGER NOT NULL,
    reextract INTEGER NOT NULL,
    full_scan INTEGER NOT NULL,
    target_version TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('running', 'finished', 'cancelled')),
    total INTEGER NOT NULL,
    origin TEXT NOT NULL,
    created_by TEXT,
    created_at TEXT NOT NULL,
    finished_at TEXT
);

-- One row per document of a rescan. An outcome is written in the same transaction as the
-- document's change and only while the row is still pending: each document once per rescan.
CREATE TABLE rescan_items (
    rescan_id TEXT NOT NULL REFERENCES rescans(id) ON DELETE CASCADE,
    document_id TEXT NOT NULL,
    batch INTEGER NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('pending', 'done', 'failed')),
    method TEXT,
    changed INTEGER NOT NULL DEFAULT 0,
    requarantined INTEGER NOT NULL DEFAULT 0,
    added TEXT,
    removed TEXT,
    error_code TEXT,
    worker TEXT,
    done_at TEXT,
    PRIMARY KEY (rescan_id, document_id)
);
CREATE INDEX rescan_items_batch ON rescan_items(rescan_id, batch);

-- The job queue. A job is claimed by setting a lease; a job whose lease ran out (its worker
-- died) is claimable again. Failures are retried with backoff until max_attempts.
CREATE TABLE jobs (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    rescan_id TEXT,
    batch INTEGER,
    requires_version TEXT,
    state TEXT NOT NULL CHECK (state IN ('queued', 'running', 'done', 'failed')),
    attempts INTEGER NOT NULL DEFAULT 0,
    max_attempts INTEGER NOT NULL,
    run_after TEXT NOT NULL,
    lease_owner TEXT,
    lease_until TEXT,
    last_error TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX jobs_claim ON jobs(state, run_after);
CREATE INDEX jobs_rescan ON jobs(rescan_id);

CREATE TABLE notifications (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users(id),
    document_id TEXT,
    kind TEXT NOT NULL,
    detail TEXT NOT NULL,
    created_at TEXT NOT NULL,
    read_at TEXT
);
CREATE INDEX notifications_user ON notifications(user_id, created_at);
