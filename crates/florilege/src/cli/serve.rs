//! `florilege serve`: the site, the API, the indexer and the crawl scheduler in one process.

use std::io::Write;

use clap::Args;
use crawler::CancellationToken;
use store::Store;

use crate::config::Config;
use crate::node::{Node, Parts};

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Do not crawl in this process (another `florilege crawl` does).
    #[arg(long)]
    pub no_crawl: bool,
    /// Do not follow the change feed in this process (a `florilege index`
    /// process keeps this node's index directory up to date).
    #[arg(long)]
    pub no_index: bool,
    /// This replica's name in the feed cursors: give each web node with its
    /// own index directory its own name.
    #[arg(long, default_value = "index")]
    pub consumer: String,
}

pub(super) async fn run(
    store: Store,
    config: &Config,
    args: ServeArgs,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let cancel = CancellationToken::new();
    tokio::spawn(super::crawl::cancel_on_signal(cancel.clone()));
    let parts = Parts {
        web: true,
        indexer: !args.no_index,
        crawler: !args.no_crawl,
        consumer: args.consumer,
    };
    let node = Node::start(store, config, &parts, None, cancel).await?;
    if let Some(address) = node.address {
        writeln!(out, "Florilège is serving on http://{address}")?;
        out.flush()?;
    }
    node.wait().await
}
