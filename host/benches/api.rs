//! The public API under load, each section on a fresh store (PostgreSQL on
//! 127.0.0.1:5432, user postgres, trust; `RAMPART_TEST_PG_*` override):
//!
//! - `get-sqlite`, `get-postgres` (`get`: both): the release server,
//!   1,000 users, `UserService/GetUser` of random ones with the API
//!   administrator's personal access token from 32 concurrent clients, over
//!   gRPC (the generated tonic client, 4 h2c connections) and over JSON
//!   (Connect, 32 keep-alive HTTP/1.1 connections): the saturation rate
//!   (closed loop, successes in a fixed window after a warm-up), then
//!   p50/p99 at an open-loop 70 % of it (latency from the scheduled send);
//! - `auth-sqlite`, `auth-postgres` (`auth`: both): one node assembled
//!   in-process ([`rampart::app::assemble`]) on its own runtime, served on
//!   two ports: **A** the real gRPC stack ([`rampart::api::grpc_service`]:
//!   instance, authentication, validation, authorization) and **B** the
//!   same routes ([`rampart::api::routes`]) behind a layer that inserts a
//!   fixed [`rampart::api::Caller`] (the admin principal); A and B measured
//!   alternately, the throughput ratio B/A and the p99 ratio A/B;
//! - `cache`: `UserService/GetUser` over gRPC from 32 clients on
//!   PostgreSQL, two release servers on one database: one with the memory
//!   caches of the embedded default, one with every cache disabled
//!   (`Caches.*.Connector: ""`); saturation rates measured alternately, the
//!   ratio cached / uncached per round and its median;
//! - `create`: `UserService/AddHumanUser` (no password) over gRPC on
//!   PostgreSQL from 32 clients, alternating with the raw single-row INSERT
//!   ceiling measured in the same run on the same database.
//!
//! `BENCH_SECONDS` (default 10; not `RAMPART_*`, which the server would
//! refuse as an unknown setting) sets each measured window (the
//! warm-up is a fifth of it, 0.5–2 s), `BENCH_ROUNDS` (default 3)
//! the alternating rounds.
//!
//! `cargo bench -p rampart --bench api [get|get-sqlite|get-postgres|auth|auth-sqlite|auth-postgres|cache|create]`

#![allow(missing_docs)]

/// The load generator allocates as much as the server; mimalloc keeps its
/// share of the two cores small, as the server's own allocator does.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[allow(dead_code)]
#[path = "support/load.rs"]
mod load;
#[allow(dead_code)]
#[path = "support/pg.rs"]
mod pg;
#[allow(dead_code)]
#[path = "support/serve.rs"]
mod support;

use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::http::Request;
use futures::StreamExt;
use load::{OpenLoop, Saturation, median, ms};
use pg::{Ceiling, Db};
use rampart::api::proto::rampart::org::v1::AddOrgRequest;
use rampart::api::proto::rampart::org::v1::org_service_client::OrgServiceClient;
use rampart::api::proto::rampart::user::v1::user_service_client::UserServiceClient;
use rampart::api::proto::rampart::user::v1::{AddHumanUserRequest, Email, GetUserRequest, Profile};
use rampart::api::{Caller, GrpcService};
use rampart::config::{Backend, Config};
use serde_json::json;
use support::Probe;
use tonic::metadata::{Ascii, MetadataValue};
use tonic::transport::{Channel, Endpoint};
use tower::util::BoxCloneSyncService;

/// Concurrent clients of every measurement.
const CLIENTS: usize = 32;
/// HTTP/2 connections the gRPC clients share.
const CHANNELS: usize = 4;
/// Users seeded for the reads.
const USERS: usize = 1_000;
/// The open-loop rate, as a share of the measured saturation rate.
const OPEN_LOOP_SHARE: f64 = 0.7;
/// Targets.
const TARGET_GRPC_RATE: f64 = 10_000.0;
const TARGET_P99_MS: f64 = 10.0;
const TARGET_AUTH_COST: f64 = 0.10;
const TARGET_CREATE_RATIO: f64 = 0.5;

const GET_USER: &str = "rampart.user.v1.UserService/GetUser";

fn main() {
    let only: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let runs = |section: &str, group: &str| {
        only.is_empty() || only.iter().any(|s| s == section || s == group)
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    // The in-process node of the `auth` sections runs on a runtime of its
    // own, as the release server runs in a process of its own.
    let node_rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("node")
        .build()
        .expect("node runtime");
    let node = node_rt.handle().clone();
    let window = load::window(10.0);
    let rounds = load::rounds(3);
    rt.block_on(async {
        println!(
            "API benchmark: {CLIENTS} clients, windows of {:.1} s after {:.1} s warm-up, \
             {rounds} alternating rounds\n",
            window.as_secs_f64(),
            load::warmup(window).as_secs_f64()
        );
        if runs("get-sqlite", "get") {
            get(Store::Sqlite, window).await;
        }
        if runs("get-postgres", "get") {
            get(Store::Postgres, window).await;
        }
        if runs("auth-sqlite", "auth") {
            auth(Store::Sqlite, &node, window, rounds).await;
        }
        if runs("auth-postgres", "auth") {
            auth(Store::Postgres, &node, window, rounds).await;
        }
        if runs("cache", "cache") {
            cached(window, rounds).await;
        }
        if runs("create", "create") {
            create(window, rounds).await;
        }
    });
    drop(rt);
    node_rt.shutdown_timeout(Duration::from_secs(5));
}

#[derive(Clone, Copy, PartialEq)]
enum Store {
    Sqlite,
    Postgres,
}

impl Store {
    fn name(self) -> &'static str {
        match self {
            Self::Sqlite => "SQLite",
            Self::Postgres => "PostgreSQL",
        }
    }
}

/// The first failure of a measurement, to say what failed.
#[derive(Clone, Default)]
struct FirstError(Arc<Mutex<Option<String>>>);

impl FirstError {
    fn note(&self, error: impl std::fmt::Display) {
        let mut first = self.0.lock().expect("lock");
        if first.is_none() {
            *first = Some(error.to_string());
        }
    }

    /// `""`, or ` (first failure: …)`.
    fn suffix(&self) -> String {
        self.0
            .lock()
            .expect("lock")
            .take()
            .map(|e| format!(" (first failure: {e})"))
            .unwrap_or_default()
    }
}

/// gRPC clients: [`CHANNELS`] h2c connections, each request with the
/// bearer token.
#[derive(Clone)]
struct Grpc {
    channels: Arc<Vec<Channel>>,
    authorization: MetadataValue<Ascii>,
}

impl Grpc {
    async fn connect(url: &str, token: &str) -> Self {
        let mut channels = Vec::new();
        for _ in 0..CHANNELS {
            let channel = Endpoint::from_shared(url.to_owned())
                .expect("url")
                .tcp_nodelay(true)
                .connect()
                .await
                .expect("connect");
            channels.push(channel);
        }
        Self {
            channels: Arc::new(channels),
            authorization: format!("Bearer {token}").parse().expect("token"),
        }
    }

    /// The user service, on the connection of `client`.
    fn users(&self, client: usize) -> UserServiceClient<Channel> {
        UserServiceClient::new(self.channels[client % CHANNELS].clone())
    }

    fn request<T>(&self, message: T) -> tonic::Request<T> {
        let mut request = tonic::Request::new(message);
        request
            .metadata_mut()
            .insert("authorization", self.authorization.clone());
        request
    }

    /// A new organization.
    async fn org(&self) -> String {
        let request = self.request(AddOrgRequest {
            name: format!("Bench {}", rand::random::<u32>()),
            ..Default::default()
        });
        OrgServiceClient::new(self.channels[0].clone())
            .add_org(request)
            .await
            .expect("AddOrg")
            .into_inner()
            .org_id
    }

    /// Creates user `username` (no password) in `org`.
    async fn add_user(
        &self,
        client: usize,
        org: &str,
        username: &str,
    ) -> Result<String, tonic::Status> {
        let request = self.request(AddHumanUserRequest {
            org_id: org.to_owned(),
            username: username.to_owned(),
            profile: Some(Profile {
                given_name: "Bench".into(),
                family_name: "User".into(),
                ..Default::default()
            }),
            email: Some(Email {
                address: format!("{username}@bench.example"),
                verified: true,
            }),
            ..Default::default()
        });
        Ok(self
            .users(client)
            .add_human_user(request)
            .await?
            .into_inner()
            .user_id)
    }

    /// [`USERS`] users in a new organization, created 16 at a time.
    async fn seed(&self) -> Arc<Vec<String>> {
        let org = self.org().await;
        let ids: Vec<String> = futures::stream::iter(0..USERS)
            .map(|n| {
                let org = org.clone();
                async move {
                    self.add_user(n, &org, &format!("reader{n}"))
                        .await
                        .expect("AddHumanUser")
                }
            })
            .buffer_unordered(16)
            .collect()
            .await;
        Arc::new(ids)
    }

    /// `op` for the load generators: GetUser of a random one of `ids`.
    fn get_user(
        &self,
        ids: &Arc<Vec<String>>,
        errors: &FirstError,
    ) -> impl Fn(usize, u64) -> futures::future::BoxFuture<'static, bool> + Send + Sync + 'static
    {
        let (grpc, ids, errors) = (self.clone(), ids.clone(), errors.clone());
        move |client, _| {
            let id = ids[rand::random::<u64>() as usize % ids.len()].clone();
            let request = grpc.request(GetUserRequest { user_id: id });
            let mut users = grpc.users(client);
            let errors = errors.clone();
            Box::pin(async move {
                match users.get_user(request).await {
                    Ok(_) => true,
                    Err(status) => {
                        errors.note(format!("{:?}: {}", status.code(), status.message()));
                        false
                    }
                }
            })
        }
    }
}

/// GetUser on PostgreSQL through the memory caches and without any cache,
/// alternately on two servers sharing one database.
async fn cached(window: Duration, rounds: usize) {
    let warmup = load::warmup(window);
    let db = Db::create().await;
    let env = db.env();
    let cached = Server::start(&env).await;
    let mut uncached_env = env.clone();
    for cache in ["INSTANCE", "ORGANIZATION", "MILESTONES"] {
        uncached_env.push((format!("RAMPART_CACHES_{cache}_CONNECTOR"), String::new()));
    }
    let uncached = Server::join(&uncached_env).await;
    // The second server wrote no token: both use the first one's.
    let with_cache = Grpc::connect(&cached.url, &cached.token).await;
    let without = Grpc::connect(&uncached.url, &cached.token).await;
    let ids = with_cache.seed().await;
    println!(
        "GetUser by id on PostgreSQL over gRPC, {CLIENTS} clients, {USERS} users: memory caches \
         (default) against every cache disabled, two servers on one database, alternating:"
    );
    let errors = FirstError::default();
    let mut ratios = Vec::new();
    for round in 1..=rounds {
        let a = load::saturate(CLIENTS, warmup, window, with_cache.get_user(&ids, &errors)).await;
        let b = load::saturate(CLIENTS, warmup, window, without.get_user(&ids, &errors)).await;
        let ratio = a.rate / b.rate;
        ratios.push(ratio);
        println!(
            "  round {round}: cached {:.0} req/s ({} failed), uncached {:.0} req/s ({} failed): \
             ratio {ratio:.2}{}",
            a.rate,
            a.failed,
            b.rate,
            b.failed,
            errors.suffix()
        );
    }
    println!("  median ratio cached / uncached: {:.2}\n", median(&ratios));
    cached.stop().await;
    uncached.stop().await;
    db.drop_now().await;
}

/// The release `rampart` binary, in a directory of its own.
struct Server {
    url: String,
    token: Arc<str>,
    child: tokio::process::Child,
    _dir: tempfile::TempDir,
}

impl Server {
    async fn start(env: &[(String, String)]) -> Self {
        let server = Self::join(env).await;
        let token = support::admin_token(server._dir.path());
        Self { token, ..server }
    }

    /// Another node on a store that already has its first instance: it
    /// writes no administrator token (use the first node's).
    async fn join(env: &[(String, String)]) -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_rampart"));
        cmd.arg("start")
            .current_dir(dir.path())
            .env("RAMPART_PORT", "0")
            .env("RAMPART_LISTENADDRESS", "127.0.0.1")
            .env("RAMPART_LOG_LEVEL", "warn")
            .env("RAMPART_MASTERKEY", "Zq4V9xM2rT7pL0sB8nW3cY6hJ1kD5fGe")
            .env("RAMPART_FIRSTINSTANCE_ADMIN_PASSWORD", "Bench-Passw0rd")
            .envs(env.iter().cloned())
            .stderr(Stdio::inherit());
        let (url, child) = support::serve(cmd).await;
        Self {
            url,
            token: Arc::from(""),
            child,
            _dir: dir,
        }
    }

    async fn stop(mut self) {
        let _ = self.child.kill().await;
    }
}

fn print_saturation(label: &str, s: &Saturation, target: &str, errors: &FirstError) {
    println!(
        "  {label:<54} {:>8.0} /s  ({} ok, {} failed){}{target}",
        s.rate,
        s.ok,
        s.failed,
        errors.suffix()
    );
}

fn print_open_loop(label: &str, o: &OpenLoop, errors: &FirstError) {
    println!(
        "  {label:<54} {:>8.0} /s ok at {:.0} /s offered ({} failed); p50 {:.2} ms, \
         p99 {:.2} ms, max {:.2} ms  [target p99 <= {TARGET_P99_MS} ms]{}",
        o.ok_rate,
        o.offered,
        o.failed,
        ms(o.p50),
        ms(o.p99),
        ms(o.max),
        errors.suffix()
    );
}

/// Section 1: GetUser against the release server.
async fn get(store: Store, window: Duration) {
    let warmup = load::warmup(window);
    let db = match store {
        Store::Postgres => Some(Db::create().await),
        Store::Sqlite => None,
    };
    let env = db.as_ref().map(Db::env).unwrap_or_default();
    let server = Server::start(&env).await;
    let grpc = Grpc::connect(&server.url, &server.token).await;
    let ids = grpc.seed().await;
    println!(
        "GetUser by id on {}, release server, {USERS} users, random reads with the admin's \
         personal access token, {CLIENTS} clients:",
        store.name()
    );

    let errors = FirstError::default();
    let op = grpc.get_user(&ids, &errors);
    let saturation = load::saturate(CLIENTS, warmup, window, op).await;
    print_saturation(
        &format!("gRPC ({CHANNELS} h2c connections), saturation:"),
        &saturation,
        &format!("  [target >= {TARGET_GRPC_RATE:.0} /s]"),
        &errors,
    );
    let op = grpc.get_user(&ids, &errors);
    let rate = saturation.rate * OPEN_LOOP_SHARE;
    let open = load::open_loop(CLIENTS, rate, warmup, window, op).await;
    print_open_loop(
        &format!("gRPC, open loop at {:.0} % of it:", OPEN_LOOP_SHARE * 100.0),
        &open,
        &errors,
    );

    // JSON: a keep-alive connection per client.
    let clients: Arc<Vec<reqwest::Client>> = Arc::new(
        (0..CLIENTS)
            .map(|_| {
                reqwest::Client::builder()
                    .pool_max_idle_per_host(1)
                    .tcp_nodelay(true)
                    .build()
                    .expect("client")
            })
            .collect(),
    );
    let probes: Arc<Vec<Probe>> = Arc::new(
        ids.iter()
            .map(|id| {
                Probe::call(
                    &server.url,
                    &server.token,
                    GET_USER,
                    &json!({ "userId": id }),
                )
            })
            .collect(),
    );
    let json_op = |clients: Arc<Vec<reqwest::Client>>, probes: Arc<Vec<Probe>>| {
        move |client: usize, _: u64| {
            let probe = probes[rand::random::<u64>() as usize % probes.len()].clone();
            let http = clients[client].clone();
            async move { probe.succeeds(&http).await }
        }
    };
    let saturation = load::saturate(
        CLIENTS,
        warmup,
        window,
        json_op(clients.clone(), probes.clone()),
    )
    .await;
    let none = FirstError::default();
    print_saturation(
        &format!("JSON (Connect, {CLIENTS} HTTP/1.1 connections), saturation:"),
        &saturation,
        "",
        &none,
    );
    let rate = saturation.rate * OPEN_LOOP_SHARE;
    let open = load::open_loop(CLIENTS, rate, warmup, window, json_op(clients, probes)).await;
    print_open_loop(
        &format!("JSON, open loop at {:.0} % of it:", OPEN_LOOP_SHARE * 100.0),
        &open,
        &none,
    );
    println!();
    server.stop().await;
    if let Some(db) = db {
        db.drop_now().await;
    }
}

/// Serves `grpc` as the node's router does for gRPC calls
/// ([`rampart::api::dispatch`]), h2c and HTTP/1.1, on a port of its own;
/// returns the URL. Runs on the current runtime until the runtime stops.
async fn serve_grpc(grpc: GrpcService) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    let router = axum::Router::new().fallback(move |request: axum::extract::Request| {
        rampart::api::dispatch(grpc.clone(), request)
    });
    tokio::spawn(async move { axum::serve(listener, router).await });
    url
}

/// B: `routes` with a fixed caller, the method's permission from the proto.
fn without_gate(state: &rampart::server::AppState, caller: Caller) -> GrpcService {
    use http_body_util::{BodyExt, Full};
    use prost_reflect::DynamicMessage;
    use tower::ServiceExt;
    let routes = rampart::api::routes(state);
    // B keeps the gate's other work — gRPC-Web, reading the body, decoding
    // and validating it against the proto rules — so A − B is the host
    // name → instance resolution, authentication and authorization alone.
    let trusted = tower::service_fn(move |request: Request<tonic::body::Body>| {
        let routes = routes.clone();
        let caller = caller.clone();
        async move {
            let Some(rule) = rampart::api::rules::RULES.method(request.uri().path()) else {
                return routes.oneshot(request).await;
            };
            let (mut parts, body) = request.into_parts();
            let framed = body.collect().await.expect("a body").to_bytes();
            let message = DynamicMessage::decode(rule.method.input(), &framed[5..])
                .expect("the bench sends valid messages");
            if let Err(violation) = rampart::api::validate::validate(&message) {
                return Ok(rampart::api::status::invalid_field(&violation).into_http());
            }
            parts.extensions.insert(Caller {
                permission: rule.permission.clone(),
                ..caller
            });
            let request = Request::from_parts(parts, tonic::body::Body::new(Full::new(framed)));
            routes.oneshot(request).await
        }
    });
    let stack = tower::ServiceBuilder::new()
        .layer(tonic_web::GrpcWebLayer::new())
        .service(trusted);
    BoxCloneSyncService::new(stack)
}

/// Section 2: the cost of the gate, A/B on one in-process node.
async fn auth(store: Store, node_rt: &tokio::runtime::Handle, window: Duration, rounds: usize) {
    let warmup = load::warmup(window);
    let dir = tempfile::tempdir().expect("tempdir");
    let db = match store {
        Store::Postgres => Some(Db::create().await),
        Store::Sqlite => None,
    };
    let mut cfg = Config::defaults();
    match &db {
        Some(db) => {
            cfg.database.backend = Backend::Postgres;
            cfg.database.postgres = db.config();
        }
        None => {
            cfg.database.backend = Backend::Sqlite;
            cfg.database.sqlite.dir = dir.path().join("data");
        }
    }
    cfg.plugins.dir = dir.path().join("plugins");
    cfg.plugins.cache_dir = dir.path().join("cache");
    cfg.plugins.watch = false;
    cfg.first_instance.machine.pat_path = dir.path().join("admin.pat");
    cfg.first_instance.admin.password = "Bench-Passw0rd".into();

    // Everything of the node lives on its runtime.
    let (node, token, url_a, url_b) = node_rt
        .spawn(async move {
            let node = rampart::app::assemble(&cfg)
                .await
                .expect("assemble the node");
            let first = rampart::bootstrap::ensure_first_instance(
                node.store.as_ref(),
                &node.commands,
                &cfg.first_instance,
            )
            .await
            .expect("first instance")
            .expect("a fresh store");
            node.state.mark_started();
            let token = std::fs::read_to_string(&first.pat_path).expect("admin.pat");
            let token = token.trim().to_owned();
            let cqrs = node.state.cqrs.as_ref().expect("cqrs");
            let principal = cqrs
                .auth
                .authenticate(
                    &first.instance_id,
                    "http://localhost",
                    Some(&format!("Bearer {token}")),
                )
                .await
                .expect("the admin token authenticates");
            let caller = Caller {
                instance_id: first.instance_id.clone(),
                principal,
                permission: String::new(),
                on_self: false,
            };
            let url_a = serve_grpc(rampart::api::grpc_service(node.state.clone())).await;
            let url_b = serve_grpc(without_gate(&node.state, caller)).await;
            (node, token, url_a, url_b)
        })
        .await
        .expect("node start-up");

    let a = Grpc::connect(&url_a, &token).await;
    let b = Grpc::connect(&url_b, &token).await;
    let ids = a.seed().await;
    println!(
        "auth+authz cost: one in-process node on {}, GetUser by id of {USERS} users, \
         {CLIENTS} clients over {CHANNELS} h2c connections per endpoint, A and B alternating:",
        store.name()
    );
    println!(
        "  A = grpc_service: instance, authentication (principal cache), proto validation, \
         authorization"
    );
    println!(
        "  B = the same stack (gRPC-Web, body, decoding, proto validation) with a fixed \
         Caller (the admin principal) instead of instance resolution, authentication and \
         authorization: A - B is their cost"
    );
    let errors = FirstError::default();
    let (mut rates_a, mut ratios) = (Vec::new(), Vec::new());
    for round in 1..=rounds {
        let sa = load::saturate(CLIENTS, warmup, window, a.get_user(&ids, &errors)).await;
        let sb = load::saturate(CLIENTS, warmup, window, b.get_user(&ids, &errors)).await;
        println!(
            "  round {round}, saturation: A {:>7.0} /s ({} failed), B {:>7.0} /s ({} failed); \
             B/A {:.3}{}",
            sa.rate,
            sa.failed,
            sb.rate,
            sb.failed,
            sb.rate / sa.rate,
            errors.suffix()
        );
        rates_a.push(sa.rate);
        ratios.push(sb.rate / sa.rate);
    }
    let offered = median(&rates_a) * OPEN_LOOP_SHARE;
    let mut p99_ratios = Vec::new();
    for round in 1..=rounds {
        let oa = load::open_loop(CLIENTS, offered, warmup, window, a.get_user(&ids, &errors)).await;
        let ob = load::open_loop(CLIENTS, offered, warmup, window, b.get_user(&ids, &errors)).await;
        let ratio = ms(oa.p99) / ms(ob.p99);
        println!(
            "  round {round}, open loop at {offered:.0} /s: A p50 {:.2} / p99 {:.2} ms \
             ({} failed), B p50 {:.2} / p99 {:.2} ms ({} failed); p99 A/B {ratio:.3}{}",
            ms(oa.p50),
            ms(oa.p99),
            oa.failed,
            ms(ob.p50),
            ms(ob.p99),
            ob.failed,
            errors.suffix()
        );
        p99_ratios.push(ratio);
    }
    let (ratio, p99_ratio) = (median(&ratios), median(&p99_ratios));
    println!(
        "  throughput B/A {ratio:.3} (median of rounds): the gate costs {:+.1} % per request  \
         [target auth+authz cost <= {:.0} %]",
        (ratio - 1.0) * 100.0,
        TARGET_AUTH_COST * 100.0
    );
    println!(
        "  p99 A/B {p99_ratio:.3} at {:.0} % of A's saturation (median of rounds): {:+.1} %  \
         [target <= {:.0} %]\n",
        OPEN_LOOP_SHARE * 100.0,
        (p99_ratio - 1.0) * 100.0,
        TARGET_AUTH_COST * 100.0
    );
    drop((a, b));
    node_rt.spawn(node.stop()).await.expect("node shutdown");
    if let Some(db) = db {
        db.drop_now().await;
    }
}

/// Section 3: AddHumanUser against the raw INSERT ceiling, alternating.
async fn create(window: Duration, rounds: usize) {
    let warmup = load::warmup(window);
    let db = Db::create().await;
    let server = Server::start(&db.env()).await;
    let grpc = Grpc::connect(&server.url, &server.token).await;
    let org = Arc::new(grpc.org().await);
    let ceiling = Ceiling::prepare(&db, CLIENTS).await;
    println!(
        "AddHumanUser (no password) over gRPC on PostgreSQL, release server, {CLIENTS} clients \
         over {CHANNELS} h2c connections, against the ceiling in the same database:"
    );
    println!("  ceiling: {}", Ceiling::describe(CLIENTS));
    let errors = FirstError::default();
    let mut ratios = Vec::new();
    for round in 1..=rounds {
        let raw = ceiling.measure(CLIENTS, warmup, window).await;
        tokio::time::sleep(Duration::from_secs(1)).await;
        let (grpc2, org2, errors2) = (grpc.clone(), org.clone(), errors.clone());
        let adds = load::saturate(CLIENTS, warmup, window, move |client, n| {
            let (grpc, org, errors) = (grpc2.clone(), org2.clone(), errors2.clone());
            async move {
                match grpc.add_user(client, &org, &format!("r{round}u{n}")).await {
                    Ok(_) => true,
                    Err(status) => {
                        errors.note(format!("{:?}: {}", status.code(), status.message()));
                        false
                    }
                }
            }
        })
        .await;
        tokio::time::sleep(Duration::from_secs(1)).await;
        let ratio = adds.rate / raw.rate;
        println!(
            "  round {round}: raw INSERT {:>7.0} /s ({} failed), AddHumanUser {:>7.0} /s \
             ({} failed); ratio {ratio:.3}{}",
            raw.rate,
            raw.failed,
            adds.rate,
            adds.failed,
            errors.suffix()
        );
        ratios.push(ratio);
    }
    println!(
        "  AddHumanUser / raw INSERT ceiling: {:.3} (median of rounds)  [target >= {TARGET_CREATE_RATIO} x, \
         as in the cqrs bench]\n",
        median(&ratios)
    );
    ceiling.close().await;
    server.stop().await;
    db.drop_now().await;
}
