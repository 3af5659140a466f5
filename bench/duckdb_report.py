#!/usr/bin/env python3
"""Runs one zegel report's SQL in DuckDB over the same Parquet archive, for bench/analyzer.sh.

    duckdb_report.py SPEC.json ARCHIVE_DIR [--staff CSV] [--patients CSV] [--care-relations CSV]

SPEC.json is what `zegel-analyzer report NAME --format sql` prints: the period view, the
parameter values and each section's SQL. DuckDB gets the same tables (`access` over every
Parquet file of the archive, `period` with the same bounds and local day, the directory
CSVs) and runs every section's SQL unchanged, apart from the few functions that are
spelled differently (listed in REWRITES). Prints one JSON line: rows and milliseconds per
section, and the error of any section DuckDB could not run.
"""
import argparse
import datetime as dt
import json
import re
import sys
import time

import duckdb

# DataFusion spelling -> DuckDB spelling. Kept short on purpose: a section that needs more
# is reported as an error rather than silently rewritten.
REWRITES = [
    (re.compile(r"arrow_cast\(([^,()]+), 'Timestamp\(Microsecond, Some\(\"([^\"]+)\"\)\)'\)"),
     r"(\1 AT TIME ZONE '\2')"),
    (re.compile(r"\bregexp_like\("), "regexp_matches("),
    (re.compile(r"\bto_char\("), "strftime("),  # both take strftime-style formats
]


def params_for(sql, params):
    out = {}
    for name, value in params.items():
        if re.search(r"\$" + re.escape(name) + r"(?![A-Za-z0-9_])", sql):
            out[name] = value
    return out


def value(p):
    """A parameter from the spec: {"type": ..., "value": ...}."""
    if p["type"] == "timestamp_us":
        # An open period is +-2^62 us in zegel, beyond Python's datetime: clamp to years
        # no log reaches (the comparison of rows below would show it if one did).
        lo, hi = -2_208_988_800_000_000, 7_258_118_400_000_000  # 1900-01-01, 2200-01-01
        us = min(max(p["value"], lo), hi)
        return dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc) + dt.timedelta(microseconds=us)
    return p["value"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("spec")
    ap.add_argument("archive")
    ap.add_argument("--staff")
    ap.add_argument("--patients")
    ap.add_argument("--care-relations")
    ap.add_argument("--threads", type=int, default=0)
    a = ap.parse_args()
    spec = json.load(open(a.spec))
    con = duckdb.connect()
    if a.threads:
        con.execute(f"SET threads = {a.threads}")
    con.execute("SET TimeZone = 'UTC'")
    con.execute(
        f"CREATE VIEW access AS SELECT * FROM read_parquet('{a.archive}/**/*.parquet')")
    tz = spec["timezone"]
    params = {k: value(v) for k, v in spec["params"].items()}
    con.execute(
        f"""CREATE VIEW period AS SELECT *,
              (time AT TIME ZONE '{tz}') AS local_time,
              (time AT TIME ZONE '{tz}') AS wall_time,
              CAST(time AT TIME ZONE '{tz}' AS DATE) AS day
            FROM access WHERE time >= $from AND time < $to""".replace(
            "$from", f"TIMESTAMPTZ '{params['from'].isoformat()}'").replace(
            "$to", f"TIMESTAMPTZ '{params['to'].isoformat()}'"))
    for name, path, cols in [
        ("staff", a.staff, "user_id VARCHAR, name VARCHAR, department VARCHAR, role VARCHAR"),
        ("patients", a.patients, "patient_id VARCHAR, surname VARCHAR, vip BOOLEAN"),
        ("care_relations", a.care_relations,
         "patient_id VARCHAR, user_id VARCHAR, valid_from DATE, valid_to DATE"),
    ]:
        if path:
            con.execute(f"CREATE VIEW {name} AS SELECT * FROM read_csv('{path}', header=true)")
        else:
            con.execute(f"CREATE TABLE {name} ({cols})")
    result = {"sections": {}, "errors": {}, "ms": {}}
    for s in spec["sections"]:
        sql = s["sql"]
        for pattern, repl in REWRITES:
            sql = pattern.sub(repl, sql)
        try:
            started = time.monotonic()
            rows = con.execute(sql, params_for(sql, params)).fetchall()
            result["sections"][s["id"]] = len(rows)
            result["ms"][s["id"]] = round((time.monotonic() - started) * 1000)
        except Exception as e:  # noqa: BLE001 - reported, not hidden
            result["errors"][s["id"]] = str(e).splitlines()[0][:200]
    json.dump(result, sys.stdout)
    print()


if __name__ == "__main__":
    main()
