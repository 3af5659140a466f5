-- zegel access log, schema 1 (SQLite). Column meanings: docs/log-format.md.
CREATE TABLE zegel_chains (
    chain_id       TEXT PRIMARY KEY NOT NULL,
    created_us     INTEGER NOT NULL,
    format_version INTEGER NOT NULL,
    key_id         TEXT
);

CREATE TABLE zegel_records (
    chain_id                TEXT NOT NULL,
    seq                     INTEGER NOT NULL,
    time_us                 INTEGER NOT NULL,
    kind                    TEXT NOT NULL,
    request_id              TEXT,
    user_id                 TEXT,
    user_name               TEXT,
    roles                   TEXT NOT NULL,
    organisation            TEXT,
    department              TEXT,
    responsible_user        TEXT,
    purpose_of_use          TEXT,
    access_point            TEXT,
    application             TEXT,
    method                  TEXT,
    path                    TEXT,
    raw_path                TEXT,
    interaction             TEXT,
    action                  TEXT,
    resource_type           TEXT,
    resource_id             TEXT,
    patient_id              TEXT,
    patient_id_system       TEXT,
    decision                TEXT,
    rule                    TEXT,
    reason                  TEXT,
    emergency_justification TEXT,
    policy_version          TEXT,
    status                  INTEGER,
    bytes                   INTEGER,
    duration_us             INTEGER,
    links_seq               INTEGER,
    detail                  TEXT,
    hash                    BLOB NOT NULL,
    PRIMARY KEY (chain_id, seq)
);

CREATE TABLE zegel_checkpoints (
    chain_id  TEXT NOT NULL,
    seq       INTEGER NOT NULL,
    head      BLOB NOT NULL,
    time_us   INTEGER NOT NULL,
    key_id    TEXT NOT NULL,
    signature BLOB NOT NULL,
    PRIMARY KEY (chain_id, seq)
);

-- Append-only by default: accidents and careless scripts fail loudly. This does not stop
-- a determined administrator (who can drop the trigger); the hash chain and the signed
-- checkpoints outside the database are what make that detectable.
CREATE TRIGGER zegel_records_no_update BEFORE UPDATE ON zegel_records
BEGIN SELECT RAISE(ABORT, 'zegel_records is append-only'); END;
CREATE TRIGGER zegel_records_no_delete BEFORE DELETE ON zegel_records
BEGIN SELECT RAISE(ABORT, 'zegel_records is append-only'); END;
CREATE TRIGGER zegel_checkpoints_no_update BEFORE UPDATE ON zegel_checkpoints
BEGIN SELECT RAISE(ABORT, 'zegel_checkpoints is append-only'); END;
CREATE TRIGGER zegel_checkpoints_no_delete BEFORE DELETE ON zegel_checkpoints
BEGIN SELECT RAISE(ABORT, 'zegel_checkpoints is append-only'); END;
