//! One HTTP server per instance: a listener that can reset or ignore connections, then axum.

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::connect_info::Connected;
use axum::serve::{IncomingStream, Listener};
use tokio::io::AsyncReadExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

use crate::fault::FaultMode;
use crate::mix::{hash4, tag};
use crate::state::{Counters, Shared};

/// Which instance a connection reached, and from where.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ConnMeta {
    pub(crate) remote: SocketAddr,
    pub(crate) instance: usize,
}

impl Connected<IncomingStream<'_, SimListener>> for ConnMeta {
    fn connect_info(stream: IncomingStream<'_, SimListener>) -> Self {
        *stream.remote_addr()
    }
}

/// A TCP listener that applies connection-level faults before axum sees the connection.
#[derive(Debug)]
pub(crate) struct SimListener {
    tcp: TcpListener,
    index: usize,
    shared: Arc<Shared>,
}

impl Listener for SimListener {
    type Io = TcpStream;
    type Addr = ConnMeta;

    async fn accept(&mut self) -> (TcpStream, ConnMeta) {
        loop {
            let (stream, remote) = match self.tcp.accept().await {
                Ok(pair) => pair,
                Err(error) => {
                    // Out of file descriptors and the like: back off, as axum does.
                    tracing::debug!(%error, "accept failed");
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    continue;
                }
            };
            let instance = self.shared.instance(self.index);
            let n = Counters::add(&instance.counters.connections, 1);
            let fault = instance.fault();
            let reset = match fault {
                FaultMode::ConnectionReset => true,
                FaultMode::Flaky => {
                    hash4(self.shared.seed, self.index as u64, n, tag::FAULT_PICK).is_multiple_of(6)
                }
                _ => false,
            };
            if reset || fault == FaultMode::NoAnswer {
                Counters::add(&instance.counters.requests, 1);
                Counters::add(&instance.counters.faults, 1);
                let shared = Arc::clone(&self.shared);
                tokio::spawn(async move {
                    if reset {
                        reset_after_request(stream).await;
                    } else {
                        hold_silently(stream, &shared).await;
                    }
                });
                continue;
            }
            if let Err(error) = stream.set_nodelay(true) {
                tracing::debug!(%error, "set_nodelay failed");
            }
            let meta = ConnMeta {
                remote,
                instance: self.index,
            };
            return (stream, meta);
        }
    }

    fn local_addr(&self) -> io::Result<ConnMeta> {
        Ok(ConnMeta {
            remote: self.tcp.local_addr()?,
            instance: self.index,
        })
    }
}

/// Reads what the client sent, up to the end of its headers or a short timeout.
async fn read_request(stream: &mut TcpStream) {
    let mut buffer = [0u8; 4096];
    let mut seen = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(2), async {
        while let Ok(n) = stream.read(&mut buffer).await {
            if n == 0 {
                break;
            }
            seen.extend_from_slice(&buffer[..n]);
            if seen.windows(4).any(|w| w == b"\r\n\r\n") || seen.len() > 64 * 1024 {
                break;
            }
        }
    })
    .await;
}

/// Answers nothing and closes with a TCP reset.
async fn reset_after_request(mut stream: TcpStream) {
    read_request(&mut stream).await;
    if let Err(error) = stream.set_zero_linger() {
        tracing::debug!(%error, "cannot set SO_LINGER");
    }
    drop(stream);
}

/// Keeps the connection open without a byte of answer, until the stall ends or the fleet stops.
async fn hold_silently(mut stream: TcpStream, shared: &Shared) {
    read_request(&mut stream).await;
    tokio::select! {
        () = tokio::time::sleep(shared.tuning.stall) => {}
        () = shared.stopped() => {}
    }
}

/// Serves instance `index` on `tcp` until the fleet shuts down.
pub(crate) fn spawn_instance(
    tcp: TcpListener,
    index: usize,
    shared: Arc<Shared>,
    router: Router,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        let listener = SimListener {
            tcp,
            index,
            shared: Arc::clone(&shared),
        };
        let service = router.into_make_service_with_connect_info::<ConnMeta>();
        let stopped = async move { shared.stopped().await };
        if let Err(error) = axum::serve(listener, service)
            .with_graceful_shutdown(stopped)
            .await
        {
            tracing::warn!(instance.index = index, %error, "instance server failed");
        }
    })
}
