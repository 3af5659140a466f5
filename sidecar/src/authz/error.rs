//! Why a model or policy could not be loaded.
//!
//! A policy that does not load is never swapped in: the sidecar keeps deciding with the
//! snapshot it has. The error therefore names the file, the line and the problem, so
//! that whoever edited the policy can fix it without reading Casbin's internals.

use std::path::PathBuf;

/// A model or policy file that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum PolicyError {
    /// The file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// What the operating system said.
        source: std::io::Error,
    },
    /// A policy line is malformed.
    #[error("{path}:{line}: {problem}")]
    Line {
        /// The policy file.
        path: PathBuf,
        /// 1-based line number.
        line: usize,
        /// What is wrong with it.
        problem: String,
    },
    /// The model is valid Casbin but not one the decision stage can index.
    #[error("{path}: {problem}")]
    Model {
        /// The model file.
        path: PathBuf,
        /// What is wrong with it.
        problem: String,
    },
    /// Casbin refused the model or policy.
    #[error("{path}: casbin: {source}")]
    Casbin {
        /// The file Casbin was reading.
        path: PathBuf,
        /// Casbin's error.
        source: casbin::Error,
    },
    /// Building the snapshot was interrupted (the blocking task panicked or was cancelled).
    #[error("policy build task failed: {0}")]
    Build(String),
}

impl PolicyError {
    /// A problem on one line of `path`.
    pub(crate) fn line(path: &std::path::Path, line: usize, problem: impl Into<String>) -> Self {
        Self::Line {
            path: path.to_path_buf(),
            line,
            problem: problem.into(),
        }
    }

    /// A problem with the model in `path`.
    pub(crate) fn model(path: &std::path::Path, problem: impl Into<String>) -> Self {
        Self::Model {
            path: path.to_path_buf(),
            problem: problem.into(),
        }
    }
}
