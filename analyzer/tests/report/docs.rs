//! docs/reports.md shows every report's SQL verbatim; this keeps it that way.

use zegel_analyzer::report::{
    adoption, compliance, daily, employee_access, patient_access, period, record_access, review,
    subject,
};

#[test]
fn docs_show_every_sql_verbatim() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/reports.md");
    let docs = std::fs::read_to_string(path).expect("docs/reports.md");
    let all = [
        ("PERIOD_SQL", period::PERIOD_SQL),
        ("subject::PATIENT_ROWS", subject::PATIENT_ROWS),
        ("subject::USER_ROWS", subject::USER_ROWS),
        ("patient_access::ACCESSES", patient_access::ACCESSES),
        ("patient_access::DENIED", patient_access::DENIED),
        ("employee_access::DAYS", employee_access::DAYS),
        ("employee_access::PATIENTS", employee_access::PATIENTS),
        ("employee_access::RECORDS", employee_access::RECORDS),
        ("daily::DAYS", daily::DAYS),
        ("record_access::USERS", record_access::USERS),
        ("record_access::RECORDS", record_access::RECORDS),
        ("review::EMERGENCY", review::EMERGENCY),
        ("review::DENIED", review::DENIED),
        ("review::CARE_RELATION", review::CARE_RELATION),
        ("review::SURNAME", review::SURNAME),
        ("review::VIP", review::VIP),
        ("review::DEPARTMENT", review::DEPARTMENT),
        ("review::VOLUME_EMPLOYEE", review::VOLUME_EMPLOYEE),
        ("review::VOLUME_RECORD", review::VOLUME_RECORD),
        ("review::OFF_HOURS", review::OFF_HOURS),
        ("review::ADMIN", review::ADMIN),
        ("adoption::USAGE", adoption::USAGE),
        ("adoption::ROLES", adoption::ROLES),
        ("compliance::PER_DAY", compliance::PER_DAY),
        ("compliance::LIFECYCLE", compliance::LIFECYCLE),
        ("compliance::LOADS", compliance::LOADS),
        ("compliance::USE", compliance::USE),
    ];
    for (name, sql) in all {
        assert!(
            docs.contains(&format!("```sql\n{sql}\n```")),
            "docs/reports.md lacks {name} verbatim"
        );
    }
}
