//! A TCP proxy in front of PostgreSQL that a test can cut: live connections
//! drop and new ones are closed at once, as when the database goes away.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

/// A proxy listening on a port of its own.
pub struct Proxy {
    /// The port clients connect to.
    pub port: u16,
    open: Arc<AtomicBool>,
    cut: watch::Sender<u64>,
    task: tokio::task::JoinHandle<()>,
}

impl Proxy {
    /// A proxy to `upstream` (`host:port`).
    pub async fn start(upstream: String) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind proxy");
        let port = listener.local_addr().unwrap().port();
        let open = Arc::new(AtomicBool::new(true));
        let cut = watch::Sender::new(0);
        let task = tokio::spawn({
            let open = open.clone();
            let cut = cut.clone();
            async move {
                while let Ok((client, _)) = listener.accept().await {
                    if !open.load(Ordering::Acquire) {
                        drop(client);
                        continue;
                    }
                    tokio::spawn(forward(client, upstream.clone(), cut.subscribe()));
                }
            }
        });
        Proxy {
            port,
            open,
            cut,
            task,
        }
    }

    /// Drops every live connection and refuses new ones.
    pub fn cut(&self) {
        self.open.store(false, Ordering::Release);
        self.cut.send_modify(|n| *n += 1);
    }

    /// Lets connections through again.
    pub fn restore(&self) {
        self.open.store(true, Ordering::Release);
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.task.abort();
        self.cut.send_modify(|n| *n += 1);
    }
}

async fn forward(mut client: TcpStream, upstream: String, mut cut: watch::Receiver<u64>) {
    let Ok(mut server) = TcpStream::connect(upstream).await else {
        return;
    };
    tokio::select! {
        _ = tokio::io::copy_bidirectional(&mut client, &mut server) => {}
        _ = cut.changed() => {}
    }
}
