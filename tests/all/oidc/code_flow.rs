//! The authorization-code flow for a human user, driven by a real relying
//! party (the `openidconnect` crate) over the real server, on both
//! backends: discovery → authorize (to the login URL) → a login UI reads
//! the auth request, logs the user in with a session (session API) and
//! finishes it (`CreateCallback`) → the code exchanged with PKCE → the ID
//! token verified (signature by the JWKS, nonce, `at_hash`) → userinfo →
//! refresh with rotation, and reuse of a spent token revoking the family →
//! RP-initiated logout ending the session and its refresh tokens. And the
//! refusals: an unregistered redirect URI (answered, not redirected), a
//! public client without PKCE, a replayed code (revoking what it gave), a
//! wrong code verifier.

use openidconnect::core::{
    CoreAuthenticationFlow, CoreClient, CoreJwsSigningAlgorithm, CoreProviderMetadata,
    CoreUserInfoClaims,
};
use openidconnect::{
    AccessTokenHash, AuthorizationCode, ClientId, ClientSecret, CsrfToken, IssuerUrl, Nonce,
    OAuth2TokenResponse, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, RefreshToken, Scope,
    TokenResponse,
};
use reqwest::StatusCode;
use serde_json::{Value, json};

use super::post_form;
use crate::cqrs::{Backend, start};
use crate::support::Api;

pub(super) const REDIRECT: &str = "http://rp.example/callback";
const LOGGED_OUT: &str = "http://rp.example/logged-out";
pub(super) const PASSWORD: &str = "C0de-Fl0w-Passw0rd!";
pub(super) const TOKEN: &str = "/oauth/v2/token";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn code_flow_on_sqlite() {
    code_flow(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn code_flow_on_postgres() {
    code_flow(Backend::postgres().await).await;
}

/// The login UI: a caller holding `session.read` and `session.write`.
pub(super) struct LoginUi {
    pub(super) api: Api,
    pub(super) http: reqwest::Client,
}

impl LoginUi {
    /// Follows `auth_url` to the login URL; the auth request's id.
    pub(super) async fn open(&self, auth_url: &str) -> String {
        let response = self.http.get(auth_url).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::FOUND, "{auth_url}");
        let location = location(&response);
        let id = location
            .strip_prefix("/ui/login/?authRequest=")
            .unwrap_or_else(|| panic!("the login URL: {location}"));
        id.to_owned()
    }

    /// A session of `user` with a checked password: (id, token).
    pub(super) async fn login(&self, user: &str) -> (String, String) {
        let created = self
            .api
            .ok(
                "rampart.session.v1.SessionService/CreateSession",
                json!({ "checks": { "user": { "userId": user },
                                    "password": { "password": PASSWORD } },
                        "lifetimeSeconds": 3600 }),
            )
            .await;
        (
            created["sessionId"].as_str().unwrap().to_owned(),
            created["sessionToken"].as_str().unwrap().to_owned(),
        )
    }

    /// Finishes `request` with `session`: the raw answer.
    pub(super) async fn callback(
        &self,
        request: &str,
        session: &(String, String),
    ) -> (StatusCode, Value) {
        self.api
            .call(
                "rampart.oidc.v1.OidcService/CreateCallback",
                json!({ "authRequestId": request,
                        "session": { "sessionId": session.0, "sessionToken": session.1 } }),
            )
            .await
    }

    /// Finishes `request` with `session`; the code, after checking `state`.
    pub(super) async fn code(
        &self,
        request: &str,
        session: &(String, String),
        state: &str,
    ) -> String {
        let (status, answer) = self.callback(request, session).await;
        assert_eq!(status, StatusCode::OK, "{answer}");
        let url = url::Url::parse(answer["callbackUrl"].as_str().unwrap()).unwrap();
        assert_eq!(url.as_str().split('?').next(), Some(REDIRECT));
        let param = |name: &str| {
            url.query_pairs()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.into_owned())
        };
        assert_eq!(param("state").as_deref(), Some(state), "{url}");
        param("code").expect("a code")
    }
}

pub(super) fn location(response: &reqwest::Response) -> String {
    response
        .headers()
        .get("location")
        .expect("a Location header")
        .to_str()
        .unwrap()
        .to_owned()
}

/// Adds an OIDC app to `project` with `auth_method`: (client id, secret).
pub(super) async fn add_app(
    admin: &Api,
    project: &str,
    name: &str,
    auth_method: &str,
) -> (String, String) {
    let added = admin
        .ok(
            "rampart.project.v1.ProjectService/AddOidcApp",
            json!({ "projectId": project, "name": name, "config": {
                "redirectUris": [REDIRECT], "postLogoutRedirectUris": [LOGGED_OUT],
                "grantTypes": ["GRANT_TYPE_AUTHORIZATION_CODE", "GRANT_TYPE_REFRESH_TOKEN"],
                "authMethod": auth_method, "accessTokenType": "ACCESS_TOKEN_TYPE_JWT",
                "devMode": true } }),
        )
        .await;
    (
        added["clientId"].as_str().unwrap().to_owned(),
        added["clientSecret"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
    )
}

async fn code_flow(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path(), &backend, &[]).await;
    let issuer = server.url.clone();
    let admin = Api::new(&server);
    let org = admin.add_org("ACME").await;
    let ada = admin.add_user(&org, "ada", Some(PASSWORD)).await;
    let shop = admin.add_project(&org, "Shop").await;
    let (client_id, secret) = add_app(
        &admin,
        &shop,
        "Web",
        "CLIENT_AUTH_METHOD_CLIENT_SECRET_BASIC",
    )
    .await;
    let no_redirects = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let login = LoginUi {
        api: admin.clone(),
        http: no_redirects.clone(),
    };

    // Discovery, as the relying party reads it.
    let rp_http = openidconnect::reqwest::Client::builder()
        .redirect(openidconnect::reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let metadata =
        CoreProviderMetadata::discover_async(IssuerUrl::new(issuer.clone()).unwrap(), &rp_http)
            .await
            .expect("discovery");
    let rp = CoreClient::from_provider_metadata(
        metadata,
        ClientId::new(client_id.clone()),
        Some(ClientSecret::new(secret.clone())),
    )
    .set_redirect_uri(RedirectUrl::new(REDIRECT.to_owned()).unwrap());

    // Authorize → the login URL with the auth request's id.
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (auth_url, csrf, nonce) = rp
        .authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .add_scope(Scope::new("profile".into()))
        .add_scope(Scope::new("email".into()))
        .add_scope(Scope::new("offline_access".into()))
        .add_extra_param("login_hint", "ada")
        .set_pkce_challenge(challenge)
        .url();
    let request = login.open(auth_url.as_str()).await;

    // The login UI reads it, logs Ada in, and finishes it.
    let shown = admin
        .ok(
            "rampart.oidc.v1.OidcService/GetAuthRequest",
            json!({ "authRequestId": request }),
        )
        .await["authRequest"]
        .clone();
    assert_eq!(shown["appName"], "Web", "{shown}");
    assert_eq!(shown["clientId"], client_id.as_str());
    assert_eq!(shown["loginHint"], "ada");
    assert_eq!(
        shown["scopes"],
        json!(["openid", "profile", "email", "offline_access"])
    );
    let session = login.login(&ada).await;
    let code = login.code(&request, &session, csrf.secret()).await;

    // The code, with the PKCE verifier: tokens, the ID token verified.
    let tokens = rp
        .exchange_code(AuthorizationCode::new(code.clone()))
        .unwrap()
        .set_pkce_verifier(verifier)
        .request_async(&rp_http)
        .await
        .expect("the code exchange");
    let id_token = tokens.id_token().expect("an ID token");
    let id_verifier = rp
        .id_token_verifier()
        .set_allowed_algs(vec![CoreJwsSigningAlgorithm::EcdsaP256Sha256]);
    let claims = id_token
        .claims(&id_verifier, &nonce)
        .expect("a valid ID token");
    assert_eq!(claims.subject().as_str(), ada);
    assert_eq!(claims.email().map(|e| e.as_str()), Some("ada@example.com"));
    assert!(claims.auth_time().is_some());
    let at_hash = AccessTokenHash::from_token(
        tokens.access_token(),
        id_token.signing_alg().unwrap(),
        id_token.signing_key(&id_verifier).unwrap(),
    )
    .unwrap();
    assert_eq!(claims.access_token_hash(), Some(&at_hash));
    let raw_claims = jwt_claims(&id_token.to_string());
    assert_eq!(raw_claims["sid"], session.0.as_str(), "{raw_claims}");
    assert_eq!(raw_claims["amr"], json!(["pwd"]));
    assert_eq!(raw_claims["azp"], client_id.as_str());

    // Userinfo with the access token.
    let info: CoreUserInfoClaims = rp
        .user_info(tokens.access_token().clone(), None)
        .unwrap()
        .request_async(&rp_http)
        .await
        .expect("userinfo");
    assert_eq!(info.subject().as_str(), ada);
    assert_eq!(info.preferred_username().map(|u| u.as_str()), Some("ada"));

    // Refresh: rotation; the spent token again revokes the whole family.
    let first = tokens.refresh_token().expect("a refresh token").clone();
    let refreshed = rp
        .exchange_refresh_token(&first)
        .unwrap()
        .request_async(&rp_http)
        .await
        .expect("a refresh");
    let second = refreshed
        .refresh_token()
        .expect("a rotated refresh token")
        .clone();
    assert_ne!(first.secret(), second.secret());
    rp.user_info(refreshed.access_token().clone(), None)
        .unwrap()
        .request_async::<openidconnect::EmptyAdditionalClaims, _, openidconnect::core::CoreGenderClaim>(&rp_http)
        .await
        .expect("the refreshed access token works");
    let basic = Some((client_id.as_str(), secret.as_str()));
    for spent_then_current in [&first, &second] {
        let (status, refused) = post_form(
            &issuer,
            TOKEN,
            None,
            basic,
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", spent_then_current.secret()),
            ],
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{refused}");
        assert_eq!(refused["error"], "invalid_grant");
    }

    // A second login on the same session, for the logout to revoke.
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (auth_url, csrf, _) = rp
        .authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .add_scope(Scope::new("offline_access".into()))
        .set_pkce_challenge(challenge)
        .url();
    let request = login.open(auth_url.as_str()).await;
    let code = login.code(&request, &session, csrf.secret()).await;
    let again = rp
        .exchange_code(AuthorizationCode::new(code))
        .unwrap()
        .set_pkce_verifier(verifier)
        .request_async(&rp_http)
        .await
        .expect("the second code exchange");
    let kept = again.refresh_token().expect("a refresh token").clone();

    // RP-initiated logout with the first ID token: back with the state,
    // the session ended, its refresh tokens revoked.
    let logout = url::Url::parse_with_params(
        &format!("{issuer}/oidc/v1/end_session"),
        &[
            ("id_token_hint", id_token.to_string().as_str()),
            ("post_logout_redirect_uri", LOGGED_OUT),
            ("state", "bye"),
        ],
    )
    .unwrap();
    let response = no_redirects.get(logout).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::FOUND);
    assert_eq!(location(&response), format!("{LOGGED_OUT}?state=bye"));
    let refused = rp
        .exchange_refresh_token(&RefreshToken::new(kept.secret().clone()))
        .unwrap()
        .request_async(&rp_http)
        .await;
    assert!(refused.is_err(), "the session's refresh token is revoked");
    let request = login.open(auth_url.as_str()).await;
    let (status, answer) = login.callback(&request, &session).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "the session ended: {answer}");

    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (auth_url, csrf, _) = rp
        .authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .add_scope(Scope::new("offline_access".into()))
        .set_pkce_challenge(challenge)
        .url();
    let client = (client_id.as_str(), secret.as_str());
    let flow = Flow {
        issuer: &issuer,
        admin: &admin,
        login: &login,
        shop: &shop,
        ada: &ada,
        client,
    };
    refusals(&flow, &auth_url, csrf.secret(), &verifier).await;
}

/// What the refusals need of the flow.
struct Flow<'a> {
    issuer: &'a str,
    admin: &'a Api,
    login: &'a LoginUi,
    shop: &'a str,
    ada: &'a str,
    client: (&'a str, &'a str),
}

/// The claims of a JWT, unverified (to read what the typed claims hide).
pub(super) fn jwt_claims(jwt: &str) -> Value {
    use base64::Engine as _;
    let payload = jwt.split('.').nth(1).unwrap();
    serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload)
            .unwrap(),
    )
    .unwrap()
}

/// `auth_url` with `name` set to `value` (or removed with `None`).
fn with_param(url: &url::Url, name: &str, value: Option<&str>) -> String {
    let mut changed = url.clone();
    let pairs: Vec<(String, String)> = url
        .query_pairs()
        .filter(|(k, _)| k != name)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    {
        let mut query = changed.query_pairs_mut();
        query.clear();
        query.extend_pairs(pairs);
        if let Some(value) = value {
            query.append_pair(name, value);
        }
    }
    changed.to_string()
}

/// An unregistered redirect URI, a public client without PKCE (or with
/// `plain`), a wrong code verifier, a revoked refresh token, a replayed
/// code.
async fn refusals(flow: &Flow<'_>, auth_url: &url::Url, state: &str, verifier: &PkceCodeVerifier) {
    let Flow {
        issuer,
        admin,
        login,
        shop,
        ada,
        client,
    } = *flow;
    // An unregistered redirect URI is answered here, never redirected.
    let wrong = with_param(auth_url, "redirect_uri", Some("http://evil.example/cb"));
    let response = login.http.get(&wrong).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert!(response.headers().get("location").is_none());
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"], "invalid_request", "{body}");

    // A public client must use PKCE: the error goes back to the client.
    let (public_id, _) = add_app(admin, shop, "SPA", "CLIENT_AUTH_METHOD_NONE").await;
    let public = with_param(auth_url, "client_id", Some(&public_id));
    let bare = with_param(&url::Url::parse(&public).unwrap(), "code_challenge", None);
    let bare = with_param(
        &url::Url::parse(&bare).unwrap(),
        "code_challenge_method",
        None,
    );
    let response = login.http.get(&bare).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::FOUND);
    let back = url::Url::parse(&location(&response)).unwrap();
    let error: Vec<_> = back.query_pairs().filter(|(k, _)| k == "error").collect();
    assert_eq!(error[0].1, "invalid_request", "{back}");
    // `plain` is refused the same way.
    let plain = with_param(
        &url::Url::parse(&public).unwrap(),
        "code_challenge_method",
        Some("plain"),
    );
    let response = login.http.get(&plain).send().await.unwrap();
    assert!(location(&response).contains("error=invalid_request"));

    // A confidential client registered with pkceRequired must use it too.
    let strict = admin
        .ok(
            "rampart.project.v1.ProjectService/AddOidcApp",
            json!({ "projectId": shop, "name": "Strict", "config": {
                "redirectUris": [REDIRECT], "pkceRequired": true, "devMode": true,
                "authMethod": "CLIENT_AUTH_METHOD_CLIENT_SECRET_BASIC" } }),
        )
        .await;
    let strict_id = strict["clientId"].as_str().unwrap();
    let app = admin
        .ok(
            "rampart.project.v1.ProjectService/GetApp",
            json!({ "projectId": shop, "appId": strict["appId"] }),
        )
        .await;
    assert_eq!(app["app"]["oidc"]["pkceRequired"], true, "{app}");
    let without = with_param(
        &url::Url::parse(&bare).unwrap(),
        "client_id",
        Some(strict_id),
    );
    let response = login.http.get(&without).send().await.unwrap();
    let back = location(&response);
    assert!(back.contains("error=invalid_request"), "{back}");
    assert!(
        back.contains("require+PKCE") || back.contains("require%20PKCE"),
        "{back}"
    );

    // A wrong code verifier is refused, and does not spend the code; a
    // replayed code is refused and revokes what its exchange gave.
    let session = login.login(ada).await;
    let request = login.open(auth_url.as_str()).await;
    let code = login.code(&request, &session, state).await;
    let basic = Some(client);
    let exchange = |verifier: String| {
        let code = code.clone();
        async move {
            post_form(
                issuer,
                TOKEN,
                None,
                basic,
                &[
                    ("grant_type", "authorization_code"),
                    ("code", &code),
                    ("redirect_uri", REDIRECT),
                    ("code_verifier", &verifier),
                ],
            )
            .await
        }
    };
    let (status, refused) =
        exchange(PkceCodeChallenge::new_random_sha256().1.secret().clone()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{refused}");
    assert_eq!(refused["error"], "invalid_grant");
    let (status, tokens) = exchange(verifier.secret().clone()).await;
    assert_eq!(status, StatusCode::OK, "{tokens}");
    let access = tokens["access_token"].as_str().unwrap().to_owned();
    // RFC 7009 revokes a refresh token (its family) for its client.
    let refresh_token = tokens["refresh_token"].as_str().unwrap();
    let (status, _) = post_form(
        issuer,
        "/oauth/v2/revoke",
        None,
        basic,
        &[
            ("token", refresh_token),
            ("token_type_hint", "refresh_token"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (status, refused) = post_form(
        issuer,
        TOKEN,
        None,
        basic,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{refused}");
    assert_eq!(refused["error"], "invalid_grant", "revoked: {refused}");
    let userinfo = |token: String| async move {
        reqwest::Client::new()
            .get(format!("{issuer}/oauth/v2/userinfo"))
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
            .status()
    };
    assert_eq!(userinfo(access.clone()).await, StatusCode::OK);
    let (status, refused) = exchange(verifier.secret().clone()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{refused}");
    assert_eq!(refused["error"], "invalid_grant");
    assert_eq!(
        userinfo(access).await,
        StatusCode::UNAUTHORIZED,
        "the replayed code's access token is revoked"
    );
}
