//! The real `zegel-sidecar` binary as an operator runs it: `check-config` explains a bad
//! config, `run` serves until SIGTERM, then drains, records the stop and exits 0.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, BufReader};
use zegel_audit::EventKind;
use zegel_audit::store::rows::Row;
use zegel_tests::sidecar::{Harness, Options};

/// The sidecar binary, built if this test run has not built it yet.
fn sidecar_bin() -> PathBuf {
    let exe = std::env::current_exe().expect("test exe");
    let dir = exe.parent().and_then(|d| d.parent()).expect("target dir");
    let bin = dir.join("zegel-sidecar");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let status = std::process::Command::new(cargo)
        .args([
            "build",
            "-q",
            "-p",
            "zegel-sidecar",
            "--bin",
            "zegel-sidecar",
        ])
        .status()
        .expect("cargo build");
    assert!(status.success());
    assert!(bin.exists(), "{} missing", bin.display());
    bin
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_config_names_what_is_wrong_and_where() {
    let h = Harness::prepare(Options::default()).await;
    let good = std::fs::read_to_string(h.config_path()).expect("config");
    let out = std::process::Command::new(sidecar_bin())
        .args(["check-config", "--config"])
        .arg(h.config_path())
        .output()
        .expect("run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let cases = [
        (
            good.replace("[limits]", "[limits]\nmax_bodybytes = 5"),
            "max_bodybytes",
        ),
        (
            good.replace("chain_id = \"e2e-sidecar\"", "chain_id = \"has space\""),
            "chain_id",
        ),
        (
            good.replace("pattern = \"/slow\"", "pattern = \"slow\""),
            "route 3",
        ),
        (
            good.replace("policy = \"policy.csv\"", "policy = \"missing.csv\""),
            "missing.csv",
        ),
    ];
    for (text, expect) in cases {
        let path = h.path().join("bad.toml");
        std::fs::write(&path, text).expect("write");
        let out = std::process::Command::new(sidecar_bin())
            .args(["check-config", "--config"])
            .arg(&path)
            .output()
            .expect("run");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{expect}: {err}");
        assert!(err.contains(expect), "expected {expect:?} in: {err}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_serves_until_sigterm_then_drains_and_records_the_stop() {
    let h = Harness::prepare(Options::default()).await;
    let mut child = tokio::process::Command::new(sidecar_bin())
        .args(["run", "--config"])
        .arg(h.config_path())
        .env("ZEGEL_LISTEN", "127.0.0.1:0")
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("spawn sidecar");
    let mut lines = BufReader::new(child.stderr.take().expect("stderr")).lines();
    let addr = loop {
        let line = tokio::time::timeout(Duration::from_secs(30), lines.next_line())
            .await
            .expect("sidecar starts in time")
            .expect("read")
            .expect("sidecar exited before serving");
        if let Some(rest) = line.split("listen=").nth(1) {
            break rest.split_whitespace().next().expect("address").to_owned();
        }
    };
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    let token = h.token("nurse-1", &["verpleegkundige"]);
    let out = tokio::process::Command::new("curl")
        .args(["-s", "-o", "/dev/null", "-w", "%{http_code}", "-H"])
        .arg(format!("Authorization: Bearer {token}"))
        .arg(format!("http://{addr}/fhir/Patient/p-1"))
        .output()
        .await;
    if let Ok(out) = out {
        assert_eq!(String::from_utf8_lossy(&out.stdout), "200");
    }
    let pid = child.id().expect("pid");
    let kill = std::process::Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .expect("kill");
    assert!(kill.success());
    let status = tokio::time::timeout(Duration::from_secs(20), child.wait())
        .await
        .expect("exits after SIGTERM")
        .expect("wait");
    assert!(status.success(), "exit status {status}");
    let (summary, rows) = h.verify().await;
    let last = match rows.last() {
        Some(Row::Record(r)) => r.event.kind,
        other => panic!("{other:?}"),
    };
    assert_eq!(last, EventKind::Stop);
    assert_eq!(
        summary.last_checkpoint.map(|c| c.seq),
        Some(summary.records)
    );
}
