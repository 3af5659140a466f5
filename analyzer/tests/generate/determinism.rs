//! The same seed gives the same chain, record for record; another seed does not.

use crate::common::{args, head};

#[tokio::test]
async fn same_seed_same_head_hash() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut heads = Vec::new();
    for (name, seed) in [("a", 7513), ("b", 7513), ("c", 7514)] {
        let mut a = args(dir.path(), name);
        a.seed = seed;
        zegel_analyzer::generate::generate(&a).await.expect("gen");
        heads.push(head(&a.db, &a.chain).await);
    }
    assert_eq!(heads[0], heads[1], "same seed, same chain");
    assert_ne!(heads[0].1, heads[2].1, "another seed, another chain");
}
