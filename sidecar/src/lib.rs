//! zegel-sidecar: the access layer in front of an e-health application.
//!
//! Today it manages the checkpoint signing key; the request path (server -> normalize ->
//! identity -> route -> authz -> audit -> proxy) is built on `zegel-audit`'s writer.

pub mod cli;
pub mod keygen;
