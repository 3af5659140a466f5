#!/usr/bin/env bash
# The main job as far as it exists today: create a signing key, write a realistic access
# log through the real group-commit writer into SQLite, verify it, then tamper with a copy
# and watch the verifier pinpoint the change. Everything lands in ./out/quickstart.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"
records="${RECORDS:-50000}"

echo "== building (first time: a few minutes)"
cargo build -q -p zegel-sidecar -p zegel-analyzer
bin="$CARGO_TARGET_DIR/debug"
out=out/quickstart
rm -rf "$out" && mkdir -p "$out" && cd "$out"

echo "== 1. a checkpoint signing key pair (the private key never goes into the database)"
"$bin/zegel-sidecar" keygen --private signing.pem --public signing.pub.pem

echo "== 2. $records access records (+ their outcomes) through the writer into SQLite"
time "$bin/zegel-analyzer" gen --db sqlite:access-log.db --key signing.pem \
    --checkpoint-file access-log.checkpoints --records "$records"

echo "== 3. verify: hashes, sequence, signatures, checkpoint file"
"$bin/zegel-analyzer" verify --source sqlite:access-log.db \
    --public-key signing.pub.pem --checkpoint-file access-log.checkpoints

echo "== 4. a database administrator edits one record in a copy..."
cp access-log.db tampered.db
python3 - <<'PY'
import sqlite3
db = sqlite3.connect("tampered.db")
db.executescript("""DROP TRIGGER zegel_records_no_update;
  UPDATE zegel_records SET user_id = 'emp-0001' WHERE seq = 4242;""")
db.commit()
PY
echo "== ...and verify finds it (exit status 1 = integrity failure)"
set +e
"$bin/zegel-analyzer" verify --source sqlite:tampered.db \
    --public-key signing.pub.pem --checkpoint-file access-log.checkpoints
status=$?
set -e
echo "verify exit status: $status"
[ "$status" -eq 1 ]
echo "== done: files in $out"
