//! Serves a simulated fleet until Ctrl-C:
//! `cargo run -p peertube-sim --example fleet -- INSTANCES VIDEOS SEED FAULTS [RATE_LIMIT]`.

#[tokio::main]
async fn main() -> Result<(), peertube_sim::SimError> {
    let mut args = std::env::args().skip(1);
    let mut next = |default: &str| args.next().unwrap_or_else(|| default.to_owned());
    let config = peertube_sim::FleetConfig {
        instances: next("10").parse().unwrap_or(10),
        videos: next("2000").parse().unwrap_or(2000),
        seed: next("1").parse().unwrap_or(1),
        faults: next("0.2").parse().unwrap_or(0.2),
        rate_limit: next("true").parse().unwrap_or(true),
        ..peertube_sim::FleetConfig::default()
    };
    peertube_sim::run_until_ctrl_c(config, |fleet| eprintln!("{}", fleet.summary())).await
}
