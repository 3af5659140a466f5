//! The real `zegel-analyzer` binary as a process. Shared by test targets through
//! `#[path]`.

use std::process::{Command, Output};

/// Runs `zegel-analyzer` with `args` (without a `ZEGEL_SOURCE` from the environment).
pub fn analyzer(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_zegel-analyzer"))
        .args(args)
        .env_remove("ZEGEL_SOURCE")
        .output()
        .expect("run zegel-analyzer")
}

/// Standard output of a run that must succeed.
pub fn stdout(o: &Output) -> String {
    assert!(
        o.status.success(),
        "exit {:?}: {}",
        o.status.code(),
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout.clone()).expect("utf-8")
}
