//! The directory files load with the analyzer's own CSV loader and agree with the log:
//! every user and patient in the log is in them, and care relations name only staff,
//! departments and patients that exist.

use crate::common::{log, rows};
use zegel_analyzer::directory::{CARE_RELATIONS, PATIENTS, STAFF};

#[tokio::test]
async fn directory_files_load_and_match_the_log() {
    let log = log(|_| {}).await;
    for (dir, file) in [
        (&STAFF, "staff.csv"),
        (&PATIENTS, "patients.csv"),
        (&CARE_RELATIONS, "care_relations.csv"),
    ] {
        dir.load(&log.out.join(file))
            .unwrap_or_else(|e| panic!("{file}: {e}"));
    }
    let ctx = log.session().await;
    let zero = [["0".to_owned()]];
    let checks = [
        "SELECT count(*) FROM access a WHERE a.user_id IS NOT NULL \
         AND a.user_id NOT IN (SELECT user_id FROM staff)",
        "SELECT count(*) FROM access a WHERE a.patient_id IS NOT NULL \
         AND a.patient_id NOT IN (SELECT patient_id FROM patients)",
        "SELECT count(*) FROM care_relations c WHERE c.patient_id NOT IN (SELECT patient_id FROM patients)",
        "SELECT count(*) FROM care_relations c WHERE c.user_id NOT IN (SELECT user_id FROM staff) \
         AND c.user_id NOT IN (SELECT department FROM staff)",
        // The log says the same about a user as the staff table.
        "SELECT count(*) FROM access a JOIN staff s ON a.user_id = s.user_id \
         WHERE a.user_name <> s.name OR a.department <> s.department OR NOT array_has(a.roles, s.role)",
    ];
    for sql in checks {
        assert_eq!(rows(&ctx, sql).await, zero, "{sql}");
    }
    let vip = rows(&ctx, "SELECT count(*) FROM patients WHERE vip").await;
    assert_ne!(vip, zero, "some patients are VIPs");
    let admins = rows(
        &ctx,
        "SELECT count(*) FROM staff WHERE role IN ('functioneel-beheerder', 'security-officer')",
    )
    .await;
    assert_ne!(admins, zero, "some staff are administrators");
}
