//! The store and writer against a real SQLite file and the real PostgreSQL.
//!
//! Each case runs on both backends; the PostgreSQL variant runs when
//! `ZEGEL_TEST_POSTGRES_URL` is set (CI sets it) and uses a schema of its own.

mod store_cases;

macro_rules! on_both {
    ($($name:ident),+ $(,)?) => {
        mod sqlite {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                let dir = tempfile::tempdir().expect("tempdir");
                let url = format!("sqlite:{}", dir.path().join("log.db").display());
                super::store_cases::$name(&url, dir.path()).await;
            })+
        }
        mod postgres {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                let Some(pg) = zegel_tests::pg::schema(stringify!($name)).await else { return };
                let dir = tempfile::tempdir().expect("tempdir");
                super::store_cases::$name(&pg.url, dir.path()).await;
            })+
        }
    };
}

on_both!(
    records_round_trip_exactly,
    concurrent_submitters_get_contiguous_sequences,
    commit_failure_leaves_no_trace_and_chain_resumes,
    restart_resumes_the_chain,
    refuses_to_resume_a_tampered_tail,
    refuses_a_second_writer_on_the_same_chain,
    refuses_to_resume_a_truncated_chain,
    verify_pinpoints_tampering_in_the_database,
    killed_writer_leaves_a_verifying_chain_with_every_acknowledged_record,
    invalid_records_are_refused_without_harming_others,
    deferred_records_join_the_next_commit,
    detached_records_land_in_queue_order,
    pruning_needs_an_archive_mark_and_the_seam_verifies,
);
