//! `--chains K` writes K chains into one database, as K sidecars would; each verifies
//! against its signed checkpoints, in the database and in its own checkpoint file.

use crate::common::{head, log};
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

/// `--only-chain N` writes exactly chain N of a run that writes them all (same records,
/// same head), and nothing of the others; the ground truth says which chains it wrote.
#[tokio::test]
async fn one_chain_at_a_time_gives_the_same_chains() {
    let full = log(|a| a.chains = 3).await;
    for n in 1..=3u32 {
        let chain = format!("demo-sidecar-1-{n}");
        let mut a = crate::common::args(full.dir.path(), &format!("only-{n}"));
        (a.chains, a.only_chain) = (3, Some(n));
        a.directory_out = Some(full.dir.path().join(format!("out-{n}")));
        let s = zegel_analyzer::generate::generate(&a).await.expect("gen");
        assert_eq!(s.chains, [chain.as_str()]);
        assert_eq!(
            head(&a.db, &chain).await,
            head(&full.url, &chain).await,
            "chain {n} alone and chain {n} of all three"
        );
        let store = Store::open(&a.db, &StoreOptions::default())
            .await
            .expect("open");
        let ids: Vec<String> = (store.chains().await.expect("chains").into_iter())
            .map(|c| c.chain_id)
            .collect();
        assert_eq!(ids, [chain.as_str()], "only chain {n} is in its database");
        let truth =
            std::fs::read_to_string(full.dir.path().join(format!("out-{n}/incidents.json")))
                .expect("incidents.json");
        let truth: serde_json::Value = serde_json::from_str(&truth).expect("JSON");
        assert_eq!(truth["chains_written"], serde_json::json!([chain]));
    }
}
