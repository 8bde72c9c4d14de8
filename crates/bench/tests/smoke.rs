//! The whole crawl benchmark on a tiny fleet, so that CI checks it still runs (the real runs are `cargo run --release`).

use std::process::Command;

#[test]
fn the_crawl_benchmark_runs_end_to_end_on_a_tiny_fleet() {
    let mut backends = vec!["sqlite"];
    let postgres = std::env::var("FLORILEGE_TEST_POSTGRES_URL").ok();
    if postgres.is_some() {
        backends.push("postgres");
    }
    let mut command = Command::new(env!("CARGO_BIN_EXE_crawl"));
    command.args([
        "--videos",
        "200",
        "--instances",
        "5",
        "--backend",
        &backends.join(","),
        "--decode-pass",
    ]);
    if let Some(url) = &postgres {
        command.args(["--postgres-url", url]);
    }
    let output = command.output().expect("run the benchmark");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    for backend in ["SQLite"]
        .into_iter()
        .chain(postgres.is_some().then_some("PostgreSQL"))
    {
        for pass in ["fetch-only", "fetch+decode", "crawl"] {
            let row = format!("| 200 | {backend} | {pass} |");
            let line = stdout
                .lines()
                .find(|line| line.starts_with(&row))
                .unwrap_or_else(|| panic!("no row {row} in\n{stdout}"));
            assert!(line.ends_with("| 0 |"), "errors in {line}");
        }
        // Every video crawled, with the reference's very requests.
        let ratio = format!("| 200 | {backend} |");
        let line = stdout
            .lines()
            .filter(|line| line.starts_with(&ratio))
            // The ratio table's third column is the wall-time ratio, a number.
            .find(|line| {
                line.split('|')
                    .nth(3)
                    .is_some_and(|cell| cell.trim().parse::<f64>().is_ok())
            })
            .unwrap_or_else(|| panic!("no ratio row for {backend} in\n{stdout}"));
        assert_eq!(line.split('|').nth(7).map(str::trim), Some("yes"), "{line}");
    }
}
