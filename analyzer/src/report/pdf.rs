//! `--format pdf`: the report's HTML page printed by headless Chromium, so the PDF is the
//! page an officer sees in a browser. Chromium is a program of its own (Debian package
//! `chromium`), found through env `ZEGEL_CHROMIUM` or on PATH; it is looked for while
//! the options are checked, so a missing one ends the run before any source is opened.
//! It runs on a private temporary directory (page, profile, PDF), removed afterwards,
//! and is killed when it does not finish within [`TIMEOUT`].

use crate::Error;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// How long Chromium may take to print one report.
pub const TIMEOUT: Duration = Duration::from_secs(120);

/// The environment variable naming the Chromium binary.
pub const ENV: &str = "ZEGEL_CHROMIUM";

/// What can go wrong printing a PDF.
#[derive(Debug, thiserror::Error)]
pub enum PdfError {
    /// No Chromium to print with.
    #[error(
        "--format pdf needs Chromium: install it (Debian: apt-get install -y chromium) or \
         set {ENV} to its path{0}"
    )]
    NotFound(String),
    /// Files of the print job could not be written or read.
    #[error("PDF: {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// Chromium ended without writing a PDF.
    #[error("PDF: {chromium} failed ({status}): {stderr}")]
    Failed {
        /// The binary.
        chromium: String,
        /// Its exit status.
        status: String,
        /// The end of what it said.
        stderr: String,
    },
    /// Chromium did not finish in time and was killed.
    #[error("PDF: {0} did not finish within {secs} s and was stopped", secs = TIMEOUT.as_secs())]
    TimedOut(String),
}

impl From<PdfError> for Error {
    fn from(e: PdfError) -> Self {
        match e {
            PdfError::NotFound(_) => Error::Usage(e.to_string()),
            other => Error::Output {
                target: "PDF".into(),
                detail: other.to_string(),
            },
        }
    }
}

/// The Chromium binary: `ZEGEL_CHROMIUM` when set (it must exist), else `chromium` or
/// `chromium-browser` on PATH.
pub fn find() -> Result<PathBuf, PdfError> {
    if let Some(p) = std::env::var_os(ENV).filter(|p| !p.is_empty()) {
        let p = PathBuf::from(p);
        return match p.is_file() {
            true => Ok(p),
            false => Err(PdfError::NotFound(format!(
                " ({ENV}={} is not a file)",
                p.display()
            ))),
        };
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .flat_map(|dir| ["chromium", "chromium-browser"].map(|name| dir.join(name)))
        .find(|p| p.is_file())
        .ok_or_else(|| PdfError::NotFound(String::new()))
}

/// Prints `html` to PDF with `chromium` and returns the PDF's bytes.
pub async fn print(html: &str, chromium: &Path) -> Result<Vec<u8>, PdfError> {
    let job = Job::new()?;
    let page = job.file("report.html");
    std::fs::write(&page, html).map_err(|e| io(&page, e))?;
    let pdf = job.file("report.pdf");
    let mut cmd = tokio::process::Command::new(chromium);
    cmd.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--disable-extensions",
        "--no-pdf-header-footer",
        // The page is self-contained; Chromium itself must not reach out either (updates,
        // metrics, safe browsing): every request it might make goes to a dead local port.
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-default-apps",
        "--disable-domain-reliability",
        "--disable-client-side-phishing-detection",
        "--no-default-browser-check",
        "--proxy-server=http://127.0.0.1:9",
        "--proxy-bypass-list=<-loopback>",
    ])
    .arg(format!("--user-data-dir={}", job.file("profile").display()))
    .arg(format!("--print-to-pdf={}", pdf.display()))
    .arg(format!("file://{}", page.display()))
    .stdin(std::process::Stdio::null())
    .stdout(std::process::Stdio::null())
    .stderr(std::process::Stdio::piped())
    .kill_on_drop(true);
    let name = chromium.display().to_string();
    let child = cmd.spawn().map_err(|e| io(chromium, e))?;
    let out = match tokio::time::timeout(TIMEOUT, child.wait_with_output()).await {
        Ok(out) => out.map_err(|e| io(chromium, e))?,
        // Dropping the future drops the child, which kill_on_drop kills.
        Err(_) => return Err(PdfError::TimedOut(name)),
    };
    match std::fs::read(&pdf) {
        Ok(bytes) if out.status.success() && bytes.starts_with(b"%PDF") => Ok(bytes),
        _ => Err(PdfError::Failed {
            chromium: name,
            status: out.status.to_string(),
            stderr: tail(&String::from_utf8_lossy(&out.stderr)),
        }),
    }
}

fn io(path: &Path, source: std::io::Error) -> PdfError {
    PdfError::Io {
        path: path.to_owned(),
        source,
    }
}

/// The last lines of Chromium's chatter: enough to see why it failed.
fn tail(s: &str) -> String {
    let lines: Vec<&str> = s.lines().filter(|l| !l.trim().is_empty()).collect();
    lines[lines.len().saturating_sub(5)..].join("\n")
}

/// A private temporary directory, removed (with everything in it) when dropped.
struct Job {
    dir: PathBuf,
}

impl Job {
    fn new() -> Result<Job, PdfError> {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let dir = std::env::temp_dir().join(format!("zegel-pdf-{}-{nanos}", std::process::id()));
        // create_dir, not create_dir_all: an existing directory is never reused.
        std::fs::create_dir(&dir).map_err(|e| io(&dir, e))?;
        Ok(Job { dir })
    }

    fn file(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }
}

impl Drop for Job {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_job_directory_is_removed() {
        let job = Job::new().expect("job");
        let dir = job.dir.clone();
        std::fs::write(job.file("x"), "x").expect("write");
        drop(job);
        assert!(!dir.exists());
    }

    #[test]
    fn tail_keeps_the_last_lines() {
        assert_eq!(tail("a\nb\n\nc\nd\ne\nf\n"), "b\nc\nd\ne\nf");
    }
}
