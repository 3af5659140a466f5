//! Mints a long-lived EdDSA JWT for benchmarks and manual tests, and optionally writes
//! the matching JWKS file (kid `k1`).
//!
//! ```sh
//! zegel-sidecar keygen --private jwt.pem --public jwt.pub.pem
//! zegel-mint-token --key jwt.pem --jwks jwks.json \
//!     --claims '{"iss":"https://idp","aud":"zegel","sub":"u1","roles":["arts"]}'
//! ```
//!
//! `iat`, `nbf` and `exp` are filled in unless the claims set them. The token goes to
//! stdout.

use clap::Parser;
use std::path::PathBuf;
use zegel_audit::keys::read_signing_key;
use zegel_tests::sidecar::{jwks, sign};

#[derive(Parser)]
#[command(about = "Mint an EdDSA JWT (kid k1) and optionally write its JWKS")]
struct Args {
    /// Ed25519 private key (PKCS#8 PEM, as written by `zegel-sidecar keygen`).
    #[arg(long)]
    key: PathBuf,
    /// Claims as a JSON object.
    #[arg(long)]
    claims: String,
    /// Lifetime when the claims have no `exp`, in seconds.
    #[arg(long, default_value_t = 86_400)]
    ttl_seconds: i64,
    /// Also write the JWKS with the public key here.
    #[arg(long)]
    jwks: Option<PathBuf>,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let key = read_signing_key(&args.key)?;
    let mut claims: serde_json::Value = serde_json::from_str(&args.claims)?;
    let Some(obj) = claims.as_object_mut() else {
        anyhow::bail!("--claims must be a JSON object");
    };
    let now = zegel_audit::now_us() / 1_000_000;
    obj.entry("iat").or_insert(now.into());
    obj.entry("nbf").or_insert((now - 5).into());
    obj.entry("exp").or_insert((now + args.ttl_seconds).into());
    if let Some(path) = &args.jwks {
        std::fs::write(path, jwks(&key).to_string())?;
    }
    println!("{}", sign(&key, &claims));
    Ok(())
}
