//! `--chains K` writes K chains into one database, as K sidecars would; each verifies
//! against its signed checkpoints, in the database and in its own checkpoint file.

use crate::common::log;
use zegel_audit::checkpoint::read_file;
use zegel_audit::keys::read_public_key;
use zegel_audit::store::{Store, StoreOptions};
use zegel_audit::verify::verify_store_chain;

#[tokio::test]
async fn several_chains_verify() {
    let log = log(|a| a.chains = 3).await;
    let s = &log.summary;
    assert_eq!(
        s.chains,
        ["demo-sidecar-1-1", "demo-sidecar-1-2", "demo-sidecar-1-3"]
    );
    let store = Store::open(&log.url, &StoreOptions::default())
        .await
        .expect("open");
    let key = read_public_key(&log.dir.path().join("signing.pub.pem")).expect("public key");
    let mut total = 0;
    for (i, chain) in s.chains.iter().enumerate() {
        let file = log.dir.path().join(format!("log-{}.checkpoints", i + 1));
        let cps = read_file(&file).expect("checkpoint file");
        assert!(
            !cps.is_empty(),
            "{chain}: checkpoints in {}",
            file.display()
        );
        let summary = verify_store_chain(&store, chain, &[key], Some(&cps))
            .await
            .expect("read")
            .unwrap_or_else(|p| panic!("{chain} does not verify: {p}"));
        assert!(summary.signatures_checked && summary.checkpoints_verified > 0);
        total += summary.records;
    }
    assert_eq!(total, s.records);
    // Background accesses are split over the chains; each access has its outcome.
    let ctx = log.session().await;
    let r = crate::common::rows(&ctx, "SELECT count(DISTINCT chain_id), \
        sum(CASE WHEN kind = 'access' THEN 1 ELSE 0 END) - sum(CASE WHEN kind = 'outcome' THEN 1 ELSE 0 END) \
        FROM access").await;
    assert_eq!(r, [["3", "0"]]);
}
