//! What the renderers write: HTML that stands alone and parses, CSV and JSON that
//! parse, texts in the chosen language.

use crate::common::{Fixture, args};
use clap::Parser;
use zegel_analyzer::cli::{Cli, Command};

/// Runs `report ARGS... --output FILE` in-process and returns the file's text.
async fn render(f: &Fixture, a: &[&str], file: &str) -> String {
    let out = f.path.join(file);
    let mut argv = args(&["zegel-analyzer", "report"]);
    argv.extend(args(a));
    argv.extend(f.all_tables());
    argv.extend(["--output".to_owned(), out.display().to_string()]);
    let cli = Cli::try_parse_from(&argv).expect("arguments");
    let Command::Report(r) = cli.command else {
        panic!("not a report")
    };
    zegel_analyzer::report::run(&r).await.expect("report");
    std::fs::read_to_string(out).expect("output")
}

/// Void elements need no end tag; every other opened tag must be closed in order.
pub fn assert_balanced(html: &str) {
    const VOID: &[&str] = &[
        "meta", "br", "circle", "line", "rect", "polyline", "!doctype",
    ];
    let mut stack: Vec<String> = Vec::new();
    let mut rest = html;
    while let Some(i) = rest.find('<') {
        let end = rest[i..].find('>').expect("unclosed <") + i;
        let tag = &rest[i + 1..end];
        rest = &rest[end + 1..];
        if tag.contains('<') {
            panic!("'<' inside a tag: {tag}");
        }
        let self_closing = tag.ends_with('/');
        let name: String = tag
            .trim_start_matches('/')
            .chars()
            .take_while(|c| !c.is_whitespace() && *c != '/')
            .collect::<String>()
            .to_lowercase();
        if tag.starts_with('/') {
            let open = stack
                .pop()
                .unwrap_or_else(|| panic!("</{name}> without an opening tag"));
            assert_eq!(open, name, "</{name}> closes <{open}>");
        } else if !self_closing && !VOID.contains(&name.as_str()) {
            stack.push(name);
        }
    }
    assert!(stack.is_empty(), "not closed: {stack:?}");
}

#[tokio::test]
async fn html_is_self_contained_and_balanced() {
    let f = Fixture::new().await;
    for (a, file) in [
        (&["review", "--format", "html"][..], "review.html"),
        (&["adoption", "--format", "html"][..], "adoption.html"),
        (
            &["patient-access", "--patient", "pat-c", "--format", "html"][..],
            "patient.html",
        ),
        (&["compliance", "--format", "html"][..], "compliance.html"),
    ] {
        let html = render(&f, a, file).await;
        assert!(html.starts_with("<!DOCTYPE html>"), "{file}");
        assert!(
            !html.contains("http://") && !html.contains("https://"),
            "{file}: an external URL"
        );
        assert!(!html.contains("<script"), "{file}: a script");
        assert!(!html.contains(" src="), "{file}: an external asset");
        for href in html
            .match_indices("href=\"")
            .map(|(i, _)| &html[i + 6..i + 7])
        {
            assert_eq!(href, "#", "{file}: only links within the page");
        }
        assert_balanced(&html);
    }
    let html = render(&f, &["adoption", "--format", "html"], "a.html").await;
    assert_eq!(html.matches("<svg").count(), 2, "two charts");
    let html = render(
        &f,
        &["review", "--format", "html", "--lang", "en"],
        "r.html",
    )
    .await;
    assert!(html.contains("<html lang=\"en\">") && html.contains("Systematic log review"));
    assert!(html.contains("Reanimatie op de SEH"));
}

#[test]
fn the_balance_check_catches_a_bad_page() {
    assert!(std::panic::catch_unwind(|| assert_balanced("<div><p></div>")).is_err());
    assert_balanced("<div><p>a<br>b</p><svg><rect/></svg></div>");
}

#[tokio::test]
async fn csv_is_one_parseable_table() {
    let f = Fixture::new().await;
    let text = render(&f, &["review", "--format", "csv"], "review.csv").await;
    let mut rd = csv::Reader::from_reader(text.as_bytes());
    let header = rd.headers().expect("header").clone();
    assert_eq!(&header[0], "section");
    assert!(header.iter().any(|h| h == "reason"));
    let rows: Vec<csv::StringRecord> = rd
        .records()
        .collect::<Result<_, _>>()
        .expect("every row parses");
    let emergency: Vec<_> = rows
        .iter()
        .filter(|r| &r[0] == "review.emergency")
        .collect();
    assert_eq!(emergency.len(), 1);
    let col = header
        .iter()
        .position(|h| h == "justification")
        .expect("justification column");
    assert_eq!(&emergency[0][col], "Reanimatie op de SEH");
    // Dutch reasons, SQL column names.
    let reason = header.iter().position(|h| h == "reason").expect("reason");
    assert!(
        emergency[0][reason].contains("gebruikte de noodprocedure"),
        "{:?}",
        emergency[0]
    );
}

#[tokio::test]
async fn json_is_one_document_with_every_section() {
    let f = Fixture::new().await;
    let text = render(
        &f,
        &["review", "--format", "json", "--lang", "en"],
        "review.json",
    )
    .await;
    let doc: serde_json::Value = serde_json::from_str(&text).expect("json");
    assert_eq!(doc["report"], "review");
    let sections = doc["sections"].as_array().expect("sections");
    assert_eq!(sections.len(), 10);
    let volume = sections
        .iter()
        .find(|s| s["id"] == "review.volume-employee")
        .expect("volume");
    assert_eq!(volume["rows"][0]["user_id"], "emp-arts-4");
    assert_eq!(volume["rows"][0]["patients"], 10);
    let off = sections
        .iter()
        .find(|s| s["id"] == "review.off-hours")
        .expect("off-hours");
    assert_eq!(off["rows"][2]["weekend"], true);
}

#[tokio::test]
async fn languages_differ() {
    let f = Fixture::new().await;
    let nl = render(&f, &["daily"], "nl.txt").await;
    let en = render(&f, &["daily", "--lang", "en"], "en.txt").await;
    assert!(nl.starts_with("Dagoverzicht per medewerker\n"), "{nl}");
    assert!(en.starts_with("Daily overview per employee\n"), "{en}");
    assert!(nl.contains("bytes verstuurd") && en.contains("bytes sent"));
}
