//! How the binaries print an error: its message, then each cause that the message does
//! not already show (many errors here put their cause into their own text, and a plain
//! walk of the chain would print it twice).

use std::error::Error;

/// `error: cause: cause`, each piece of text once.
pub fn error_text(e: &(dyn Error + 'static)) -> String {
    let mut text = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        let part = c.to_string();
        if !text.contains(&part) {
            text.push_str(": ");
            text.push_str(&part);
        }
        cause = c.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    enum Outer {
        #[error("key file k.pem: {source}")]
        Shown { source: std::io::Error },
        #[error("cannot start")]
        Hidden(#[source] std::io::Error),
    }

    #[test]
    fn each_cause_is_printed_once() {
        let io = || std::io::Error::new(std::io::ErrorKind::NotFound, "no such file");
        assert_eq!(
            error_text(&Outer::Shown { source: io() }),
            "key file k.pem: no such file"
        );
        assert_eq!(
            error_text(&Outer::Hidden(io())),
            "cannot start: no such file"
        );
    }
}
