//! `report compliance` from the real binary over a `gen` log (`pack.rs`): a snapshot of
//! the whole pack, a tampered log that fails with chain and record and exit 1, the
//! languages, the planted incidents in the findings, the crash, outage and silence in
//! the coverage, and PDF through Chromium.

use crate::pack::{CHAIN, Pack, REFUSED};
use crate::process::analyzer;
use serde_json::Value;
use std::process::Output;

/// The period of most tests: Tuesday 01-06 (after the first policy load) to 01-14.
const PERIOD: [&str; 4] = ["--from", "2026-01-06", "--to", "2026-01-14"];

fn run(pack: &Pack, extra: &[&str]) -> Output {
    let mut args = pack.args();
    args.extend(extra.iter().map(|s| s.to_string()));
    analyzer(&args.iter().map(String::as_str).collect::<Vec<_>>())
}

/// Runs the pack with `--format FORMAT -o DIR/pack.FORMAT`; the run and the file.
fn written(pack: &Pack, format: &str) -> (Output, std::path::PathBuf) {
    let file = pack.dir.path().join(format!("pack.{format}"));
    let path = file.display().to_string();
    (run(pack, &["--format", format, "-o", &path]), file)
}

/// Asserts the exit status, showing what the analyzer said when it differs.
fn assert_exit(o: &Output, code: i32) {
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(code), "{err}");
}

fn json_of(o: &Output) -> Value {
    serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&o.stderr)))
}

fn section<'a>(doc: &'a Value, id: &str) -> &'a Value {
    (doc["sections"].as_array().expect("sections").iter())
        .find(|s| s["id"] == id)
        .unwrap_or_else(|| panic!("no section {id}"))
}

fn rows<'a>(doc: &'a Value, id: &str) -> &'a Vec<Value> {
    section(doc, id)["rows"].as_array().expect("rows")
}

/// Values that differ from run to run: when it was made, where the files are, and the
/// checkpoints the writer signs with the wall clock's time.
fn stable(text: &str, pack: &Pack) -> Value {
    let dir = pack.dir.path().display().to_string();
    let mut doc: Value = serde_json::from_str(&text.replace(&dir, "$DIR")).expect("json");
    doc["generated_at"] = "(varies)".into();
    for s in doc["sections"].as_array_mut().expect("sections") {
        for row in s["rows"].as_array_mut().expect("rows") {
            for key in ["checkpoint_time", "signature", "signatures_verified"] {
                if let Some(v) = row.get_mut(key).filter(|v| !v.is_null()) {
                    *v = "(varies)".into();
                }
            }
            let signed = row["item"]
                .as_str()
                .is_some_and(|i| i.starts_with("Last signed"));
            if signed {
                row["value"] = "(varies)".into();
            }
        }
    }
    doc
}

#[tokio::test]
async fn the_pack_matches_its_snapshot() {
    let pack = Pack::new().await;
    let o = run(
        &pack,
        &[&PERIOD[..], &["--lang", "en", "--format", "json"]].concat(),
    );
    assert_exit(&o, 0);
    let got = stable(&String::from_utf8_lossy(&o.stdout), &pack);
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/report/snapshots/compliance.json"
    );
    let text = format!("{got:#}\n");
    if std::env::var_os("ZEGEL_UPDATE_SNAPSHOTS").is_some() {
        std::fs::write(path, &text).expect("write snapshot");
    }
    let want =
        std::fs::read_to_string(path).expect("snapshot (ZEGEL_UPDATE_SNAPSHOTS=1 writes it)");
    assert!(
        text == want,
        "the pack differs from {path}; look at the difference and run again with \
         ZEGEL_UPDATE_SNAPSHOTS=1 if it is right:\n{text}"
    );
}

#[tokio::test]
async fn a_tampered_record_fails_the_pack_with_its_chain_and_seq() {
    let pack = Pack::new().await;
    let seq = tamper(&pack, "demo-sidecar-1-2").await;
    let (o, html) = written(&pack, "html");
    assert_exit(&o, 1);
    let page = std::fs::read_to_string(&html).expect("the pack is written all the same");
    let place = format!(
        "keten demo-sidecar-1-2 (sqlite:{}) bij record {seq}",
        pack.db().display()
    );
    assert!(page.contains("<div class=\"verdict failed\">"), "{page}");
    assert!(
        page.contains(&format!("INTEGRITEIT GEFAALD: {place}")),
        "{page}"
    );
    let o = run(&pack, &["--format", "json"]);
    assert_eq!(o.status.code(), Some(1));
    let doc = json_of(&o);
    assert_eq!(doc["verdict"]["ok"], false);
    let failed: Vec<&Value> = (rows(&doc, "compliance.integrity").iter())
        .filter(|r| r["verified"] == false)
        .collect();
    assert_eq!(failed.len(), 1, "only the tampered chain fails");
    assert_eq!(failed[0]["chain_id"], "demo-sidecar-1-2");
    assert_eq!(failed[0]["problem_seq"], seq);
    assert_eq!(failed[0]["problem_kind"], "hash-mismatch");
}

/// Flips one byte of the stored encoding of an access record (`/fhir/` becomes
/// `/fhiR/` in its path) the way a database administrator could; returns its seq.
async fn tamper(pack: &Pack, chain: &str) -> i64 {
    use zegel_audit::store::{Store, StoreOptions, rows::Row};
    let store = Store::open(&pack.url, &StoreOptions::default())
        .await
        .expect("open");
    let page = store.read_page(chain, 2_000, 500).await.expect("read");
    let seq = (page.iter())
        .find_map(|r| match r {
            Row::Record(r)
                if r.event
                    .path
                    .as_deref()
                    .is_some_and(|p| p.starts_with("/fhir/")) =>
            {
                Some(r.seq)
            }
            _ => None,
        })
        .expect("an access to /fhir/");
    store
        .execute_raw("DROP TRIGGER zegel_records_no_update".into())
        .await
        .expect("drop the guard");
    let flip = format!(
        "UPDATE zegel_records SET record = unhex(replace(hex(record), '2F666869722F', \
         '2F666869522F')) WHERE chain_id = '{chain}' AND seq = {seq}"
    );
    assert_eq!(store.execute_raw(flip).await.expect("flip"), 1);
    i64::try_from(seq).expect("seq")
}

#[tokio::test]
async fn a_broken_row_still_gives_a_pack() {
    let pack = Pack::new().await;
    // Editing a column the database keeps beside the sealed record makes the row
    // unreadable for queries as well: chapters that read it say so; the pack is written.
    let store = zegel_audit::store::Store::open(&pack.url, &Default::default())
        .await
        .expect("open");
    store
        .execute_raw("DROP TRIGGER zegel_records_no_update".into())
        .await
        .expect("drop the guard");
    let edit = "UPDATE zegel_records SET user_id = 'emp-00001' \
                WHERE chain_id = 'demo-sidecar-1-2' AND seq = 3000 AND user_id IS NOT NULL";
    assert_eq!(store.execute_raw(edit.into()).await.expect("edit"), 1);
    let o = run(&pack, &["--format", "json", "--lang", "en"]);
    assert_exit(&o, 1);
    let doc = json_of(&o);
    let coverage = section(&doc, "compliance.coverage");
    assert_eq!(coverage["ran"], false);
    let alert = coverage["alerts"][0].as_str().expect("an alert");
    assert!(alert.starts_with("Could not be computed"), "{alert}");
    assert!(
        alert.contains("demo-sidecar-1-2") && alert.contains("3000"),
        "{alert}"
    );
}

#[tokio::test]
async fn dutch_by_default_english_on_request() {
    let pack = Pack::new().await;
    let nl = String::from_utf8(run(&pack, &PERIOD).stdout).expect("utf-8");
    assert!(nl.starts_with("Bewijsdossier toegangslogging\n"), "{nl}");
    assert!(nl.contains("\nOordeel: in orde: 2 keten(s), "), "{nl}");
    assert!(nl.contains("\n2. Integriteit van het log\n"), "{nl}");
    let en = String::from_utf8(run(&pack, &[&PERIOD[..], &["--lang", "en"]].concat()).stdout)
        .expect("utf-8");
    assert!(en.starts_with("Access logging evidence pack\n"), "{en}");
    assert!(en.contains("\nVerdict: OK: 2 chain(s), "), "{en}");
    assert!(en.contains("\n7. NEN 7510 controls\n"), "{en}");
}

#[tokio::test]
async fn the_findings_count_the_planted_incidents() {
    let pack = Pack::new().await;
    let doc = json_of(&run(&pack, &["--format", "json", "--lang", "en"]));
    let findings = rows(&doc, "compliance.findings");
    let count = |check: &str| {
        (findings.iter())
            .find(|r| r["check"] == check)
            .unwrap_or_else(|| panic!("no check {check}"))["findings"]
            .clone()
    };
    let truth = pack.truth();
    let planted = |kind: &str| -> usize {
        (truth["incidents"].as_array().expect("incidents").iter())
            .filter(|i| i["kind"] == kind)
            .map(|i| i["accesses"].as_array().map_or(0, Vec::len))
            .sum()
    };
    // One row per break-the-glass use; the background traffic never uses it.
    assert_eq!(
        count("Emergency procedure (break-the-glass)"),
        planted("break-the-glass")
    );
    assert!(count("Unusually many patients per day").as_u64() >= Some(2));
    // The pack counts what `report review` lists, check by check.
    let mut review = pack.args();
    review[1] = "review".into();
    review.extend(["--format", "json", "--lang", "en"].map(str::to_owned));
    let review = json_of(&analyzer(
        &review.iter().map(String::as_str).collect::<Vec<_>>(),
    ));
    for s in review["sections"].as_array().expect("sections") {
        let n = s["rows"].as_array().map_or(0, Vec::len);
        assert_eq!(count(s["title"].as_str().expect("title")), n, "{}", s["id"]);
    }
}

#[tokio::test]
async fn checks_without_their_table_are_not_run_rather_than_zero() {
    let pack = Pack::new().await;
    let url = pack.url.clone();
    let o = analyzer(&["report", "compliance", "--source", &url, "--format", "json"]);
    let doc = json_of(&o);
    let vip = (rows(&doc, "compliance.findings").iter())
        .find(|r| r["check"] == "VIP-dossiers")
        .expect("the VIP check");
    assert_eq!(vip["findings"], Value::Null);
    assert_eq!(
        vip["status"],
        "Niet uitgevoerd: deze controle heeft --patients nodig."
    );
    // Without --public-key the pack says signatures were not checked.
    let heads = section(&doc, "compliance.checkpoints");
    assert!(
        heads["notes"][0]
            .as_str()
            .is_some_and(|n| n.contains("NIET gecontroleerd"))
    );
}

#[tokio::test]
async fn coverage_shows_the_crash_the_outage_and_the_silence() {
    let pack = Pack::new().await;
    let doc = json_of(&run(&pack, &[&PERIOD[..], &["--format", "json"]].concat()));
    let chain = (rows(&doc, "compliance.coverage").iter())
        .find(|r| r["chain_id"] == CHAIN)
        .expect("chain 1");
    assert_eq!(chain["unclean_starts"], 1);
    assert_eq!(chain["notices"], 1);
    assert_eq!(chain["refused"], REFUSED);
    let events = rows(&doc, "compliance.lifecycle");
    let notice = events
        .iter()
        .find(|e| e["kind"] == "notice")
        .expect("notice");
    assert_eq!(
        (&notice["outage_from"], &notice["outage_to"]),
        (&"2026-01-14 11:00:00".into(), &"2026-01-14 12:00:00".into())
    );
    let crash = (events.iter())
        .find(|e| e["unclean_start"] == true)
        .expect("the start without a stop");
    assert_eq!(crash["time"], "2026-01-14 13:00:00");
    let silences = rows(&doc, "compliance.silences");
    assert!(
        silences.iter().any(|s| s["chain_id"] == CHAIN
            && s["from_time"] == "2026-01-14 09:00:00"
            && s["to_time"] == "2026-01-14 12:00:00"),
        "{silences:?}"
    );
    // The policy loaded on Monday is in force at Tuesday's start, per chain.
    let loads = rows(&doc, "compliance.policy-loads");
    assert_eq!(
        loads
            .iter()
            .filter(|l| l["in_force_at_start"] == true)
            .count(),
        2
    );
    assert!(loads.iter().any(|l| l["changed"] == true), "{loads:?}");
}

#[tokio::test]
async fn the_html_pack_stands_alone() {
    let pack = Pack::new().await;
    let (o, file) = written(&pack, "html");
    assert_exit(&o, 0);
    let html = std::fs::read_to_string(&file).expect("html");
    // The log's own text may hold a URL (a start record's upstream); the page may not
    // load anything: no scripts, images, style sheets, fonts or frames from elsewhere.
    for external in [
        "<script", " src=", "<link", "url(", "@import", "<iframe", "<object",
    ] {
        assert!(!html.contains(external), "{external}");
    }
    for href in html
        .match_indices("href=\"")
        .map(|(i, _)| &html[i + 6..i + 7])
    {
        assert_eq!(href, "#", "only links within the page");
    }
    crate::formats::assert_balanced(&html);
    assert!(html.contains("@media print") && html.contains("break-before:page"));
    assert_eq!(html.matches("<h2 class=\"chapter\"").count(), 7);
    assert_eq!(
        html.matches("<svg").count(),
        3,
        "records per day, users and requests"
    );
}

#[tokio::test]
async fn pdf_is_printed_by_chromium() {
    let required = std::env::var_os("ZEGEL_REQUIRE_CHROMIUM").is_some_and(|v| v == "1");
    if zegel_analyzer::report::pdf::find().is_err() {
        assert!(
            !required,
            "ZEGEL_REQUIRE_CHROMIUM=1 but no Chromium was found"
        );
        eprintln!("skipped: no Chromium (apt-get install -y chromium)");
        return;
    }
    let pack = Pack::new().await;
    let (o, pdf) = written(&pack, "pdf");
    assert_exit(&o, 0);
    let bytes = std::fs::read(&pdf).expect("pdf");
    assert!(bytes.starts_with(b"%PDF-"), "not a PDF");
    assert!(bytes.len() > 20_000, "a PDF of {} bytes", bytes.len());
}

#[tokio::test]
async fn a_missing_chromium_is_a_usage_error_that_says_how_to_get_it() {
    let pack = Pack::new().await;
    let pdf = pack.dir.path().join("pack.pdf");
    let mut args = pack.args();
    args.extend(["--format", "pdf", "-o", &pdf.display().to_string()].map(str::to_owned));
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_zegel-analyzer"))
        .args(&args)
        .env("ZEGEL_CHROMIUM", pack.dir.path().join("no-chromium-here"))
        .output()
        .expect("run");
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("apt-get install -y chromium"), "{err}");
    assert!(!pdf.exists());
    let o = run(&pack, &["--format", "pdf"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--format pdf needs --output FILE"));
}
