//! `florilege instances`: add one instance, import a hosts list, list what is known.

use std::collections::HashSet;
use std::io::Write;
use std::time::Duration;

use anyhow::{Context, bail};
use futures::StreamExt;
use reqwest::Url;
use store::{InstanceAddress, InstanceOrigin, InstanceStatus, NewInstance, Store};

use super::{AddOptions, InstancesCommand};
use crate::config::Config;
use crate::{HostsPage, parse_hosts_list};

/// The largest hosts list read, all pages together (the real JoinPeerTube index is well under 1 MiB).
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
            let list = read_hosts_list(&source, config).await?;
            let (mut added, mut known, mut refused) = (0, 0, 0);
            for host in &list.hosts {
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
                 {} malformed entries skipped",
                list.hosts.len(),
                list.malformed,
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

/// Entries asked for per page of a list read from a URL, unless its `count` says otherwise.
const PAGE_SIZE: u64 = 500;

/// Reads a hosts list from a file, or from a URL page after page (the
/// JoinPeerTube index answers 20 hosts unless asked for more, and at most
/// 5,000 at a time): `start` moves on until `total` entries were read. Each
/// page is size-capped, redirects are not followed, and internal addresses
/// are read only when allowed.
async fn read_hosts_list(source: &str, config: &Config) -> anyhow::Result<HostsPage> {
    let not_a_list = || format!("{source} is not a hosts list ({{\"data\": [{{\"host\": …}}]}})");
    if !(source.starts_with("http://") || source.starts_with("https://")) {
        let bytes = std::fs::read(source).with_context(|| format!("cannot read {source}"))?;
        return parse_hosts_list(&bytes).with_context(not_a_list);
    }
    let url = Url::parse(source).with_context(|| format!("{source} is not a URL"))?;
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
    let param = |name: &str| {
        url.query_pairs()
            .find(|(key, _)| key == name)
            .and_then(|(_, value)| value.parse::<u64>().ok())
    };
    let count = param("count").unwrap_or(PAGE_SIZE);
    let mut start = param("start").unwrap_or(0);
    let mut list = HostsPage::default();
    let mut seen = HashSet::new();
    let mut read = 0;
    loop {
        let page_url = with_page(&url, start, count);
        let bytes = fetch_capped(&client, &page_url, MAX_LIST_BYTES - read).await?;
        read += bytes.len();
        let page = parse_hosts_list(&bytes).with_context(not_a_list)?;
        start += u64::try_from(page.entries)?;
        list.entries += page.entries;
        list.malformed += page.malformed;
        list.total = page.total;
        let before = list.hosts.len();
        list.hosts.extend(
            page.hosts
                .into_iter()
                .filter(|host| seen.insert(host.clone())),
        );
        let more = page.total.is_some_and(|total| start < total);
        // A server that ignores `start` would repeat its first page forever.
        if page.entries == 0 || !more || list.hosts.len() == before {
            return Ok(list);
        }
    }
}

/// `url` with `start` and `count` set, its other parameters kept.
fn with_page(url: &Url, start: u64, count: u64) -> Url {
    let kept: Vec<(String, String)> = url
        .query_pairs()
        .filter(|(key, _)| key != "start" && key != "count")
        .map(|(key, value)| (key.into_owned(), value.into_owned()))
        .collect();
    let mut page = url.clone();
    page.query_pairs_mut()
        .clear()
        .extend_pairs(kept)
        .append_pair("start", &start.to_string())
        .append_pair("count", &count.to_string());
    page
}

/// The body of a successful answer, refused beyond `cap` bytes.
async fn fetch_capped(client: &reqwest::Client, url: &Url, cap: usize) -> anyhow::Result<Vec<u8>> {
    let response = client
        .get(url.clone())
        .send()
        .await
        .with_context(|| format!("cannot fetch {url}"))?;
    if !response.status().is_success() {
        bail!("{url} answered {}", response.status());
    }
    let mut body = Vec::new();
    let mut stream = response.bytes_stream();
    while let Some(chunk) = stream.next().await {
        body.extend_from_slice(&chunk.with_context(|| format!("reading {url}"))?);
        if body.len() > cap {
            bail!(
                "the hosts list is larger than {} MiB",
                MAX_LIST_BYTES / (1024 * 1024)
            );
        }
    }
    Ok(body)
}
