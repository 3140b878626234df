-- Browser sessions of the UI, in the database so that every server of a scaled deployment
-- knows every session. The key is the SHA-256 (hex) of the random id in the cookie, never the
-- cookie value itself, and no API token is kept: each request loads the user by id, so a
-- deleted user's sessions end with the user (cascade) and a suspension is seen at once.
-- The CSRF token is kept as is: forms must show it, and it is worthless without the cookie.
-- Sessions are not document state: they are written without audit entries.
CREATE TABLE ui_sessions (
    id_hash TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    csrf TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
CREATE INDEX ui_sessions_expires ON ui_sessions(expires_at);
CREATE INDEX ui_sessions_user ON ui_sessions(user_id, created_at);
