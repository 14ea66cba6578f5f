//! # Configuration model
//!
//! The typed settings, deserialized from the merged YAML tree. Field docs name the
//! YAML key; `config/defaults.yaml` is the commented reference with all defaults.

use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

use serde::Deserialize;

pub(super) use super::caches::CachesConfig;
pub use super::plugins::{Capability, PluginSettings, PluginsConfig, PoolConfig};

/// The complete server configuration.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct Config {
    /// `Port`: TCP port the server listens on (default 8080).
    pub port: u16,
    /// `ListenAddress`: IP address to bind (default `0.0.0.0`).
    #[serde(deserialize_with = "ip_addr")]
    pub listen_address: IpAddr,
    /// `ShutdownTimeout`: how long a graceful shutdown waits (default 30s).
    #[serde(with = "duration")]
    pub shutdown_timeout: Duration,
    /// `Log`: logging settings.
    pub log: LogConfig,
    /// `Database`: storage backend settings.
    pub database: DatabaseConfig,
    /// `Eventstore`: event store limits and timings.
    pub eventstore: EventstoreConfig,
    /// `Plugins`: the WebAssembly plugin runtime and each plugin's settings.
    pub plugins: PluginsConfig,
    /// `FirstInstance`: what `rampart start` creates on an empty store.
    pub first_instance: FirstInstanceConfig,
    /// `Commands`: the command side (retries, password hashing).
    pub commands: CommandsConfig,
    /// `Projections`: the spoolers that keep the read models up to date.
    pub projections: ProjectionsConfig,
    /// `InternalAuthZ`: which permissions each role grants.
    #[serde(rename = "InternalAuthZ")]
    pub internal_authz: InternalAuthzConfig,
    /// `Caches`: the object caches and the connectors they use (seed 004).
    pub caches: CachesConfig,
    /// `Oidc`: the OpenID Connect provider and OAuth 2.0 authorization server.
    pub oidc: OidcConfig,
}

impl Config {
    /// Checks what spans several keys, after each key parsed on its own.
    ///
    /// # Errors
    /// The key at fault and what is wrong with it.
    pub(super) fn check(&self) -> Result<(), (String, String)> {
        self.database.postgres.check()?;
        self.oidc.check()?;
        self.caches.check(self.database.backend)
    }
}

/// `InternalAuthZ`: the one table mapping roles to permissions.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct InternalAuthzConfig {
    /// `RolePermissionMappings`: every role and the permissions it grants.
    pub role_permission_mappings: Vec<RolePermissionMapping>,
}

/// One role of `InternalAuthZ.RolePermissionMappings`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct RolePermissionMapping {
    /// `Role`: its key; the prefix sets its level (`SYSTEM_`, `IAM_`, `ORG_`,
    /// `PROJECT_`).
    pub role: String,
    /// `Permissions`: what it allows.
    pub permissions: Vec<String>,
}

/// `FirstInstance`: the instance, organization and administrator created on
/// an empty store.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct FirstInstanceConfig {
    /// `Name`: display name of the instance.
    pub name: String,
    /// `Domains`: host names resolving to the instance; the first is primary.
    pub domains: Vec<String>,
    /// `Org`: the first organization.
    pub org: FirstOrgConfig,
    /// `Admin`: the first administrator.
    pub admin: FirstAdminConfig,
    /// `Machine`: the first administrator for API calls, with a token.
    pub machine: FirstMachineConfig,
}

/// `FirstInstance.Machine`: a machine user holding `IAM_OWNER` and
/// `SYSTEM_OWNER`, whose personal access token is written to a file.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct FirstMachineConfig {
    /// `Username`: its login name.
    pub username: String,
    /// `Name`: its display name.
    pub name: String,
    /// `PatPath`: where its token is written (mode 0600); relative paths are
    /// relative to the working directory.
    pub pat_path: PathBuf,
    /// `PatLifetime`: how long the token is valid.
    #[serde(with = "duration")]
    pub pat_lifetime: Duration,
}

/// `FirstInstance.Org`: the first organization.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct FirstOrgConfig {
    /// `Name`: the organization's name.
    pub name: String,
}

/// `FirstInstance.Admin`: the first administrator (a human user).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct FirstAdminConfig {
    /// `Username`: login name.
    pub username: String,
    /// `GivenName`: first name.
    pub given_name: String,
    /// `FamilyName`: last name.
    pub family_name: String,
    /// `Email`: e-mail address (stored as verified).
    pub email: String,
    /// `Password`: initial password; empty means generate and print one.
    pub password: String,
}

/// `Commands`: the command side.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct CommandsConfig {
    /// `MaxRetries`: decisions repeated after a concurrency conflict (default 5).
    pub max_retries: u32,
    /// `PasswordHash`: argon2id parameters.
    pub password_hash: PasswordHashConfig,
    /// `Codes`: one-time codes users prove an address or a reset with.
    pub codes: CodesConfig,
}

/// `Commands.Codes`: the one-time codes of e-mail verification and password
/// reset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct CodesConfig {
    /// `Lifetime`: how long a code works (default 1h).
    #[serde(with = "duration")]
    pub lifetime: std::time::Duration,
    /// `MaxAttempts`: wrong tries before a code is void (default 5).
    pub max_attempts: u32,
}

/// `Commands.PasswordHash`: argon2id parameters for new password hashes.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct PasswordHashConfig {
    /// `Memory`: memory cost (default 19MiB).
    pub memory: bytesize::ByteSize,
    /// `Iterations`: time cost (default 2).
    pub iterations: u32,
    /// `Parallelism`: lanes (default 1).
    pub parallelism: u32,
    /// `MaxConcurrent`: hashes computed at once; 0 means one less than the
    /// CPU cores, at least one (default 0). Further ones wait without
    /// holding a thread.
    pub max_concurrent: u32,
}

/// `Projections`: the spoolers that apply events to read models.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct ProjectionsConfig {
    /// `BatchSize`: most events per spooler transaction (default 2000).
    pub batch_size: u32,
    /// `RequeueInterval`: periodic wake-up without notification (default 1s).
    #[serde(with = "duration")]
    pub requeue_interval: Duration,
    /// `MaxAttempts`: attempts of a failing event before it is skipped (default 3).
    pub max_attempts: u32,
    /// `RetryDelay`: pause between attempts of a failing event (default 200ms).
    #[serde(with = "duration")]
    pub retry_delay: Duration,
    /// `LeaderRetry`: how often a standby node tries to take a projection over (default 1s).
    #[serde(with = "duration")]
    pub leader_retry: Duration,
    /// `LeaderLease`: PostgreSQL only, how long a node's lease on a projection
    /// lasts without renewal (renewed every third of it; default 5s). A
    /// frozen or unreachable leader is replaced within `LeaderLease` +
    /// `LeaderRetry`.
    #[serde(with = "duration")]
    pub leader_lease: Duration,
    /// `ReadYourWritesTimeout`: longest wait of a read by id for its projection (default 5s).
    #[serde(with = "duration")]
    pub read_your_writes_timeout: Duration,
}

/// `Log`: logging settings.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct LogConfig {
    /// `Level`: a tracing `EnvFilter` directive (default `info`).
    pub level: String,
    /// `Format`: `text` or `json` (default `text`).
    pub format: LogFormat,
}

/// `Log.Format`: the log output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// `text`: human-readable lines.
    Text,
    /// `json`: one JSON object per line.
    Json,
}

/// `Database`: storage backend settings.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct DatabaseConfig {
    /// `Backend`: `sqlite` or `postgres` (default `sqlite`).
    pub backend: Backend,
    /// `Sqlite`: settings used when the backend is SQLite.
    pub sqlite: SqliteConfig,
    /// `Postgres`: settings used when the backend is PostgreSQL.
    pub postgres: PostgresConfig,
}

/// `Oidc`: the OpenID Connect provider and OAuth 2.0 authorization server
/// every instance serves at its own domains.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct OidcConfig {
    /// `ExternalSecure`: whether clients reach the server over https (TLS
    /// here or at a proxy in front); the issuer of an instance is
    /// `http(s)://<the request's host>` (default false).
    pub external_secure: bool,
    /// `MachineTokenLifetime`: how long access tokens of machine users
    /// (client credentials, JWT bearer grant) live (default 1h, at most 24h).
    #[serde(with = "duration")]
    pub machine_token_lifetime: Duration,
    /// `SigningKeys`: the keys tokens are signed with.
    pub signing_keys: SigningKeysConfig,
    /// `LoginUrl`: where the authorize endpoint sends the browser to log
    /// in; `{id}` is replaced by the auth request's id (default
    /// `/ui/login/?authRequest={id}`). Relative to the instance's issuer, or
    /// absolute for a login UI elsewhere.
    pub login_url: String,
    /// `LoginRateLimit`: how many sign-in attempts the hosted login takes.
    pub login_rate_limit: LoginRateLimitConfig,
}

/// `Oidc.LoginRateLimit`: the hosted login's limits on sign-in attempts
/// (username, password and second-factor forms), counted by each node.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct LoginRateLimitConfig {
    /// `PerAddress`: attempts from one client address per `Window`
    /// (default 30); 0: no limit.
    pub per_address: u32,
    /// `PerUser`: attempts for one login name per `Window` (default 10);
    /// 0: no limit.
    pub per_user: u32,
    /// `Window`: how long attempts are counted from the first (default 1m).
    #[serde(with = "duration")]
    pub window: Duration,
    /// `TrustForwardedFor`: take the client address from the first
    /// `X-Forwarded-For` entry (behind a proxy that sets it; default
    /// false: the connection's address).
    pub trust_forwarded_for: bool,
}

/// The longest any signed token lives: access and ID tokens of applications
/// and machine users alike (application settings enforce it too). A
/// replaced signing key stays published this long.
pub const MAX_SIGNED_TOKEN_LIFETIME: Duration = Duration::from_secs(24 * 3600);

impl OidcConfig {
    fn check(&self) -> Result<(), (String, String)> {
        let fail = |key: &str, why: String| Err((format!("Oidc.{key}"), why));
        if self.machine_token_lifetime.is_zero()
            || self.machine_token_lifetime > MAX_SIGNED_TOKEN_LIFETIME
        {
            return fail(
                "MachineTokenLifetime",
                "must be more than 0 and at most 24h".into(),
            );
        }
        if self.login_rate_limit.window.is_zero() {
            return fail("LoginRateLimit.Window", "must be more than 0".into());
        }
        if !self.login_url.contains("{id}") {
            return fail(
                "LoginUrl",
                "must contain {id}, where the auth request's id goes".into(),
            );
        }
        let keys = &self.signing_keys;
        if keys.publish_ahead >= keys.rotation_interval {
            return fail(
                "SigningKeys.PublishAhead",
                "must be shorter than SigningKeys.RotationInterval".into(),
            );
        }
        if keys.rotation_interval < Duration::from_secs(3600) {
            return fail("SigningKeys.RotationInterval", "must be at least 1h".into());
        }
        Ok(())
    }
}

/// `Oidc.SigningKeys`: each instance's token signing keys, generated and
/// rotated by the server, stored sealed with the masterkey.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct SigningKeysConfig {
    /// `Algorithm`: of new keys, `ES256` or `RS256` (default ES256); a
    /// change applies from the next rotation.
    pub algorithm: SigningAlgorithm,
    /// `RotationInterval`: how long a key signs before the next one takes
    /// over (default 720h).
    #[serde(with = "duration")]
    pub rotation_interval: Duration,
    /// `PublishAhead`: how long the next key is in the JWKS before it signs,
    /// so relying parties that cache the key set know it (default 1h).
    #[serde(with = "duration")]
    pub publish_ahead: Duration,
}

/// `Oidc.SigningKeys.Algorithm`: the JWS algorithm of new signing keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum SigningAlgorithm {
    /// ECDSA on P-256 with SHA-256.
    ES256,
    /// RSASSA-PKCS1-v1_5 with SHA-256, 2048-bit keys.
    RS256,
}

/// `Database.Backend`: which storage backend to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Backend {
    /// `sqlite`: embedded, single node.
    Sqlite,
    /// `postgres`: PostgreSQL, one or more nodes.
    Postgres,
}

/// `Database.Sqlite`: SQLite backend settings.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct SqliteConfig {
    /// `Dir`: data directory holding `rampart.db`, the lock file and a generated
    /// masterkey (default `./data`).
    pub dir: PathBuf,
    /// `Synchronous`: `PRAGMA synchronous`, `full` or `normal` (default `full`).
    pub synchronous: SqliteSynchronous,
    /// `BusyTimeout`: how long to wait for a lock (default 5s).
    #[serde(with = "duration")]
    pub busy_timeout: Duration,
    /// `MaxReaders`: number of read-only connections (default 8).
    pub max_readers: u32,
    /// `GroupCommitMax`: max pushes committed in one SQLite transaction (default 256).
    pub group_commit_max: usize,
}

/// `Database.Sqlite.Synchronous`: the SQLite `synchronous` pragma.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SqliteSynchronous {
    /// `full`: durable on power loss.
    Full,
    /// `normal`: faster; the last transactions may be lost on power loss.
    Normal,
}

/// `Database.Postgres`: PostgreSQL backend settings.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct PostgresConfig {
    /// `Host`: server host (default `localhost`).
    pub host: String,
    /// `Port`: server port (default 5432).
    pub port: u16,
    /// `Database`: database name (default `rampart`).
    pub database: String,
    /// `User`: login user (default `rampart`).
    pub user: String,
    /// `Password`: login password (default empty).
    pub password: String,
    /// `SSLMode`: TLS mode (default `prefer`).
    #[serde(rename = "SSLMode")]
    pub ssl_mode: PgSslMode,
    /// `MaxOpenConns`: maximum pooled connections (default 32).
    pub max_open_conns: u32,
    /// `MinIdleConns`: idle connections kept open (default 2).
    pub min_idle_conns: u32,
    /// `ConnectTimeout`: how long to wait when connecting (default 5s).
    #[serde(with = "duration")]
    pub connect_timeout: Duration,
    /// `ApplicationName`: `application_name` reported to the server (default `rampart`).
    pub application_name: String,
    /// `CreateDatabase`: create the database if missing, connecting to the
    /// `postgres` maintenance database with the same credentials (default true).
    pub create_database: bool,
    /// `CommitSlots`: transactions of pushes in flight at once; pushes that
    /// arrive while every slot is busy share the next free slot's
    /// transaction (default 4; 0 turns group commit off: every push is a
    /// transaction of its own).
    pub commit_slots: usize,
    /// `GroupCommitMax`: most pushes in one transaction (default 32, at most 60).
    pub group_commit_max: usize,
}

impl PostgresConfig {
    /// The group-commit settings' bounds.
    fn check(&self) -> Result<(), (String, String)> {
        let limit = crate::eventstore::postgres::group_commit::GROUP_COMMIT_LIMIT;
        if !(1..=limit).contains(&self.group_commit_max) {
            return Err((
                "Database.Postgres.GroupCommitMax".into(),
                format!(
                    "must be 1 to {limit} (each push of a transaction has a subtransaction, \
                     and PostgreSQL slows every session down past 64 in one), not {}",
                    self.group_commit_max
                ),
            ));
        }
        Ok(())
    }

    /// `user@host:port/database`, without the password, for messages.
    pub fn display_target(&self) -> String {
        format!(
            "{}@{}:{}/{}",
            self.user, self.host, self.port, self.database
        )
    }
}

/// `Database.Postgres.SSLMode`: the libpq `sslmode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PgSslMode {
    /// `disable`: never use TLS.
    Disable,
    /// `prefer`: use TLS if the server supports it.
    Prefer,
    /// `require`: require TLS, without verifying the certificate.
    Require,
    /// `verify-ca`: require TLS and a certificate signed by a trusted CA.
    VerifyCa,
    /// `verify-full`: like `verify-ca`, and the host name must match.
    VerifyFull,
}

/// `Eventstore`: event store limits and timings.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct EventstoreConfig {
    /// `MaxPayloadBytes`: largest accepted event payload (default 1048576).
    pub max_payload_bytes: usize,
    /// `MaxEventsPerPush`: largest number of events in one push (default 1000).
    pub max_events_per_push: usize,
    /// `FollowPollInterval`: how often the eventstore's own followers (the
    /// caches' invalidation) look for events when no notification came
    /// (default 250ms). Spoolers poll at `Projections.RequeueInterval`.
    #[serde(with = "duration")]
    pub follow_poll_interval: Duration,
    /// `NotifyInterval`: PostgreSQL only, how long pushes are coalesced into one
    /// cross-node NOTIFY (default 20ms).
    #[serde(with = "duration")]
    pub notify_interval: Duration,
}

/// Deserializes an IP address, saying what is expected on error.
fn ip_addr<'de, D: serde::Deserializer<'de>>(d: D) -> Result<IpAddr, D::Error> {
    let text = String::deserialize(d)?;
    text.trim().parse().map_err(|_| {
        serde::de::Error::custom(format_args!(
            "invalid IP address \"{text}\", expected an IPv4 or IPv6 address such as \
             \"0.0.0.0\", \"::\" or \"127.0.0.1\""
        ))
    })
}

/// Serde helper: durations written as humantime strings (`5s`, `100ms`, `1m`).
pub(crate) mod duration {
    use std::fmt;
    use std::time::Duration;

    use serde::de::{self, Deserializer, Visitor};

    const EXPECTED: &str = "a duration such as \"5s\", \"100ms\" or \"1m\"";

    struct DurationVisitor;

    impl Visitor<'_> for DurationVisitor {
        type Value = Duration;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str(EXPECTED)
        }

        fn visit_str<E: de::Error>(self, value: &str) -> Result<Duration, E> {
            humantime::parse_duration(value.trim()).map_err(|err| {
                E::custom(format_args!(
                    "invalid duration \"{value}\" ({err}), expected {EXPECTED}"
                ))
            })
        }
    }

    pub(in crate::config) fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Duration, D::Error> {
        d.deserialize_str(DurationVisitor)
    }

    /// The same, for an optional duration (absent or `null` is `None`).
    pub(in crate::config) mod option {
        use super::*;

        pub(in crate::config) fn deserialize<'de, D: Deserializer<'de>>(
            d: D,
        ) -> Result<Option<Duration>, D::Error> {
            #[derive(serde::Deserialize)]
            struct Wrapped(#[serde(deserialize_with = "super::deserialize")] Duration);
            let value: Option<Wrapped> = serde::Deserialize::deserialize(d)?;
            Ok(value.map(|Wrapped(d)| d))
        }
    }
}
