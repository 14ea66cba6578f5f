//! Login-flow plugins in the real login path, on both backends: sessions
//! (session API) and the authorization-code flow (`CreateCallback`, the
//! token endpoint, userinfo) of a real server, with
//! - the shipped `require-totp-for-roles` (holders of `ORG_OWNER` need a
//!   second factor) and `metadata-claims` (`department` from metadata),
//!   enabled in the configuration;
//! - the test plugin `probe-flow`, dropped into the plugin directory: it
//!   puts what the hooks were told into claims, and denies, traps or spins
//!   when the user's `probe` metadata asks it to.
//!
//! Given users with roles and metadata, when they log in, then the hooks
//! decide as configured: a second factor required and enforced, denials
//! with the plugin's message, claims in the ID token, the JWT access token
//! and userinfo; and a plugin that traps or runs past its deadline refuses
//! the login (fail closed), never lets it through.

use base64::Engine as _;
use openidconnect::PkceCodeChallenge;
use reqwest::StatusCode;
use serde_json::{Value, json};

use super::code_flow::{LoginUi, PASSWORD, REDIRECT, TOKEN, add_app, jwt_claims};
use super::post_form;
use crate::cqrs::{Backend, reason, start_configured};
use crate::plugins::test_plugin;
use crate::support::Api;

const CREATE_SESSION: &str = "rampart.session.v1.SessionService/CreateSession";

const CONFIG: &str = "Plugins:
  require-totp-for-roles:
    Enabled: true
    Config:
      roles: [ORG_OWNER]
  metadata-claims:
    Enabled: true
    Config:
      claims:
        department: department
";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_flows_on_sqlite() {
    login_flows(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_flows_on_postgres() {
    login_flows(Backend::postgres().await).await;
}

/// The people of the scenario, by the part they play.
struct People {
    /// A reader of the shop with a department: logs in plainly.
    bob: String,
    /// An owner of the organization: needs a second factor.
    ada: String,
}

async fn login_flows(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let plugins = dir.path().join("data/plugins");
    std::fs::create_dir_all(&plugins).unwrap();
    std::fs::copy(test_plugin("probe-flow"), plugins.join("probe-flow.wasm")).unwrap();
    let server = start_configured(dir.path(), &backend, CONFIG).await;
    let issuer = server.url.clone();
    let admin = Api::new(&server);
    let org = admin.add_org("ACME").await;
    let shop = admin.add_project(&org, "Shop").await;
    let (client_id, secret) = add_app(
        &admin,
        &shop,
        "Web",
        "CLIENT_AUTH_METHOD_CLIENT_SECRET_BASIC",
    )
    .await;
    let people = People {
        bob: admin.add_user(&org, "bob", Some(PASSWORD)).await,
        ada: admin.add_user(&org, "ada", Some(PASSWORD)).await,
    };
    admin
        .ok(
            "rampart.project.v1.ProjectService/AddProjectRole",
            json!({ "projectId": shop, "key": "reader", "displayName": "Reader" }),
        )
        .await;
    admin
        .ok(
            "rampart.authorization.v1.AuthorizationService/AddAuthorization",
            json!({ "orgId": org, "userId": people.bob, "projectId": shop,
                    "roleKeys": ["reader"] }),
        )
        .await;
    admin
        .ok(
            "rampart.member.v1.MemberService/AddOrgMember",
            json!({ "orgId": org, "userId": people.ada, "roles": ["ORG_OWNER"] }),
        )
        .await;
    set_metadata(&admin, &people.bob, "department", "research").await;
    let login = LoginUi {
        api: admin.clone(),
        http: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap(),
    };
    let app = App {
        issuer: &issuer,
        client: (&client_id, &secret),
        login: &login,
    };

    // Bob logs in: no second factor; the hooks' claims reach the ID token,
    // the JWT access token and userinfo.
    let (status, created) = create_session(&admin, &people.bob).await;
    assert_eq!(status, StatusCode::OK, "{created}");
    assert_eq!(created["secondFactorRequired"], Value::Null, "{created}");
    let session = session_of(&created);
    let tokens = app.log_in(&session).await;
    let id_token = jwt_claims(tokens["id_token"].as_str().unwrap());
    assert_eq!(id_token["department"], "research", "{id_token}");
    assert_eq!(
        id_token["probe_roles"],
        json!([format!("{shop}:reader")]),
        "{id_token}"
    );
    assert_eq!(id_token["probe_methods"], json!(["password"]), "{id_token}");
    assert_eq!(id_token["probe_client"], client_id.as_str(), "{id_token}");
    assert_eq!(
        id_token["sub"],
        people.bob.as_str(),
        "the server's own claims stand"
    );
    let access = tokens["access_token"].as_str().unwrap();
    let access_claims = jwt_claims(access);
    assert_eq!(access_claims["department"], "research", "{access_claims}");
    let userinfo: Value = reqwest::Client::new()
        .get(format!("{issuer}/oauth/v2/userinfo"))
        .bearer_auth(access)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(userinfo["department"], "research", "{userinfo}");
    assert_eq!(userinfo["probe_client"], client_id.as_str(), "{userinfo}");

    // Ada owns the organization: her session records that a second factor
    // is required, and it cannot finish a login without one.
    let (status, created) = create_session(&admin, &people.ada).await;
    assert_eq!(status, StatusCode::OK, "{created}");
    assert_eq!(created["secondFactorRequired"], true, "{created}");
    let (url, verifier) = app.authorize_url();
    let request = login.open(&url).await;
    let (status, refused) = login.callback(&request, &session_of(&created)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{refused}");
    assert_eq!(reason(&refused), "SECOND_FACTOR_REQUIRED", "{refused}");
    // With her TOTP checked on the same session, the login finishes: the
    // hooks were told of it, and the ID token says so.
    let (secret, used) = crate::totp::enrol(&admin, &people.ada).await;
    let session = session_of(&created);
    let set = admin
        .ok(
            "rampart.session.v1.SessionService/SetSession",
            json!({ "sessionId": session.0, "sessionToken": session.1,
                    "checks": { "totp": { "code": crate::totp::code(&secret, used + 1) } } }),
        )
        .await;
    assert_eq!(set["secondFactorRequired"], true, "still recorded: {set}");
    let session = (session.0, set["sessionToken"].as_str().unwrap().to_owned());
    let code = login.code(&request, &session, "s1").await;
    let (status, tokens) = app.exchange(&code, &verifier).await;
    assert_eq!(status, StatusCode::OK, "{tokens}");
    let id_token = jwt_claims(tokens["id_token"].as_str().unwrap());
    assert_eq!(id_token["amr"], json!(["pwd", "otp"]), "{id_token}");
    assert_eq!(
        id_token["probe_methods"],
        json!(["password", "totp"]),
        "{id_token}"
    );
    assert_eq!(id_token["probe_roles"], json!(["ORG_OWNER"]), "{id_token}");

    denials(&admin, &org, &app).await;
    failures(&admin, &org, &app).await;
}

/// The relying party: the server, its client, and the login UI.
struct App<'a> {
    issuer: &'a str,
    client: (&'a str, &'a str),
    login: &'a LoginUi,
}

impl App<'_> {
    /// An authorization URL (`openid profile`, PKCE S256) and its verifier.
    fn authorize_url(&self) -> (String, String) {
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let url = url::Url::parse_with_params(
            &format!("{}/oauth/v2/authorize", self.issuer),
            &[
                ("client_id", self.client.0),
                ("redirect_uri", REDIRECT),
                ("response_type", "code"),
                ("scope", "openid profile"),
                ("state", "s1"),
                ("code_challenge", challenge.as_str()),
                ("code_challenge_method", "S256"),
            ],
        )
        .unwrap();
        (url.to_string(), verifier.secret().clone())
    }

    /// Exchanges `code` (from an authorization URL with `verifier`).
    async fn exchange(&self, code: &str, verifier: &str) -> (StatusCode, Value) {
        post_form(
            self.issuer,
            TOKEN,
            None,
            Some(self.client),
            &[
                ("grant_type", "authorization_code"),
                ("code", code),
                ("redirect_uri", REDIRECT),
                ("code_verifier", verifier),
            ],
        )
        .await
    }

    /// A whole login with `session`: the token response.
    async fn log_in(&self, session: &(String, String)) -> Value {
        let (url, verifier) = self.authorize_url();
        let request = self.login.open(&url).await;
        let code = self.login.code(&request, session, "s1").await;
        let (status, tokens) = self.exchange(&code, &verifier).await;
        assert_eq!(status, StatusCode::OK, "{tokens}");
        tokens
    }
}

async fn set_metadata(admin: &Api, user: &str, key: &str, value: &str) {
    admin
        .ok(
            "rampart.user.v1.UserService/SetUserMetadata",
            json!({ "userId": user, "key": key,
                    "value": base64::engine::general_purpose::STANDARD.encode(value) }),
        )
        .await;
}

/// Creates a session of `user` with a password check.
async fn create_session(api: &Api, user: &str) -> (StatusCode, Value) {
    api.call(
        CREATE_SESSION,
        json!({ "checks": { "user": { "userId": user },
                            "password": { "password": PASSWORD } } }),
    )
    .await
}

fn session_of(created: &Value) -> (String, String) {
    (
        created["sessionId"].as_str().unwrap().to_owned(),
        created["sessionToken"].as_str().unwrap().to_owned(),
    )
}

/// A user of `org` whose `probe` metadata is `probe`.
async fn probed(admin: &Api, org: &str, name: &str, probe: &str) -> String {
    let user = admin.add_user(org, name, Some(PASSWORD)).await;
    set_metadata(admin, &user, "probe", probe).await;
    user
}

/// Denials reach the caller with the plugin's message: before the password
/// is tried (no session), and when finishing a request for a client.
async fn denials(admin: &Api, org: &str, app: &App<'_>) {
    let carol = probed(admin, org, "carol", "deny").await;
    let (status, refused) = create_session(admin, &carol).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{refused}");
    assert_eq!(reason(&refused), "LOGIN_DENIED", "{refused}");
    assert_eq!(refused["message"], "denied by probe-flow", "{refused}");

    let dan = probed(admin, org, "dan", "deny-client").await;
    let (status, created) = create_session(admin, &dan).await;
    assert_eq!(status, StatusCode::OK, "no client yet: {created}");
    let request = app.login.open(&app.authorize_url().0).await;
    let (status, refused) = app.login.callback(&request, &session_of(&created)).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{refused}");
    assert_eq!(reason(&refused), "LOGIN_DENIED", "{refused}");
    assert_eq!(refused["message"], "denied for this client by probe-flow");
}

/// A plugin that traps or spins past its deadline refuses the login with
/// a message naming it: no session, no token.
async fn failures(admin: &Api, org: &str, app: &App<'_>) {
    for (name, probe, why) in [
        ("erin", "trap", "PLUGIN_FAILED"),
        ("frank", "spin", "PLUGIN_DEADLINE_EXCEEDED"),
    ] {
        let user = probed(admin, org, name, probe).await;
        let (status, refused) = create_session(admin, &user).await;
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR, "{refused}");
        assert_eq!(reason(&refused), why, "{refused}");
        assert!(
            refused["message"].as_str().unwrap().contains("probe-flow"),
            "the message names the plugin: {refused}"
        );
        assert!(refused.get("sessionToken").is_none(), "{refused}");
    }

    // Claims that cannot be made: the code is not exchanged for tokens.
    let gail = probed(admin, org, "gail", "trap-claims").await;
    let (status, created) = create_session(admin, &gail).await;
    assert_eq!(status, StatusCode::OK, "{created}");
    let (url, verifier) = app.authorize_url();
    let request = app.login.open(&url).await;
    let code = app.login.code(&request, &session_of(&created), "s1").await;
    let (status, refused) = app.exchange(&code, &verifier).await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR, "{refused}");
    assert_eq!(refused["error"], "server_error", "{refused}");
    let description = refused["error_description"].as_str().unwrap();
    assert!(description.contains("probe-flow"), "{refused}");
    assert!(refused.get("access_token").is_none(), "{refused}");
}
