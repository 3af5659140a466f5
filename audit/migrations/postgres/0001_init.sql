-- zegel access log, schema 1 (PostgreSQL). Column meanings: docs/log-format.md.
CREATE TABLE zegel_chains (
    chain_id       TEXT PRIMARY KEY NOT NULL,
    created_us     BIGINT NOT NULL,
    format_version BIGINT NOT NULL,
    key_id         TEXT
);

-- One row per record. `record` is the record's canonical encoding (docs/log-format.md,
-- section 3): the sealed bytes the hash covers, and the only source of the record's
-- fields. `time_us`, `kind`, `user_id` and `patient_id` repeat fields of it so that a
-- database administrator can select and index rows; verifiers check that they agree.
CREATE TABLE zegel_records (
    chain_id   TEXT NOT NULL,
    seq        BIGINT NOT NULL,
    time_us    BIGINT NOT NULL,
    kind       TEXT NOT NULL,
    user_id    TEXT,
    patient_id TEXT,
    record     BYTEA NOT NULL,
    hash       BYTEA NOT NULL,
    PRIMARY KEY (chain_id, seq)
);

CREATE TABLE zegel_checkpoints (
    chain_id  TEXT NOT NULL,
    seq       BIGINT NOT NULL,
    head      BYTEA NOT NULL,
    time_us   BIGINT NOT NULL,
    key_id    TEXT NOT NULL,
    signature BYTEA NOT NULL,
    PRIMARY KEY (chain_id, seq)
);

-- Append-only by default: accidents and careless scripts fail loudly. This does not stop
-- a determined administrator (who can drop the trigger); the hash chain and the signed
-- checkpoints outside the database are what make that detectable.
CREATE FUNCTION zegel_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only', TG_TABLE_NAME;
END $$;
CREATE TRIGGER zegel_records_append_only BEFORE UPDATE OR DELETE ON zegel_records
    FOR EACH ROW EXECUTE FUNCTION zegel_append_only();
CREATE TRIGGER zegel_checkpoints_append_only BEFORE UPDATE OR DELETE ON zegel_checkpoints
    FOR EACH ROW EXECUTE FUNCTION zegel_append_only();
