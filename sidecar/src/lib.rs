//! zegel-sidecar: the access layer in front of an e-health application.
//!
//! Modules follow a request: `server` (accept, TLS, HTTP/1.1 and h2) -> `handler`
//! (the stages in order) -> `normalize` (canonical path) -> `identity` (who) -> `route`
//! (what) -> `authz` (may they) -> `audit` (durable record first) -> `proxy` (forward).
//! `config` describes the deployment, `app` assembles it, `error` maps refusals to
//! responses, and `metrics` is the one place counters live.

pub mod app;
pub mod audit;
pub mod authz;
pub mod cli;
pub mod config;
pub mod error;
pub mod handler;
pub mod identity;
pub mod keygen;
pub mod metrics;
pub mod normalize;
pub mod proxy;
pub mod route;
pub mod server;
pub mod tls;
