//! `florilege sim`: serve a simulated PeerTube fleet until interrupted.

use std::io::Write;
use std::net::SocketAddr;

use clap::Args;
use peertube_sim::{FaultMode, Fleet, FleetConfig};

#[derive(Debug, Args)]
pub struct SimArgs {
    /// Number of instances, one port each.
    #[arg(long, default_value_t = 20)]
    pub instances: usize,
    /// Total local videos over the fleet (instance sizes follow a power law).
    #[arg(long, default_value_t = 5_000)]
    pub videos: u64,
    /// Seed of all content and of the fault assignment.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Fraction of instances given a fault mode (0 to 1).
    #[arg(long, default_value_t = 0.0)]
    pub faults: f64,
    /// Where the hosts list is served; instances listen on the same IP.
    #[arg(long, default_value = "127.0.0.1:7000")]
    pub listen: SocketAddr,
    /// Turn off PeerTube's rate limit (50 requests per 10 s per client).
    #[arg(long)]
    pub no_rate_limit: bool,
}

pub(super) async fn run(args: SimArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    if !(0.0..=1.0).contains(&args.faults) {
        anyhow::bail!("--faults must be between 0 and 1, not {}", args.faults);
    }
    let config = FleetConfig {
        instances: args.instances,
        videos: args.videos,
        seed: args.seed,
        faults: args.faults,
        rate_limit: !args.no_rate_limit,
        ..FleetConfig::default()
    }
    .with_listen_addr(args.listen);
    let started = std::time::Instant::now();
    let fleet = Fleet::start(config).await?;
    let faulty = fleet
        .instances()
        .iter()
        .filter(|instance| instance.fault != FaultMode::None)
        .count();
    writeln!(
        out,
        "{} simulated PeerTube instances ({} videos, {faulty} faulty) started in {:.1} s",
        fleet.instances().len(),
        args.videos,
        started.elapsed().as_secs_f64()
    )?;
    writeln!(out, "hosts list: {}", fleet.hosts_list_url())?;
    writeln!(out, "press Ctrl-C to stop")?;
    out.flush()?;
    tokio::signal::ctrl_c().await?;
    fleet.shutdown().await;
    Ok(())
}
