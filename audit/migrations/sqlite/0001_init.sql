-- zegel access log, schema 1 (SQLite). Column meanings: docs/log-format.md.
CREATE TABLE zegel_chains (
    chain_id       TEXT PRIMARY KEY NOT NULL,
    created_us     INTEGER NOT NULL,
    format_version INTEGER NOT NULL,
    key_id         TEXT
);

-- One row per record. `record` is the record's canonical encoding (docs/log-format.md,
-- section 3): the sealed bytes the hash covers, and the only source of the record's
-- fields. `time_us`, `kind`, `user_id` and `patient_id` repeat fields of it so that a
-- database administrator can select and index rows; verifiers check that they agree.
CREATE TABLE zegel_records (
    chain_id   TEXT NOT NULL,
    seq        INTEGER NOT NULL,
    time_us    INTEGER NOT NULL,
    kind       TEXT NOT NULL,
    user_id    TEXT,
    patient_id TEXT,
    record     BLOB NOT NULL,
    hash       BLOB NOT NULL,
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
