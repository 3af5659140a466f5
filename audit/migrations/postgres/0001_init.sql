-- zegel access log, schema 1 (PostgreSQL). Column meanings: docs/log-format.md.
CREATE TABLE zegel_chains (
    chain_id       TEXT PRIMARY KEY NOT NULL,
    created_us     BIGINT NOT NULL,
    format_version BIGINT NOT NULL,
    key_id         TEXT
);

CREATE TABLE zegel_records (
    chain_id                TEXT NOT NULL,
    seq                     BIGINT NOT NULL,
    time_us                 BIGINT NOT NULL,
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
    status                  BIGINT,
    bytes                   BIGINT,
    duration_us             BIGINT,
    links_seq               BIGINT,
    detail                  TEXT,
    hash                    BYTEA NOT NULL,
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
