-- zegel access log, schema 2 (PostgreSQL): archived ranges may leave the database.
-- A row of zegel_archives says that records 1..up_to_seq of a chain were copied to an
-- archive that verified, ending in `head` (which a signed checkpoint at up_to_seq
-- confirms). Only rows covered by such a mark can be deleted; everything else stays
-- append-only. Meanings: docs/log-format.md, section 6.
CREATE TABLE zegel_archives (
    chain_id        TEXT NOT NULL,
    up_to_seq       BIGINT NOT NULL,
    head            BYTEA NOT NULL,
    archived_us     BIGINT NOT NULL,
    location        TEXT NOT NULL,
    manifest_sha256 BYTEA NOT NULL,
    PRIMARY KEY (chain_id, up_to_seq)
);

CREATE FUNCTION zegel_delete_archived_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' AND EXISTS (SELECT 1 FROM zegel_archives a
                                    WHERE a.chain_id = OLD.chain_id AND a.up_to_seq >= OLD.seq) THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION '% is append-only: only archived records can be deleted', TG_TABLE_NAME;
END $$;
DROP TRIGGER zegel_records_append_only ON zegel_records;
CREATE TRIGGER zegel_records_append_only BEFORE UPDATE OR DELETE ON zegel_records
    FOR EACH ROW EXECUTE FUNCTION zegel_delete_archived_only();
CREATE TRIGGER zegel_archives_append_only BEFORE UPDATE OR DELETE ON zegel_archives
    FOR EACH ROW EXECUTE FUNCTION zegel_append_only();
