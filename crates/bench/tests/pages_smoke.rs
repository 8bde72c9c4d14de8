//! The whole pages benchmark on a tiny corpus with 1-second runs, so that CI checks it still runs (the real runs are `cargo run --release`).
//!
//! It needs nginx and wrk (`apt install nginx-light wrk`); without them it is
//! skipped, unless `FLORILEGE_REQUIRE_BENCH_TOOLS` is set, as CI does.

use std::path::Path;
use std::process::Command;

fn tools_present() -> bool {
    let wrk = Command::new("wrk").arg("--version").output().is_ok();
    let present = wrk && Path::new("/usr/sbin/nginx").exists();
    if !present && std::env::var_os("FLORILEGE_REQUIRE_BENCH_TOOLS").is_some() {
        panic!("FLORILEGE_REQUIRE_BENCH_TOOLS is set but nginx or wrk is missing");
    }
    present
}

#[test]
fn the_pages_benchmark_runs_end_to_end_on_a_tiny_corpus() {
    if !tools_present() {
        eprintln!("skipped: nginx or wrk is not installed");
        return;
    }
    let output = Command::new(env!("CARGO_BIN_EXE_pages"))
        .args([
            "--videos",
            "300",
            "--instances",
            "6",
            "--connections",
            "8",
            "--seconds",
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
    let rows: Vec<Vec<&str>> = stdout
        .lines()
        .filter(|line| line.starts_with("| ") && !line.starts_with("| page"))
        .map(|line| line.trim_matches('|').split('|').map(str::trim).collect())
        .collect();
    let pages: Vec<&str> = rows.iter().map(|row| row[0]).collect();
    assert_eq!(
        pages,
        ["home", "selection (24 videos)", "video", "search"],
        "{stdout}"
    );
    for row in &rows {
        let number = |cell: &str| {
            cell.parse::<f64>()
                .unwrap_or_else(|_| panic!("{cell} in {row:?}"))
        };
        assert!(number(row[1]) > 1000.0, "a real page: {row:?}");
        assert!(
            number(row[2]) > 0.0 && number(row[3]) > 0.0,
            "both served: {row:?}"
        );
        assert_eq!(row[7], "0", "no errors: {row:?}");
        let (p50, p90) = row[9].split_once(" / ").expect("uncached render p50 / p90");
        assert!(number(p50) > 0.0 && number(p90) >= number(p50), "{row:?}");
    }
}
