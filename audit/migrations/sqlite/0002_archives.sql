-- zegel access log, schema 2 (SQLite): archived ranges may leave the database.
-- A row of zegel_archives says that records 1..up_to_seq of a chain were copied to an
-- archive that verified, ending in `head` (which a signed checkpoint at up_to_seq
-- confirms). Only rows covered by such a mark can be deleted; everything else stays
-- append-only. Meanings: docs/log-format.md, section 6.
CREATE TABLE zegel_archives (
    chain_id        TEXT NOT NULL,
    up_to_seq       INTEGER NOT NULL,
    head            BLOB NOT NULL,
    archived_us     INTEGER NOT NULL,
    location        TEXT NOT NULL,
    manifest_sha256 BLOB NOT NULL,
    PRIMARY KEY (chain_id, up_to_seq)
);

DROP TRIGGER zegel_records_no_delete;
CREATE TRIGGER zegel_records_no_delete BEFORE DELETE ON zegel_records
WHEN NOT EXISTS (SELECT 1 FROM zegel_archives a
                 WHERE a.chain_id = OLD.chain_id AND a.up_to_seq >= OLD.seq)
BEGIN SELECT RAISE(ABORT, 'zegel_records is append-only: only archived records can be deleted'); END;

CREATE TRIGGER zegel_archives_no_update BEFORE UPDATE ON zegel_archives
BEGIN SELECT RAISE(ABORT, 'zegel_archives is append-only'); END;
CREATE TRIGGER zegel_archives_no_delete BEFORE DELETE ON zegel_archives
BEGIN SELECT RAISE(ABORT, 'zegel_archives is append-only'); END;
