-- hairyo schema. No plaintext of a document, a file name or a finding's span is stored here:
-- documents keep a wrapped data key and encrypted blobs live outside the database; findings
-- keep offsets and a keyed MAC of the span.

CREATE TABLE users (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('candidate', 'advisor', 'admin')),
    token_hash TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    suspended_at TEXT
);

CREATE TABLE documents (
    id TEXT PRIMARY KEY,
    owner_id TEXT NOT NULL REFERENCES users(id),
    kind TEXT,
    size_bytes BIGINT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('quarantined', 'released', 'erased')),
    reason TEXT,
    verdict TEXT NOT NULL CHECK (verdict IN ('quarantine', 'flag', 'clear', 'error')),
    error_code TEXT,
    detector_version TEXT NOT NULL,
    wrapped_key BYTEA,
    sealed_name BYTEA,
    has_text BIGINT NOT NULL DEFAULT 0,
    redacted_from TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX documents_owner ON documents(owner_id);
CREATE INDEX documents_status ON documents(status);

CREATE TABLE findings (
    id TEXT PRIMARY KEY,
    document_id TEXT NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
    category TEXT NOT NULL,
    start_byte BIGINT NOT NULL,
    end_byte BIGINT NOT NULL,
    confidence DOUBLE PRECISION NOT NULL,
    rule TEXT NOT NULL,
    span_mac TEXT NOT NULL,
    review_state TEXT NOT NULL DEFAULT 'pending' CHECK (review_state IN ('pending', 'confirmed', 'false_positive')),
    created_at TEXT NOT NULL
);
CREATE INDEX findings_document ON findings(document_id);
CREATE INDEX findings_pending ON findings(review_state, created_at);

CREATE TABLE reviews (
    id TEXT PRIMARY KEY,
    finding_id TEXT NOT NULL,
    document_id TEXT NOT NULL,
    advisor_id TEXT NOT NULL REFERENCES users(id),
    decision TEXT NOT NULL CHECK (decision IN ('confirmed', 'false_positive')),
    reason TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX reviews_document ON reviews(document_id);

CREATE TABLE consents (
    id TEXT PRIMARY KEY,
    document_id TEXT NOT NULL,
    candidate_id TEXT NOT NULL REFERENCES users(id),
    categories TEXT NOT NULL,
    purposes TEXT NOT NULL,
    notice_version TEXT NOT NULL,
    notice_sha256 TEXT NOT NULL,
    method TEXT NOT NULL,
    user_agent TEXT,
    created_at TEXT NOT NULL
);
CREATE INDEX consents_document ON consents(document_id);

CREATE TABLE consent_withdrawals (
    consent_id TEXT PRIMARY KEY REFERENCES consents(id),
    candidate_id TEXT NOT NULL,
    created_at TEXT NOT NULL
);

CREATE TABLE provisions (
    id TEXT PRIMARY KEY,
    document_id TEXT NOT NULL,
    candidate_id TEXT NOT NULL,
    advisor_id TEXT NOT NULL,
    recipient TEXT NOT NULL,
    purpose TEXT NOT NULL,
    consent_id TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX provisions_candidate ON provisions(candidate_id);

-- The audit log is append-only and hash-chained; audit_head serialises writers: every
-- state-changing transaction locks it first.
CREATE TABLE audit (
    seq BIGINT PRIMARY KEY,
    at TEXT NOT NULL,
    actor_id TEXT,
    action TEXT NOT NULL,
    document_id TEXT,
    subject_id TEXT,
    detail TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE INDEX audit_subject ON audit(subject_id);
CREATE INDEX audit_document ON audit(document_id);

CREATE TABLE audit_head (
    id BIGINT PRIMARY KEY CHECK (id = 1),
    seq BIGINT NOT NULL,
    hash TEXT NOT NULL
);
INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');
