//! Running the `florilege` binary in tests: a clean `FLORILEGE_*` environment and a private data directory.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

/// The binary with no inherited `FLORILEGE_*` variable, working in `data_dir`.
pub fn command(data_dir: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_florilege"));
    for (key, _) in std::env::vars() {
        if key.starts_with("FLORILEGE_") {
            command.env_remove(key);
        }
    }
    command
        .current_dir(data_dir)
        .env("FLORILEGE_DATA_DIR", data_dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    command
}

/// Runs the binary to completion with `args`, extra `env` and optional standard input.
pub fn run(data_dir: &Path, args: &[&str], env: &[(&str, &str)], stdin: Option<&str>) -> Output {
    let mut child = command(data_dir)
        .args(args)
        .envs(env.iter().copied())
        .spawn()
        .expect("run florilege");
    if let Some(input) = stdin {
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
    }
    drop(child.stdin.take());
    child.wait_with_output().expect("florilege output")
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Settings that let the binary crawl a simulated fleet on loopback at full speed.
pub const CRAWL_LOOPBACK: [(&str, &str); 5] = [
    ("FLORILEGE_CRAWLER_ALLOW_LOOPBACK", "true"),
    ("FLORILEGE_CRAWLER_REQUESTS_PER_SECOND", "0"),
    ("FLORILEGE_CRAWLER_CONCURRENCY_PER_HOST", "4"),
    ("FLORILEGE_IMAGES_PAUSE_MS", "0"),
    ("FLORILEGE_IMAGES_CONCURRENCY", "4"),
];
