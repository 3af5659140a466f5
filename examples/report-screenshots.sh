#!/usr/bin/env bash
# Renders every report of zegel-analyzer as HTML from a generated log and takes a
# screenshot of each with headless Chromium, to look at what an officer gets.
#
#   examples/report-screenshots.sh OUT_DIR [RECORDS]
#
# OUT_DIR gets the HTML files and PNGs (do not commit them). The directory CSVs are
# derived from the log itself with `query`, so they fit whatever `gen` writes: staff from
# the users seen, a few VIP patients, and care relations for most patient/department pairs
# (the rest show up in the review). Needs chromium (apt-get install -y chromium) and openssl.
set -euo pipefail

out=${1:?usage: $0 OUT_DIR [RECORDS]}
records=${2:-20000}
root=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$out"
out=$(cd "$out" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cargo build --quiet --manifest-path "$root/Cargo.toml" -p zegel-analyzer
za="${CARGO_TARGET_DIR:-$root/target}/debug/zegel-analyzer"
chromium=$(command -v chromium || command -v chromium-browser || true)
[ -n "$chromium" ] || { echo "chromium not found: apt-get install -y chromium" >&2; exit 2; }

openssl genpkey -algorithm ed25519 -out "$work/key.pem" 2>/dev/null
src="sqlite:$work/log.db"
"$za" gen --db "$src" --key "$work/key.pem" --records "$records" >/dev/null

q() { "$za" query "$1" --source "$src" --format csv --output "$2"; }
q "SELECT user_id, max(user_name) AS name,
          max(CASE WHEN user_id LIKE '%7' THEN 'radiologie' ELSE department END) AS department,
          max(roles[1]) AS role
   FROM access WHERE kind = 'access' AND user_id IS NOT NULL GROUP BY user_id ORDER BY user_id" \
  "$work/staff.csv"
q "SELECT patient_id, 'Patiënt' AS surname, patient_id IN ('pat-00001', 'pat-00042', 'pat-01234') AS vip
   FROM access WHERE kind = 'access' AND patient_id IS NOT NULL GROUP BY patient_id" \
  "$work/patients.csv"
q "SELECT patient_id, department AS user_id, '2025-01-01' AS valid_from, CAST(NULL AS VARCHAR) AS valid_to
   FROM access WHERE kind = 'access' AND patient_id IS NOT NULL AND seq % 50 <> 1
   GROUP BY patient_id, department" \
  "$work/care.csv"

patient=$("$za" query "SELECT patient_id FROM access WHERE kind = 'access' GROUP BY patient_id
                       ORDER BY count(*) DESC, patient_id LIMIT 1" --source "$src" --format csv | tail -1)
user=$("$za" query "SELECT user_id FROM access WHERE kind = 'access' GROUP BY user_id
                    ORDER BY count(*) DESC, user_id LIMIT 1" --source "$src" --format csv | tail -1)

tables=(--source "$src" --staff "$work/staff.csv" --patients "$work/patients.csv"
        --care-relations "$work/care.csv" --format html --max-rows 200)
"$za" report patient-access --patient "$patient" "${tables[@]}" -o "$out/patient-access.html"
"$za" report patient-access --patient "$patient" --lang en "${tables[@]}" -o "$out/patient-access-en.html"
"$za" report record-access --patient "$patient" "${tables[@]}" -o "$out/record-access.html"
"$za" report employee-access --user "$user" "${tables[@]}" -o "$out/employee-access.html"
"$za" report daily "${tables[@]}" -o "$out/daily.html"
"$za" report review --lang en "${tables[@]}" -o "$out/review.html"
"$za" report adoption --by week "${tables[@]}" -o "$out/adoption.html"

for html in "$out"/*.html; do
  "$chromium" --headless --no-sandbox --disable-gpu --hide-scrollbars \
    --screenshot="${html%.html}.png" --window-size=1280,1800 "file://$html" 2>/dev/null
done
ls "$out"/*.png
