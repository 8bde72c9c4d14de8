//! What the reliability tests share: light or heavy sizes, one test at a time on each backend, and `florilege` processes that log to files and die with their test.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Child, ExitStatus, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use peertube_sim::Fleet;
use store::testing::TestStore;

use crate::common;

/// `FLORILEGE_HEAVY=1` asks for the heavy variants.
pub fn heavy() -> bool {
    std::env::var("FLORILEGE_HEAVY").is_ok_and(|value| value == "1")
}

/// `light` in CI, `heavy` under `FLORILEGE_HEAVY=1`.
pub fn sized<T>(light: T, heavy: T) -> T {
    if self::heavy() { heavy } else { light }
}

static TURN: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Waits until no other reliability test of this process runs.
pub async fn my_turn() -> tokio::sync::MutexGuard<'static, ()> {
    TURN.lock().await
}

/// Runs each `async fn NAME(db: &TestStore)` as `sqlite::NAME` and
/// `postgres::NAME` (the latter when `FLORILEGE_TEST_POSTGRES_URL` is set),
/// one reliability test at a time.
macro_rules! on_both_backends {
    ($($name:ident),+ $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let _turn = $crate::support::my_turn().await;
                    let db = store::testing::TestStore::sqlite().await;
                    super::$name(&db).await;
                    db.cleanup().await;
                }
            )+
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let _turn = $crate::support::my_turn().await;
                    let Some(db) = store::testing::TestStore::postgres().await else { return };
                    super::$name(&db).await;
                    db.cleanup().await;
                }
            )+
        }
    };
}

/// Timeouts short enough for the fleet's stalls (4 s in these tests) to fail fast.
const FAIL_FAST: [(&str, &str); 4] = [
    ("FLORILEGE_CRAWLER_CONNECT_TIMEOUT_SECS", "2"),
    ("FLORILEGE_CRAWLER_REQUEST_TIMEOUT_SECS", "3"),
    ("FLORILEGE_CRAWLER_RETRIES", "1"),
    ("FLORILEGE_CRAWLER_MAX_RETRY_AFTER_SECS", "2"),
];

/// The `florilege` binary on one data directory and one test database,
/// crawling loopback at full speed; each process logs to its own files.
pub struct Florilege {
    dir: tempfile::TempDir,
    database_url: String,
    env: Vec<(String, String)>,
    spawned: AtomicUsize,
}

impl Florilege {
    pub fn new(db: &TestStore) -> Self {
        let dir = tempfile::tempdir().expect("a data directory");
        std::fs::create_dir(dir.path().join("logs")).expect("a log directory");
        Self {
            dir,
            database_url: db.config.database_url.clone(),
            env: Vec::new(),
            spawned: AtomicUsize::new(0),
        }
    }

    /// A setting for every process started from now on.
    pub fn with_env(mut self, key: &str, value: &str) -> Self {
        self.env.push((key.to_owned(), value.to_owned()));
        self
    }

    pub fn data_dir(&self) -> &Path {
        self.dir.path()
    }

    /// Starts `florilege ARGS`; its output goes to `logs/N-ARG0.{stdout,stderr}`.
    pub fn spawn(&self, args: &[&str]) -> Running {
        self.spawn_with(args, &[])
    }

    /// Starts `florilege ARGS` with extra settings for this process only.
    fn spawn_with(&self, args: &[&str], env: &[(&str, &str)]) -> Running {
        let n = self.spawned.fetch_add(1, Ordering::Relaxed);
        let logs = self.dir.path().join("logs");
        let stdout = logs.join(format!("{n:03}-{}.stdout", args[0]));
        let stderr = logs.join(format!("{n:03}-{}.stderr", args[0]));
        let child = common::command(self.dir.path())
            .args(args)
            .envs(common::CRAWL_LOOPBACK)
            .envs(FAIL_FAST)
            .env("FLORILEGE_LOG", "warn")
            .env("FLORILEGE_DATABASE_URL", &self.database_url)
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(File::create(&stdout).expect("a stdout file"))
            .stderr(File::create(&stderr).expect("a stderr file"))
            .spawn()
            .expect("start florilege");
        Running {
            child,
            stdout,
            stderr,
        }
    }

    /// Runs `florilege ARGS` to its end; panics when it fails.
    pub async fn run(&self, args: &[&str]) -> Finished {
        self.spawn(args).finish().await.expect_success(args)
    }

    /// Imports the fleet's hosts list (plain http on loopback; the list gives 20 hosts unless asked for more).
    pub async fn import(&self, fleet: &Fleet) {
        let url = format!("{}?count=5000", fleet.hosts_list_url());
        let args = ["instances", "import", &url, "--scheme", "http"];
        self.spawn_with(&args, &[("FLORILEGE_ALLOW_PRIVATE_ADDRESSES", "true")])
            .finish()
            .await
            .expect_success(&args);
    }

    /// Every log line of every process so far that tells of a panic.
    pub fn panics(&self) -> Vec<String> {
        let mut panics = Vec::new();
        let logs = std::fs::read_dir(self.dir.path().join("logs")).expect("the log directory");
        for entry in logs.flatten() {
            let text = std::fs::read_to_string(entry.path()).unwrap_or_default();
            panics.extend(
                text.lines()
                    .filter(|line| line.contains("panicked"))
                    .map(|line| format!("{}: {line}", entry.file_name().to_string_lossy())),
            );
        }
        panics
    }
}

/// A running `florilege` process; dropping it kills it.
pub struct Running {
    child: Child,
    stdout: PathBuf,
    stderr: PathBuf,
}

/// How a process ended, what it wrote, and its peak resident memory.
#[derive(Debug)]
pub struct Finished {
    pub status: ExitStatus,
    pub stdout: String,
    pub stderr: String,
    pub peak_rss_bytes: u64,
}

impl Finished {
    fn expect_success(self, args: &[&str]) -> Self {
        assert!(
            self.status.success(),
            "florilege {args:?}: {}\n{}",
            self.status,
            self.stderr
        );
        self
    }
}

/// How often a waited-for process is looked at (and its memory read).
const POLL: Duration = Duration::from_millis(20);

impl Running {
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Whether it still runs.
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// SIGKILL; returns whether it was still running.
    pub fn kill(&mut self) -> bool {
        let running = self.is_running();
        let _ = self.child.kill();
        let _ = self.child.wait();
        running
    }

    /// What it wrote to standard output so far.
    pub fn stdout(&self) -> String {
        std::fs::read_to_string(&self.stdout).unwrap_or_default()
    }

    /// Waits for its end, reading its peak memory (`VmHWM`) meanwhile.
    pub async fn finish(mut self) -> Finished {
        let pid = self.child.id();
        let mut peak_rss_bytes = 0;
        let status = loop {
            if let Ok(peak) = bench::procstat::peak_rss_bytes_of(pid) {
                peak_rss_bytes = peak_rss_bytes.max(peak);
            }
            if let Some(status) = self.child.try_wait().expect("wait for florilege") {
                break status;
            }
            tokio::time::sleep(POLL).await;
        };
        Finished {
            status,
            stdout: self.stdout(),
            stderr: std::fs::read_to_string(&self.stderr).unwrap_or_default(),
            peak_rss_bytes,
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Bytes as MiB, for messages.
pub fn mib(bytes: u64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}
