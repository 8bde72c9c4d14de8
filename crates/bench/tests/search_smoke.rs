//! The whole search benchmark on a tiny corpus, so that CI checks it still runs (the real runs are `cargo run --release`).

use std::process::Command;

/// The rows of the Markdown table whose header line contains `header`, split into trimmed cells.
fn table_rows(report: &str, header: &str) -> Vec<Vec<String>> {
    let lines: Vec<&str> = report.lines().collect();
    let start = lines
        .iter()
        .position(|line| line.starts_with('|') && line.contains(header))
        .unwrap_or_else(|| panic!("no table with {header:?} in\n{report}"));
    lines[start + 2..]
        .iter()
        .take_while(|line| line.starts_with('|'))
        .map(|line| {
            line.trim_matches('|')
                .split('|')
                .map(|cell| cell.trim().to_owned())
                .collect()
        })
        .collect()
}

fn number(cell: &str) -> f64 {
    cell.parse()
        .unwrap_or_else(|_| panic!("{cell:?} is not a number"))
}

#[test]
fn the_search_benchmark_runs_end_to_end_on_a_tiny_corpus() {
    run_on("SQLite", &["--backend", "sqlite"]);
}

/// Florilège's index built from, and its API served on, PostgreSQL.
#[test]
fn the_search_benchmark_runs_on_postgresql() {
    let Ok(url) = std::env::var("FLORILEGE_TEST_POSTGRES_URL") else {
        return;
    };
    run_on(
        "PostgreSQL",
        &["--backend", "postgres", "--postgres-url", url.as_str()],
    );
}

fn run_on(store: &str, backend: &[&str]) {
    let output = Command::new(env!("CARGO_BIN_EXE_search"))
        .args(backend)
        .args([
            "--videos",
            "300",
            "--instances",
            "12",
            "--queries-per-kind",
            "3",
            "--single-requests",
            "48",
            "--single-seconds",
            "20",
            "--concurrency",
            "4",
            "--concurrent-seconds",
            "1",
        ])
        .output()
        .expect("run the benchmark");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );

    let corpus = table_rows(&stdout, "main languages");
    assert_eq!(corpus.len(), 1, "{stdout}");
    assert_eq!(corpus[0][0], "300", "every video written: {stdout}");

    let indexing = table_rows(&stdout, "documents/s | CPU s");
    for pass in [
        format!("Florilège rebuild (from {store})"),
        "raw Tantivy (from memory)".into(),
        "SQLite FTS5 rebuild".into(),
    ] {
        let row = indexing
            .iter()
            .find(|row| row[1] == pass)
            .unwrap_or_else(|| panic!("no {pass} row in\n{stdout}"));
        assert!(number(&row[2]) >= 300.0, "{row:?}");
        assert!(number(&row[4]) > 0.0, "{row:?}");
    }

    let queries = table_rows(&stdout, "server CPU ms/query");
    for engine in ["Florilège (Tantivy)", "SQLite FTS5"] {
        for concurrency in ["1", "4"] {
            let row = queries
                .iter()
                .find(|row| row[1] == engine && row[2] == concurrency)
                .unwrap_or_else(|| panic!("no {engine} c={concurrency} row in\n{stdout}"));
            assert!(number(&row[3]) > 0.0, "requests in {row:?}");
            assert_eq!(
                row.last().map(String::as_str),
                Some("0"),
                "errors in {row:?}"
            );
        }
    }

    let ratios = table_rows(&stdout, "indexing wall Florilège/raw Tantivy");
    assert_eq!(ratios.len(), 1, "{stdout}");
    let row = &ratios[0];
    assert_eq!(row[0], "300");
    // Ratios and figures are numbers; the four targets are marked yes or no.
    for cell in &row[1..11] {
        assert!(number(cell) > 0.0, "{cell:?} in {row:?}");
    }
    for cell in &row[11..15] {
        assert!(cell == "yes" || cell == "**no**", "{cell:?} in {row:?}");
    }
}
