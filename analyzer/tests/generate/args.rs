//! Bad arguments end `gen` with exit status 2 and a message that names the problem.

use std::process::Command;

fn run_gen(args: &[&str]) -> (Option<i32>, String) {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = format!("sqlite:{}", dir.path().join("x.db").display());
    let o = Command::new(env!("CARGO_BIN_EXE_zegel-analyzer"))
        .args(["gen", "--db", &db])
        .args(args)
        .current_dir(dir.path())
        .output()
        .expect("run zegel-analyzer");
    (
        o.status.code(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

#[test]
fn bad_arguments_exit_2_with_a_clear_message() {
    let cases: &[(&[&str], &str)] = &[
        (&["--key", "k.pem", "--chains", "0"], "--chains"),
        (&["--key", "k.pem", "--chains", "65"], "--chains"),
        (&["--key", "k.pem", "--records", "0"], "--records"),
        (&["--key", "k.pem", "--days", "0"], "--days"),
        (&["--key", "k.pem", "--staff", "10"], "--staff"),
        (&["--key", "k.pem", "--incidents", "many"], "--incidents"),
        (&["--key", "k.pem", "--profile", "flat"], "--profile"),
        (&["--key", "k.pem", "--only-chain", "0"], "--only-chain"),
        (
            &["--key", "k.pem", "--chains", "3", "--only-chain", "4"],
            "--only-chain 4 names no chain",
        ),
        (&["--records", "5"], "--key"),
        (
            &["--key", "k.pem", "--profile", "uniform", "--days", "2"],
            "--profile hospital",
        ),
        (&["--key", "missing.pem", "--records", "5"], "missing.pem"),
    ];
    for (args, says) in cases {
        let (code, err) = run_gen(args);
        assert_eq!(code, Some(2), "{args:?}: {err}");
        assert!(
            err.contains(says),
            "{args:?}: message should name {says}: {err}"
        );
    }
}
