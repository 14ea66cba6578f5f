//! A second PostgreSQL cluster of the machine's PostgreSQL, started for one
//! test and stopped afterwards: where a database is restored to test what
//! moving it to another cluster does.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use super::TestDb;

/// A running cluster in a temporary directory, on its own port.
pub struct SecondCluster {
    /// Its port on 127.0.0.1.
    pub port: u16,
    bin: PathBuf,
    dir: tempfile::TempDir,
}

impl SecondCluster {
    /// Runs `initdb` and starts the server (as `postgres` when this runs as
    /// root: PostgreSQL refuses to run as root).
    pub fn start() -> Self {
        let bin = bin_dir();
        let dir = tempfile::tempdir().expect("temporary directory");
        if as_root() {
            run(Command::new("chown").arg("postgres").arg(dir.path()));
        }
        let port = free_port();
        let data = dir.path().join("data");
        let cluster = Self { port, bin, dir };
        cluster.pg(
            "initdb",
            &[
                "-D",
                path(&data),
                "-U",
                "postgres",
                "-A",
                "trust",
                "--no-sync",
            ],
        );
        let options = format!(
            "-p {port} -c listen_addresses=127.0.0.1 -k {} -c fsync=off",
            path(cluster.dir.path())
        );
        let log = cluster.dir.path().join("log");
        cluster.pg(
            "pg_ctl",
            &[
                "-D",
                path(&data),
                "-o",
                &options,
                "-l",
                path(&log),
                "-w",
                "start",
            ],
        );
        cluster
    }

    /// Restores a `pg_dump` of `source` into a database of the same name
    /// here, the way an operator moves a database.
    pub fn restore(&self, source: &TestDb) {
        let c = source.config();
        let port = self.port.to_string();
        self.pg("createdb", &["-h", "127.0.0.1", "-p", &port, &source.name]);
        let dump = run(Command::new(self.bin.join("pg_dump")).args([
            "-h",
            &c.host,
            "-p",
            &c.port.to_string(),
            "-U",
            &c.user,
            &source.name,
        ]));
        let mut psql = Command::new(self.bin.join("psql"))
            .args(["-q", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p"])
            .args([&port, "-U", "postgres", &source.name])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()
            .expect("run psql");
        std::io::Write::write_all(&mut psql.stdin.take().expect("stdin"), &dump.stdout)
            .expect("feed the dump to psql");
        assert!(psql.wait().expect("psql").success(), "the restore failed");
    }

    /// Runs the PostgreSQL program `program` with `args`, as `postgres`
    /// when this runs as root.
    fn pg(&self, program: &str, args: &[&str]) -> Output {
        let program = self.bin.join(program);
        let mut cmd = if as_root() {
            let mut cmd = Command::new("runuser");
            cmd.args(["-u", "postgres", "--"]).arg(program);
            cmd
        } else {
            Command::new(program)
        };
        run(cmd.args(args).current_dir(self.dir.path()))
    }
}

impl Drop for SecondCluster {
    fn drop(&mut self) {
        let data = self.dir.path().join("data");
        let _ = self.pg("pg_ctl", &["-D", path(&data), "-m", "immediate", "stop"]);
    }
}

/// The newest installed PostgreSQL's programs (Debian keeps them out of
/// `PATH`).
fn bin_dir() -> PathBuf {
    let mut found: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path().join("bin"))
        .filter(|bin| bin.join("initdb").exists())
        .collect();
    found.sort_by_key(|bin| {
        bin.parent()
            .and_then(|v| v.file_name())
            .and_then(|v| v.to_str())
            .and_then(|v| v.parse::<u32>().ok())
            .unwrap_or(0)
    });
    found
        .pop()
        .expect("PostgreSQL's programs under /usr/lib/postgresql/*/bin")
}

fn as_root() -> bool {
    let out = run(Command::new("id").arg("-u"));
    String::from_utf8_lossy(&out.stdout).trim() == "0"
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

fn path(p: &Path) -> &str {
    p.to_str().expect("a UTF-8 path")
}

/// Runs `cmd` to completion; panics with its output unless it succeeded.
fn run(cmd: &mut Command) -> Output {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?}: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}
