//! The server process: Florilège's web API and the FTS5 endpoint, each on its own port, until standard input closes.

use std::future::IntoFuture;
use std::io::Write;
use std::path::PathBuf;

use clap::Args;
use index::Searcher;
use store::{Store, StoreConfig};
use tokio::io::AsyncReadExt;
use tokio::net::TcpListener;
use tokio::sync::watch;
use web::{AppState, WebConfig};

use super::fts;

/// The line by which the server process tells where Florilège's API is.
pub const FLORILEGE_PREFIX: &str = "florilege=";
/// The line by which the server process tells where the FTS5 endpoint is.
pub const FTS5_PREFIX: &str = "fts5=";

/// What the server process serves.
#[derive(Args, Clone, Debug)]
pub struct ServeArgs {
    /// Florilège's store.
    #[arg(long)]
    pub database_url: String,
    /// The SQLite copy of the corpus FTS5 searches.
    #[arg(long)]
    pub fts_database_url: String,
    /// The index root built by the Florilège pass.
    #[arg(long)]
    pub index_root: PathBuf,
    /// Read connections of the FTS5 endpoint.
    #[arg(long, default_value_t = 8)]
    pub fts_connections: u32,
}

/// Serves both until standard input closes (the orchestrator holds it), or Ctrl-C.
pub async fn serve(args: ServeArgs) -> anyhow::Result<()> {
    let store = Store::open(&StoreConfig {
        database_url: args.database_url.clone(),
        ..StoreConfig::default()
    })
    .await?;
    let searcher = Searcher::open(&args.index_root)?;
    // No image cache and no instance checks: the benchmark only searches.
    let images = args.index_root.join("no-images");
    let state = AppState::open(store.clone(), searcher, WebConfig::default(), images, None).await?;
    let fts_router = fts::router(&args.fts_database_url, args.fts_connections).await?;
    let florilege = TcpListener::bind("127.0.0.1:0").await?;
    let fts5 = TcpListener::bind("127.0.0.1:0").await?;
    {
        let mut out = std::io::stdout().lock();
        writeln!(out, "{FLORILEGE_PREFIX}http://{}", florilege.local_addr()?)?;
        writeln!(out, "{FTS5_PREFIX}http://{}", fts5.local_addr()?)?;
        out.flush()?;
    }
    let (stop, stopped) = watch::channel(false);
    let until_stopped = |mut stopped: watch::Receiver<bool>| async move {
        let _ = stopped.wait_for(|stop| *stop).await;
    };
    let florilege = tokio::spawn(web::serve(florilege, state, until_stopped(stopped.clone())));
    let fts5 = tokio::spawn(
        axum::serve(fts5, fts_router)
            .with_graceful_shutdown(until_stopped(stopped))
            .into_future(),
    );
    let mut sink = Vec::new();
    let mut stdin = tokio::io::stdin();
    tokio::select! {
        _ = stdin.read_to_end(&mut sink) => {}
        _ = tokio::signal::ctrl_c() => {}
    }
    let _ = stop.send(true);
    florilege.await??;
    fts5.await??;
    store.close().await;
    Ok(())
}
