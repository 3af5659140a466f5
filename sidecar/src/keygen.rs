//! `keygen`: a new checkpoint signing key pair.

use crate::cli::KeygenArgs;
use zegel_audit::keys::{KeyError, generate, key_id, write_pair};

/// Creates the key files and returns the new key's id.
pub fn run(args: &KeygenArgs) -> Result<String, KeyError> {
    let key = generate()?;
    write_pair(&key, &args.private, &args.public)?;
    Ok(key_id(&key.verifying_key()))
}
