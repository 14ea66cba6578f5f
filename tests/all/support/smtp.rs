//! A loopback SMTP server the suite starts itself: it accepts every message
//! (and `AUTH PLAIN` with any credentials, which it records) and hands what
//! it received to the test.

use std::time::Duration;

use base64::Engine as _;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;
use tokio::sync::mpsc;

/// One message as delivered.
#[derive(Debug, Clone)]
pub struct Mail {
    /// `MAIL FROM` address.
    pub from: String,
    /// `RCPT TO` addresses.
    pub to: Vec<String>,
    /// The message (headers and body), dot-unstuffed.
    pub data: String,
    /// `user:password` of the session's `AUTH PLAIN`, if any.
    pub auth: Option<String>,
}

impl Mail {
    /// The value of header `name` (first line only).
    pub fn header(&self, name: &str) -> Option<String> {
        let prefix = format!("{}:", name.to_ascii_lowercase());
        self.data
            .lines()
            .take_while(|line| !line.is_empty())
            .find(|line| line.to_ascii_lowercase().starts_with(&prefix))
            .map(|line| line[prefix.len()..].trim().to_owned())
    }

    /// The first body line that is a one-time code (8 characters of the
    /// code alphabet).
    pub fn code(&self) -> Option<String> {
        let (_, body) = self.data.split_once("\r\n\r\n")?;
        body.lines().map(str::trim).find_map(|line| {
            let is_code = line.len() == 8
                && line
                    .bytes()
                    .all(|c| c.is_ascii_uppercase() || (b'2'..=b'9').contains(&c));
            is_code.then(|| line.to_owned())
        })
    }
}

/// The running server; dropping it stops accepting.
pub struct SmtpServer {
    /// The port on 127.0.0.1.
    pub port: u16,
    received: mpsc::UnboundedReceiver<Mail>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl SmtpServer {
    /// Listens on a free loopback port.
    pub async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind SMTP");
        let port = listener.local_addr().unwrap().port();
        let (sender, received) = mpsc::unbounded_channel();
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let sender = sender.clone();
                tokio::spawn(async move {
                    let _ = session(stream, sender).await;
                });
            }
        });
        Self {
            port,
            received,
            task,
        }
    }

    /// The next delivered message; panics after `within`.
    pub async fn next(&mut self, within: Duration) -> Mail {
        tokio::time::timeout(within, self.received.recv())
            .await
            .expect("no message was delivered in time")
            .expect("the SMTP server stopped")
    }

    /// Whether a message arrives within `within`.
    pub async fn nothing_within(&mut self, within: Duration) -> bool {
        tokio::time::timeout(within, self.received.recv())
            .await
            .is_err()
    }
}

/// One SMTP conversation.
async fn session(
    stream: tokio::net::TcpStream,
    sender: mpsc::UnboundedSender<Mail>,
) -> std::io::Result<()> {
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read).lines();
    write.write_all(b"220 rampart-test ESMTP\r\n").await?;
    let (mut from, mut to, mut auth) = (String::new(), Vec::new(), None);
    while let Some(line) = lines.next_line().await? {
        let upper = line.to_ascii_uppercase();
        let reply: &[u8] = if upper.starts_with("EHLO") {
            b"250-rampart-test\r\n250-AUTH PLAIN\r\n250 8BITMIME\r\n"
        } else if upper.starts_with("HELO") || upper.starts_with("RSET") || upper == "NOOP" {
            b"250 OK\r\n"
        } else if upper.starts_with("AUTH PLAIN") {
            let encoded = line.split_whitespace().nth(2).unwrap_or_default();
            let decoded = base64::engine::general_purpose::STANDARD
                .decode(encoded)
                .unwrap_or_default();
            let parts: Vec<String> = decoded
                .split(|b| *b == 0)
                .map(|p| String::from_utf8_lossy(p).into_owned())
                .collect();
            auth = Some(parts[1..].join(":"));
            b"235 2.7.0 Authentication successful\r\n"
        } else if upper.starts_with("MAIL FROM:") {
            from = address(&line);
            b"250 OK\r\n"
        } else if upper.starts_with("RCPT TO:") {
            to.push(address(&line));
            b"250 OK\r\n"
        } else if upper == "DATA" {
            write
                .write_all(b"354 End data with <CR><LF>.<CR><LF>\r\n")
                .await?;
            let mut data = String::new();
            while let Some(line) = lines.next_line().await? {
                if line == "." {
                    break;
                }
                data.push_str(line.strip_prefix('.').unwrap_or(&line));
                data.push_str("\r\n");
            }
            let mail = Mail {
                from: std::mem::take(&mut from),
                to: std::mem::take(&mut to),
                data,
                auth: auth.clone(),
            };
            let _ = sender.send(mail);
            b"250 OK queued\r\n"
        } else if upper == "QUIT" {
            write.write_all(b"221 Bye\r\n").await?;
            return Ok(());
        } else {
            b"502 Command not implemented\r\n"
        };
        write.write_all(reply).await?;
    }
    Ok(())
}

/// The address between `<` and `>` of a `MAIL FROM`/`RCPT TO` line.
fn address(line: &str) -> String {
    let start = line.find('<').map_or(0, |i| i + 1);
    let end = line.rfind('>').unwrap_or(line.len());
    line[start..end].to_owned()
}
