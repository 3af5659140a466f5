//! Directory tables from CSV: joined with the log, and refused with file, line and
//! column when a file is not in the documented form (including a person listed twice).

use crate::common::{lines, rows, sqlite_log};
use std::path::Path;
use zegel_analyzer::Error;
use zegel_analyzer::session::{self, Tables};

fn write(dir: &Path, name: &str, text: &str) -> std::path::PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).expect("write csv");
    p
}

#[tokio::test]
async fn csv_tables_join_the_log() {
    let dir = tempfile::tempdir().expect("tempdir");
    let url = sqlite_log(dir.path(), "c1", 2000).await;
    let mut staff = String::from("user_id,name,department,role\n");
    for i in 0..400 {
        staff.push_str(&format!(
            "emp-{i:04},\"Medewerker, {i}\",dept-{},arts\n",
            i % 3
        ));
    }
    let patients = "patient_id,surname,vip\npat-00001,Jansen,ja\npat-00002,de Vries,false\n";
    let care = "patient_id,user_id,valid_from,valid_to\n\
                pat-00001,emp-0001,2026-01-01,\n\
                pat-00002,cardiologie,2025-06-01,2025-12-31\n";
    let tables = Tables {
        sources: vec![url],
        staff: Some(write(dir.path(), "staff.csv", &staff)),
        patients: Some(write(dir.path(), "patients.csv", patients)),
        care_relations: Some(write(dir.path(), "care.csv", care)),
        ..Tables::default()
    };
    let ctx = session::open(&tables).await.expect("session");
    let unknown = rows(
        &ctx,
        "SELECT count(*) FROM access a LEFT JOIN staff s ON a.user_id = s.user_id \
         WHERE a.kind = 'access' AND s.user_id IS NULL",
    )
    .await;
    assert_eq!(lines(&unknown), ["0"], "every user is in the staff table");
    let named = rows(&ctx, "SELECT name FROM staff WHERE user_id = 'emp-0007'").await;
    assert_eq!(lines(&named), ["Medewerker, 7"]);
    let vip = rows(&ctx, "SELECT patient_id FROM patients WHERE vip").await;
    assert_eq!(lines(&vip), ["pat-00001"]);
    let open = rows(
        &ctx,
        "SELECT user_id, valid_from FROM care_relations WHERE valid_to IS NULL",
    )
    .await;
    assert_eq!(lines(&open), ["emp-0001|2026-01-01"]);
    let sql = "SELECT count(*) FROM access a JOIN care_relations c \
               ON a.patient_id = c.patient_id \
               AND a.time >= c.valid_from AND (c.valid_to IS NULL OR a.time < c.valid_to)";
    rows(&ctx, sql).await;
}

async fn load_error(file: &str, text: &str) -> String {
    let dir = tempfile::tempdir().expect("tempdir");
    let url = sqlite_log(dir.path(), "c1", 1).await;
    let path = write(dir.path(), file, text);
    let tables = Tables {
        sources: vec![url],
        staff: (file == "staff.csv").then(|| path.clone()),
        patients: (file == "patients.csv").then(|| path.clone()),
        care_relations: (file == "care.csv").then(|| path.clone()),
        ..Tables::default()
    };
    let err = crate::common::fails(session::open(&tables).await, "load");
    assert!(matches!(err, Error::Csv { .. }), "{err}");
    err.to_string()
}

#[tokio::test]
async fn malformed_csv_names_file_line_and_column() {
    let cases = [
        (
            "patients.csv",
            "patient_id,surname,vip\np1,A,true\np2,B,misschien\n",
            "patients.csv: line 3, column vip: \"misschien\" is not a boolean",
        ),
        (
            "care.csv",
            "patient_id,user_id,valid_from,valid_to\np1,u1,2026-02-30,\n",
            "care.csv: line 2, column valid_from: \"2026-02-30\" is not a date",
        ),
        (
            "staff.csv",
            "user_id,name,departement,role\n",
            "staff.csv: line 1, column departement: unknown column",
        ),
        (
            "staff.csv",
            "user_id,name,role\n",
            "staff.csv: line 1, column department: missing column",
        ),
        (
            "staff.csv",
            "user_id,name,department,role\nu1,a,b,c\n,a,b,c\n",
            "staff.csv: line 3, column user_id: empty, but this column is required",
        ),
        (
            "staff.csv",
            "user_id,name,department,role\nu1,a,b\n",
            "staff.csv: line 2, column -: 3 fields, the header has 4",
        ),
        (
            "staff.csv",
            "user_id,name,department,role\nu1,a,b,c\nu2,a,b,c\nu1,d,e,f\n",
            "staff.csv: line 4, column user_id: \"u1\" is also on line 2; it must be unique",
        ),
        (
            "patients.csv",
            "patient_id,surname,vip\np1,A,true\np1,A,true\n",
            "patients.csv: line 3, column patient_id: \"p1\" is also on line 2",
        ),
    ];
    for (file, text, want) in cases {
        let msg = load_error(file, text).await;
        assert!(
            msg.contains(want),
            "{file}: {msg:?} should contain {want:?}"
        );
    }
}
