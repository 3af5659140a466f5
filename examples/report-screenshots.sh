#!/usr/bin/env bash
# Renders every report of zegel-analyzer as HTML from a generated log and takes a
# screenshot of each with headless Chromium, to look at what an officer gets.
#
#   examples/report-screenshots.sh OUT_DIR [RECORDS]
#
# OUT_DIR gets the HTML files and PNGs (do not commit them). The directory CSVs are
# derived from the log itself with `query`, so they fit whatever `gen` writes: staff from
# the users seen, a few VIP patients, and care relations for most patient/department pairs
# (the rest show up in the review). The compliance pack is rendered in Dutch and English
# and from a copy of the log with one record altered, photographed chapter by chapter
# (compliance-nl-3.png is chapter 3), and printed to compliance-nl.pdf.
# Needs chromium (apt-get install -y chromium), openssl and python3.
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
openssl pkey -in "$work/key.pem" -pubout -out "$work/key.pub.pem"
src="sqlite:$work/log.db"
"$za" gen --db "$src" --key "$work/key.pem" --checkpoint-file "$work/log.checkpoints" \
    --records "$records" --days 42 --staff 300 >/dev/null

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

dir=(--staff "$work/staff.csv" --patients "$work/patients.csv" --care-relations "$work/care.csv")
tables=(--source "$src" "${dir[@]}" --format html --max-rows 200)
"$za" report patient-access --patient "$patient" "${tables[@]}" -o "$out/patient-access.html"
"$za" report patient-access --patient "$patient" --lang en "${tables[@]}" -o "$out/patient-access-en.html"
"$za" report record-access --patient "$patient" "${tables[@]}" -o "$out/record-access.html"
"$za" report employee-access --user "$user" "${tables[@]}" -o "$out/employee-access.html"
"$za" report daily "${tables[@]}" -o "$out/daily.html"
"$za" report review --lang en "${tables[@]}" -o "$out/review.html"
"$za" report adoption --by week "${tables[@]}" -o "$out/adoption.html"

# The compliance pack: verified with the key and the checkpoint file; exit 1 is expected
# for the copy in which one stored record had a byte changed.
integrity=(-k "$work/key.pub.pem" -c "$work/log.checkpoints")
"$za" report compliance "${integrity[@]}" "${tables[@]}" -o "$out/compliance-nl.html"
"$za" report compliance --lang en "${integrity[@]}" "${tables[@]}" -o "$out/compliance-en.html"
"$za" report compliance "${integrity[@]}" --source "$src" "${dir[@]}" --format pdf \
    -o "$out/compliance-nl.pdf"
cp "$work/log.db" "$work/tampered.db"
python3 - "$work/tampered.db" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
db.execute("DROP TRIGGER zegel_records_no_update")
seq, record = db.execute("""SELECT seq, record FROM zegel_records WHERE seq > 1000
    AND kind = 'access' AND instr(hex(record), '2F666869722F') > 0
    ORDER BY seq LIMIT 1""").fetchone()
# One byte of the stored encoding: /fhir/ becomes /fhiR/ in the record's path.
db.execute("UPDATE zegel_records SET record = ? WHERE seq = ?",
           (record.replace(b"/fhir/", b"/fhiR/", 1), seq))
db.commit()
PY
"$za" report compliance "${integrity[@]}" --source "sqlite:$work/tampered.db" "${dir[@]}" \
    --format html -o "$out/compliance-tampered.html" && { echo "a tampered log passed" >&2; exit 1; }

shoot() { # html file, png file
  # No traffic leaves the machine: background services off, any request to a dead port.
  "$chromium" --headless --no-sandbox --disable-gpu --hide-scrollbars \
    --disable-background-networking --disable-component-update --disable-sync \
    --disable-default-apps --no-default-browser-check --proxy-server=http://127.0.0.1:9 \
    --proxy-bypass-list='<-loopback>' \
    --screenshot="$2" --window-size=1280,1800 "file://$1" 2>/dev/null
}
for html in "$out"/*.html; do
  shoot "$html" "${html%.html}.png"
done
# One page per chapter of each pack: the head of the page, then that chapter's part.
for pack in "$out"/compliance-*.html; do
  python3 - "$pack" "$work" <<'PY'
import os, re, sys
page, work = sys.argv[1], sys.argv[2]
html = open(page, encoding="utf-8").read()
head, rest = html.split("<main>", 1)
body = rest.split("</main>", 1)[0]
for n, part in enumerate(re.split(r'(?=<h2 class="chapter")', body)[1:], start=1):
    name = os.path.basename(page)[:-5] + f"-{n}.html"
    with open(os.path.join(work, name), "w", encoding="utf-8") as f:
        f.write(head + "<main>" + part + "</main></body></html>")
PY
  for part in "$work/$(basename "${pack%.html}")"-*.html; do
    shoot "$part" "$out/$(basename "${part%.html}").png"
  done
done
ls "$out"/*.png "$out"/*.pdf
