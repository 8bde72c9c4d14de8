//! The reliability suite (issue 7): a hostile federation, crashes during crawl and indexing, and load while crawling, each against the real `florilege` binary on both database backends.
//!
//! Light variants run in CI; `FLORILEGE_HEAVY=1` runs the heavy ones (README,
//! "Testing"). The tests take turns so that each one's timings and memory
//! figures are its own.

#[expect(dead_code, reason = "shared helpers, of which this suite uses some")]
#[path = "../common/mod.rs"]
mod common;
#[expect(
    dead_code,
    reason = "the crawler tests' helpers, of which this suite uses some"
)]
#[path = "../../../crawler/tests/support/mod.rs"]
mod crawler_support;
#[path = "../../../crawler/tests/support/fault_reasons.rs"]
mod fault_reasons;
#[macro_use]
mod support;

mod crash;
mod hostile;
mod load;
