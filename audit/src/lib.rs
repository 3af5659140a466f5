//! zegel-audit: the access-log contract shared by the sidecar (writer) and the analyzer
//! (verifier).
//!
//! The flow of a record: the sidecar builds an [`Event`] (`record.rs`) and submits it to
//! the [`writer`], which gives it the next sequence number, hashes it onto the chain
//! (`chain.rs` over `encode.rs`), commits a batch through the [`store`], acknowledges,
//! and now and then signs a [`checkpoint`] with a key from [`keys`]. The [`verify`]
//! module walks a chain back and reports the first place it breaks.
//! The byte format is specified in `docs/log-format.md`.

pub mod chain;
pub mod checkpoint;
pub mod encode;
pub mod error_text;
pub mod fields;
pub mod keys;
pub mod record;
pub mod store;
pub mod verify;
pub mod writer;

pub use chain::{Chainer, Hash, genesis};
pub use checkpoint::Checkpoint;
pub use error_text::error_text;
pub use fields::Fields;
pub use record::{Action, Decision, Event, EventKind, SealedRecord, now_us};
pub use store::{Store, StoreError, StoreOptions};
