#!/usr/bin/env bash
# The main job as far as it exists today (the demo care app comes later):
#   1. the sidecar in front of a small FHIR server on the embedded SQLite log: requests
#      from a nurse, a secretary, someone without identity and a path-traversal probe;
#   2. the analyzer verifies that log;
#   3. a generated hospital log (50,000 accesses + outcomes, planted incidents) is
#      verified, queried with SQL, reviewed in NEN 7513 reports (HTML) and the compliance
#      evidence pack (HTML, and PDF when Chromium is installed), exported as FHIR
#      AuditEvents, tampered with and verified again, then archived to Parquet, pruned
#      from the database and verified across the seam.
# Everything lands in ./out/. Ports: 18080 (sidecar) and 18081 (upstream), or set
# SIDECAR_PORT / UPSTREAM_PORT.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$root/target}"
sidecar_port="${SIDECAR_PORT:-18080}"
upstream_port="${UPSTREAM_PORT:-18081}"
records="${RECORDS:-50000}"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

echo "== building (first time: a few minutes)"
cargo build -q -p zegel-sidecar -p zegel-analyzer
bin="$CARGO_TARGET_DIR/debug"
rm -rf out/example out/quickstart && mkdir -p out/example out/quickstart

echo
echo "== 1. a checkpoint signing key pair (the private key never goes into the database)"
"$bin/zegel-sidecar" keygen --private out/example/signing.pem --public out/example/signing.pub.pem

echo
echo "== 2. a FHIR upstream on :$upstream_port and zegel-sidecar in front of it on :$sidecar_port"
python3 -m http.server "$upstream_port" --bind 127.0.0.1 --directory examples/upstream \
    >out/example/upstream.log 2>&1 &
pids+=($!)
wait_port() { # a TCP connect only: no request, so nothing to log
    for _ in $(seq 1 100); do
        (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
        sleep 0.1
    done
    echo "nothing listens on port $1" >&2
    return 1
}
wait_port "$upstream_port"
"$bin/zegel-sidecar" check-config --config examples/zegel.toml
ZEGEL_LISTEN="127.0.0.1:$sidecar_port" ZEGEL_UPSTREAM_URL="http://127.0.0.1:$upstream_port" \
    "$bin/zegel-sidecar" run --config examples/zegel.toml 2>out/example/sidecar.log &
sidecar=$!
pids+=($sidecar)
wait_port "$sidecar_port"

ask() { # persona, expected status, path; identity headers from the array H
    local who=$1 want=$2 path=$3 got
    got=$(curl -s --path-as-is -o /dev/null -w '%{http_code}' "${H[@]}" "http://127.0.0.1:$sidecar_port$path")
    printf '  %-42s %-32s -> %s (expected %s)\n' "$who" "$path" "$got" "$want"
    [ "$got" = "$want" ]
}
as() { # user, name, role, department: what the gateway in front of zegel asserts
    H=(-H "X-Gateway-User: $1" -H "X-Gateway-Name: $2" -H "X-Gateway-Roles: $3"
       -H "X-Gateway-Org: ura:00012345" -H "X-Gateway-Department: $4")
}
as n-17 "Nurse Bakker" verpleegkundige cardiologie
ask "nurse (cardiologie) reads a patient" 200 /fhir/Patient/p-1001
ask "nurse (cardiologie) reads an observation" 200 /fhir/Observation/o-77
ask "path traversal probe" 400 "/fhir/Patient/..%2f..%2fadmin"
ask "unknown route" 403 /admin
as s-03 "Secretaris Visser" secretaresse polikliniek
ask "secretary reads an observation" 403 /fhir/Observation/o-77
H=()
ask "no identity at all" 401 /fhir/Patient/p-1001
kill -TERM "$sidecar"
wait "$sidecar"

echo
echo "== 3. what the sidecar logged (hash-chained, signed; every refusal too)"
"$bin/zegel-analyzer" query --source sqlite:out/example/access-log.db \
    "SELECT seq, kind, user_id, decision, status, path, coalesce(rule, reason) AS why
     FROM access ORDER BY seq"

echo
echo "== 4. verify the sidecar's log"
"$bin/zegel-analyzer" verify --source sqlite:out/example/access-log.db \
    --public-key out/example/signing.pub.pem --checkpoint-file out/example/access-log.checkpoints

echo
echo "== 5. a larger log: a synthetic hospital, $records accesses (+ outcomes) with planted"
echo "      incidents, through the same writer; staff, patients and care relations as CSV"
cd out/quickstart
"$bin/zegel-analyzer" gen --db sqlite:access-log.db --key ../example/signing.pem \
    --checkpoint-file access-log.checkpoints --records "$records" --directory-out directory
"$bin/zegel-analyzer" verify --source sqlite:access-log.db \
    --public-key ../example/signing.pub.pem --checkpoint-file access-log.checkpoints

echo
echo "== 6. SQL over the log: who opened the most patient records, and denied attempts"
"$bin/zegel-analyzer" query --source sqlite:access-log.db \
    "SELECT user_id, department, count(DISTINCT patient_id) AS patients,
            sum(CASE WHEN decision = 'deny' THEN 1 ELSE 0 END) AS denied
     FROM access WHERE kind = 'access' GROUP BY user_id, department
     ORDER BY patients DESC LIMIT 5"

echo
echo "== 7. NEN 7513 reports (HTML in out/quickstart/reports): the systematic review with"
echo "      the directory tables, a patient's own overview (Dutch), the daily overview"
dir_tables=(--staff directory/staff.csv --patients directory/patients.csv
            --care-relations directory/care_relations.csv)
patient=$(python3 -c 'import json; i = json.load(open("directory/incidents.json"))["incidents"]; print(i[0]["accesses"][0]["patient_id"])')
mkdir -p reports
"$bin/zegel-analyzer" report review --source sqlite:access-log.db "${dir_tables[@]}" \
    --from 2026-01-01 --to 2026-12-31 --format html --output reports/review.html
"$bin/zegel-analyzer" report patient-access --patient "$patient" --source sqlite:access-log.db \
    --from 2026-01-01 --to 2026-12-31 --format html --output reports/patient-access.html
"$bin/zegel-analyzer" report daily --source sqlite:access-log.db "${dir_tables[@]}" \
    --from 2026-01-01 --to 2026-12-31 --format html --output reports/daily.html
"$bin/zegel-analyzer" report review --source sqlite:access-log.db "${dir_tables[@]}" \
    --from 2026-01-01 --to 2026-12-31 --lang en --max-rows 2
ls -l reports

echo
echo "== 7a. the compliance evidence pack for the IGJ or a NEN 7510 audit (Dutch; its summary"
echo "       below in English): integrity, coverage, policy versions, review and adoption,"
echo "       mapped to NEN 7510 controls; a PDF too when Chromium is installed"
pack=(report compliance --source sqlite:access-log.db "${dir_tables[@]}"
      --public-key ../example/signing.pub.pem --checkpoint-file access-log.checkpoints
      --from 2026-01-01 --to 2026-12-31)
"$bin/zegel-analyzer" "${pack[@]}" --format html --output reports/compliance.html
"$bin/zegel-analyzer" "${pack[@]}" --lang en | sed '/^2\. Integrity of the log$/,$d'
if [ -n "${ZEGEL_CHROMIUM:-}" ] || command -v chromium >/dev/null || command -v chromium-browser >/dev/null; then
    "$bin/zegel-analyzer" "${pack[@]}" --format pdf --output reports/compliance.pdf
else
    echo "(no chromium: apt-get install -y chromium for reports/compliance.pdf)"
fi
ls -l reports/compliance.*

echo
echo "== 7b. the access records as FHIR R4 AuditEvents (IHE BALP), one per line"
"$bin/zegel-analyzer" export fhir --source sqlite:access-log.db \
    --from 2026-01-01 --to 2026-12-31 --output audit-events.ndjson
echo "$(grep -c '"code":"110113"' audit-events.ndjson) of them break-the-glass (DCM 110113)"

echo
echo "== 8. a database administrator edits one record in a copy, and verify pinpoints it"
cp access-log.db tampered.db
python3 - <<'PY'
import sqlite3
db = sqlite3.connect("tampered.db")
db.executescript("""DROP TRIGGER zegel_records_no_update;
  UPDATE zegel_records SET user_id = 'emp-0001' WHERE seq = 4242;""")
db.commit()
PY
set +e
"$bin/zegel-analyzer" verify --source sqlite:tampered.db \
    --public-key ../example/signing.pub.pem --checkpoint-file access-log.checkpoints
status=$?
set -e
echo "verify exit status: $status (1 = integrity failure)"
[ "$status" -eq 1 ]

echo
echo "== 9. retention: archive sealed ranges to Parquet, prune them from the database,"
echo "      and verify the archive and the database as one chain"
"$bin/zegel-analyzer" archive --source sqlite:access-log.db --to archive \
    --public-key ../example/signing.pub.pem --checkpoint-file access-log.checkpoints
"$bin/zegel-analyzer" prune --source sqlite:access-log.db --archive archive \
    --public-key ../example/signing.pub.pem --checkpoint-file access-log.checkpoints
"$bin/zegel-analyzer" verify --source sqlite:access-log.db --source archive \
    --public-key ../example/signing.pub.pem --checkpoint-file access-log.checkpoints
"$bin/zegel-analyzer" query --source archive \
    "SELECT date_trunc('week', time) AS week, count(*) AS records FROM access
     GROUP BY 1 ORDER BY 1 LIMIT 3"
echo
echo "== done: files in out/example and out/quickstart"
