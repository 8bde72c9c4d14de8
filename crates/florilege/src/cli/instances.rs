//! `florilege instances`: add one instance, import a hosts list, list what is known.

use std::io::Write;
use std::time::Duration;

use anyhow::{Context, bail};
use futures::StreamExt;
use store::{InstanceAddress, InstanceOrigin, InstanceStatus, NewInstance, Store};

use super::{AddOptions, InstancesCommand};
use crate::config::Config;

/// The largest hosts list read (the real JoinPeerTube index is well under 1 MiB).
const MAX_LIST_BYTES: usize = 16 * 1024 * 1024;

pub(super) async fn run(
    store: &Store,
    config: &Config,
    command: InstancesCommand,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    match command {
        InstancesCommand::Add { address, options } => {
            let new = new_instance(&address, &options, config, InstanceOrigin::Cli)?;
            let (instance, created) = store.add_instance(&new).await?;
            let verb = if created { "added" } else { "already known:" };
            writeln!(
                out,
                "{verb} {} ({}, {})",
                instance.host, instance.base_url, instance.status
            )?;
        }
        InstancesCommand::Import { source, options } => {
            let bytes = read_source(&source, config).await?;
            let (hosts, malformed) = crate::parse_hosts_list(&bytes).with_context(|| {
                format!("{source} is not a hosts list ({{\"data\": [{{\"host\": …}}]}})")
            })?;
            let (mut added, mut known, mut refused) = (0, 0, 0);
            for host in &hosts {
                match new_instance(host, &options, config, InstanceOrigin::Import) {
                    Ok(new) => match store.add_instance(&new).await?.1 {
                        true => added += 1,
                        false => known += 1,
                    },
                    Err(error) => {
                        refused += 1;
                        writeln!(out, "refused {host}: {error}")?;
                    }
                }
            }
            writeln!(
                out,
                "imported {} hosts: {added} added, {known} already known, {refused} refused, \
                 {malformed} malformed entries skipped",
                hosts.len()
            )?;
        }
        InstancesCommand::Check { address, scheme } => {
            let address = InstanceAddress::parse(&address, scheme.as_str())?;
            let crawler = crawler::Crawler::new(store.clone(), config.crawler())?;
            let check = crawler.check_instance(&address).await;
            for step in &check.steps {
                let mark = if step.ok { "ok  " } else { "FAIL" };
                writeln!(out, "{mark} {:<12} {}", step.name, step.detail)?;
            }
            if !check.passed {
                bail!("{} did not pass the checks", check.host);
            }
            writeln!(out, "{} can be crawled", check.host)?;
        }
        InstancesCommand::List { status, json } => {
            let instances = store.list_instances(status.map(Into::into)).await?;
            if json {
                serde_json::to_writer_pretty(&mut *out, &instances)?;
                writeln!(out)?;
            } else {
                for instance in &instances {
                    writeln!(
                        out,
                        "{:<32} {:<9} {:>3} {:>8} {}",
                        instance.host,
                        instance.status,
                        instance.health_score,
                        instance
                            .total_local_videos
                            .map_or("-".into(), |n| n.to_string()),
                        instance.last_error.as_deref().unwrap_or(""),
                    )?;
                }
                writeln!(out, "{} instances", instances.len())?;
            }
        }
    }
    Ok(())
}

fn new_instance(
    input: &str,
    options: &AddOptions,
    config: &Config,
    origin: InstanceOrigin,
) -> anyhow::Result<NewInstance> {
    let address = InstanceAddress::parse(input, options.scheme.as_str())?;
    address.ensure_allowed(config.allow_private_addresses)?;
    let status = if options.pending {
        InstanceStatus::Pending
    } else {
        InstanceStatus::Approved
    };
    Ok(NewInstance {
        address,
        status,
        origin,
        discovered_from: None,
    })
}

/// Reads a list from a file, or from a URL (size-capped, no redirects to
/// refused addresses, internal addresses only when allowed).
async fn read_source(source: &str, config: &Config) -> anyhow::Result<Vec<u8>> {
    if !(source.starts_with("http://") || source.starts_with("https://")) {
        return std::fs::read(source).with_context(|| format!("cannot read {source}"));
    }
    let url = reqwest::Url::parse(source).with_context(|| format!("{source} is not a URL"))?;
    let origin = url.origin().ascii_serialization();
    InstanceAddress::parse(&origin, "https")?.ensure_allowed(config.allow_private_addresses)?;
    let client = reqwest::Client::builder()
        .user_agent(concat!(
            "Florilege/",
            env!("CARGO_PKG_VERSION"),
            " (hosts list import)"
        ))
        .connect_timeout(Duration::from_secs(10))
        .timeout(Duration::from_secs(60))
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    let response = client
        .get(url)
        .send()
        .await
        .with_context(|| format!("cannot fetch {source}"))?;
    if !response.status().is_success() {
        bail!("{source} answered {}", response.status());
    }
    let mut body = Vec::new();
    let mut stream = response.bytes_stream();
    while let Some(chunk) = stream.next().await {
        body.extend_from_slice(&chunk.with_context(|| format!("reading {source}"))?);
        if body.len() > MAX_LIST_BYTES {
            bail!(
                "{source} is larger than {} MiB",
                MAX_LIST_BYTES / (1024 * 1024)
            );
        }
    }
    Ok(body)
}
