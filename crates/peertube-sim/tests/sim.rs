//! Integration tests of the simulated fleet over real HTTP on loopback (one test binary).

mod sim {
    mod churn;
    pub(crate) mod common;
    mod faults;
    mod pagination;
    mod rate_limit;
    mod scale;
    mod shape;
}
