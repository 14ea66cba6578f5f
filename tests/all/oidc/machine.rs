//! Machine users' OAuth grants over the real server, on both backends:
//! discovery and the JWKS; the JWT bearer grant with a key file and the
//! client credentials grant with a secret; opaque and JWT access tokens
//! (the JWT verified with the published key), used on Rampart's API;
//! introspection by an API application of the token's project only;
//! revocation by the machine user, which ends the token on the API at
//! once; and the refusals, each with its OAuth error.

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use reqwest::StatusCode;
use rsa::RsaPrivateKey;
use rsa::pkcs1::DecodeRsaPrivateKey;
use rsa::pkcs1v15::SigningKey;
use rsa::signature::{SignatureEncoding, Signer};
use serde_json::{Value, json};
use sha2::Sha256;

use super::{get_json, post_form};
use crate::cqrs::{Backend, start};
use crate::support::Api;

const TOKEN: &str = "/oauth/v2/token";
const INTROSPECT: &str = "/oauth/v2/introspect";
const REVOKE: &str = "/oauth/v2/revoke";
const JWT_BEARER: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";
const ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn machine_grants_on_sqlite() {
    machine_grants(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn machine_grants_on_postgres() {
    machine_grants(Backend::postgres().await).await;
}

/// A machine user's RS256 key, from its JSON key file.
struct KeyFile {
    key_id: String,
    private: RsaPrivateKey,
}

impl KeyFile {
    /// An assertion signed with the key: `iss` = `sub` = `signer`.
    fn assertion(&self, signer: &str, aud: &str, exp_in_secs: i64) -> String {
        let now = chrono::Utc::now().timestamp();
        let header = json!({ "alg": "RS256", "kid": self.key_id, "typ": "JWT" });
        let claims = json!({ "iss": signer, "sub": signer, "aud": aud,
                             "iat": now, "exp": now + exp_in_secs });
        let signed = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        let signature = SigningKey::<Sha256>::new(self.private.clone()).sign(signed.as_bytes());
        format!("{signed}.{}", URL_SAFE_NO_PAD.encode(signature.to_bytes()))
    }
}

async fn machine_grants(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path(), &backend, &[]).await;
    let issuer = server.url.clone();
    let admin = Api::new(&server);

    // Discovery names this issuer's endpoints; the JWKS has the first key.
    let (status, discovery) = get_json(&issuer, "/.well-known/openid-configuration").await;
    assert_eq!(status, StatusCode::OK, "{discovery}");
    assert_eq!(discovery["issuer"], issuer.as_str());
    assert_eq!(discovery["token_endpoint"], format!("{issuer}{TOKEN}"));
    assert_eq!(discovery["jwks_uri"], format!("{issuer}/oauth/v2/keys"));
    let grants = discovery["grant_types_supported"].to_string();
    assert!(grants.contains("client_credentials") && grants.contains(JWT_BEARER));
    let (_, metadata) = get_json(&issuer, "/.well-known/oauth-authorization-server").await;
    assert_eq!(metadata, discovery);
    let (status, jwks) = get_json(&issuer, "/oauth/v2/keys").await;
    assert_eq!(status, StatusCode::OK, "{jwks}");
    let keys = jwks["keys"].as_array().expect("keys");
    assert_eq!(keys.len(), 1, "{jwks}");
    assert_eq!(keys[0]["kty"], "EC");
    assert_eq!(keys[0]["alg"], "ES256");
    assert!(keys[0].get("d").is_none(), "no private member: {jwks}");

    // A machine user owning its organization, authorized on a project.
    let org = admin.add_org("ACME").await;
    let bot = admin
        .ok(
            "rampart.user.v1.UserService/AddMachineUser",
            json!({ "orgId": org, "username": "ci-bot", "name": "CI" }),
        )
        .await["userId"]
        .as_str()
        .unwrap()
        .to_owned();
    admin
        .ok(
            "rampart.member.v1.MemberService/AddOrgMember",
            json!({ "orgId": org, "userId": bot, "roles": ["ORG_OWNER"] }),
        )
        .await;
    let added = admin
        .ok(
            "rampart.user.v1.UserService/AddMachineKey",
            json!({ "userId": bot }),
        )
        .await;
    let file: Value = serde_json::from_slice(
        &STANDARD
            .decode(added["keyDetails"].as_str().unwrap())
            .unwrap(),
    )
    .unwrap();
    let key = KeyFile {
        key_id: file["keyId"].as_str().unwrap().to_owned(),
        private: RsaPrivateKey::from_pkcs1_pem(file["key"].as_str().unwrap()).unwrap(),
    };
    let shop = admin.add_project(&org, "Shop").await;
    admin
        .ok(
            "rampart.project.v1.ProjectService/AddProjectRole",
            json!({ "projectId": shop, "key": "reader", "displayName": "Reader" }),
        )
        .await;
    admin
        .ok(
            "rampart.authorization.v1.AuthorizationService/AddAuthorization",
            json!({ "orgId": org, "userId": bot, "projectId": shop, "roleKeys": ["reader"] }),
        )
        .await;
    let scope = format!(
        "openid urn:rampart:iam:api:aud urn:rampart:iam:project:id:{shop}:aud \
         urn:rampart:iam:project:roles no:such:scope"
    );

    // The JWT bearer grant: an opaque token by default.
    let (status, token) = post_form(
        &issuer,
        TOKEN,
        None,
        None,
        &[
            ("grant_type", JWT_BEARER),
            ("assertion", &key.assertion(&bot, &issuer, 300)),
            ("scope", &scope),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{token}");
    assert_eq!(token["token_type"], "Bearer");
    assert_eq!(token["expires_in"], 3600);
    let granted = token["scope"].as_str().unwrap();
    assert!(
        granted.contains("urn:rampart:iam:api:aud") && !granted.contains("no:such:scope"),
        "{granted}"
    );
    let opaque = token["access_token"].as_str().unwrap().to_owned();
    assert!(opaque.starts_with("ra_"), "{opaque}");

    // The token works on the API, with the user's permissions.
    let as_bot = Api::at(&issuer, Some(&opaque));
    let me = as_bot
        .ok("rampart.auth.v1.AuthService/GetMyUser", json!({}))
        .await;
    assert_eq!(me["user"]["id"], bot.as_str(), "{me}");
    as_bot
        .ok("rampart.org.v1.OrgService/GetOrg", json!({ "orgId": org }))
        .await;

    // Introspection by the project's API application.
    let api_app = admin
        .ok(
            "rampart.project.v1.ProjectService/AddApiApp",
            json!({ "projectId": shop, "name": "Backend" }),
        )
        .await;
    let client = (
        api_app["clientId"].as_str().unwrap().to_owned(),
        api_app["clientSecret"].as_str().unwrap().to_owned(),
    );
    let basic = Some((client.0.as_str(), client.1.as_str()));
    let (status, seen) = post_form(&issuer, INTROSPECT, None, basic, &[("token", &opaque)]).await;
    assert_eq!(status, StatusCode::OK, "{seen}");
    assert_eq!(seen["active"], true, "{seen}");
    assert_eq!(seen["sub"], bot.as_str());
    assert_eq!(seen["client_id"], bot.as_str());
    assert_eq!(seen["username"], "ci-bot");
    assert_eq!(seen["iss"], issuer.as_str());
    let audience = seen["aud"].to_string();
    assert!(
        audience.contains(&shop) && audience.contains(&issuer),
        "{audience}"
    );
    assert_eq!(
        seen["urn:rampart:iam:project:roles"][&shop],
        json!(["reader"]),
        "{seen}"
    );
    let (status, wrong) = post_form(
        &issuer,
        INTROSPECT,
        None,
        Some((&client.0, "not-the-secret")),
        &[("token", &opaque)],
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{wrong}");
    assert_eq!(wrong["error"], "invalid_client");
    // Another project's application does not see the token.
    let other_project = admin.add_project(&org, "Other").await;
    let other_app = admin
        .ok(
            "rampart.project.v1.ProjectService/AddApiApp",
            json!({ "projectId": other_project, "name": "Other backend" }),
        )
        .await;
    let (_, unseen) = post_form(
        &issuer,
        INTROSPECT,
        None,
        Some((
            other_app["clientId"].as_str().unwrap(),
            other_app["clientSecret"].as_str().unwrap(),
        )),
        &[("token", &opaque)],
    )
    .await;
    assert_eq!(unseen, json!({ "active": false }));

    // Revocation by the machine user (a client assertion with its key)
    // ends the token on the API and in introspection at once.
    let (status, revoked) = post_form(
        &issuer,
        REVOKE,
        None,
        None,
        &[
            ("token", &opaque),
            ("client_assertion_type", ASSERTION_TYPE),
            ("client_assertion", &key.assertion(&bot, &issuer, 300)),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{revoked}");
    let (_, seen) = post_form(&issuer, INTROSPECT, None, basic, &[("token", &opaque)]).await;
    assert_eq!(seen, json!({ "active": false }));
    let (status, _) = as_bot
        .call("rampart.auth.v1.AuthService/GetMyUser", json!({}))
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    // A token without the API's audience is refused by the API, saying why.
    let (_, narrow) = post_form(
        &issuer,
        TOKEN,
        None,
        None,
        &[
            ("grant_type", JWT_BEARER),
            ("assertion", &key.assertion(&bot, &issuer, 300)),
        ],
    )
    .await;
    let narrow = narrow["access_token"].as_str().unwrap();
    let (status, refused) = Api::at(&issuer, Some(narrow))
        .call("rampart.auth.v1.AuthService/GetMyUser", json!({}))
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{refused}");
    assert!(
        refused.to_string().contains("urn:rampart:iam:api:aud"),
        "{refused}"
    );

    let jwt = jwt_tokens(&admin, &issuer, &bot, &shop, basic).await;
    refusals(&issuer, &key, &bot).await;
    other_instance(&admin, &server, &key, &bot, &jwt).await;
}

/// Client credentials with the machine user's secret, JWT access tokens
/// verified with the published key, used on the API, introspected and
/// revoked; a token that stays valid on the API, for the other instance.
async fn jwt_tokens(
    admin: &Api,
    issuer: &str,
    bot: &str,
    shop: &str,
    introspector: Option<(&str, &str)>,
) -> String {
    admin
        .ok(
            "rampart.user.v1.UserService/UpdateMachineUser",
            json!({ "userId": bot, "name": "CI", "accessTokenType": "ACCESS_TOKEN_TYPE_JWT" }),
        )
        .await;
    let generated = admin
        .ok(
            "rampart.user.v1.UserService/GenerateMachineSecret",
            json!({ "userId": bot }),
        )
        .await;
    assert_eq!(generated["clientId"], "ci-bot");
    let secret = generated["clientSecret"].as_str().unwrap().to_owned();
    let scope = format!(
        "urn:rampart:iam:api:aud urn:rampart:iam:project:id:{shop}:aud urn:rampart:iam:project:roles"
    );
    let grant = || async {
        post_form(
            issuer,
            TOKEN,
            None,
            Some(("ci-bot", &secret)),
            &[("grant_type", "client_credentials"), ("scope", &scope)],
        )
        .await
    };
    let (status, token) = grant().await;
    assert_eq!(status, StatusCode::OK, "{token}");
    let jwt = token["access_token"].as_str().unwrap().to_owned();

    // The JWT verifies with the key the JWKS publishes (RFC 9068).
    let header = jsonwebtoken::decode_header(&jwt).unwrap();
    assert_eq!(header.typ.as_deref(), Some("at+jwt"));
    assert_eq!(header.alg, jsonwebtoken::Algorithm::ES256);
    let (_, jwks) = get_json(issuer, "/oauth/v2/keys").await;
    let jwk = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kid"].as_str() == header.kid.as_deref())
        .expect("the signing key is published");
    let key = jsonwebtoken::DecodingKey::from_ec_components(
        jwk["x"].as_str().unwrap(),
        jwk["y"].as_str().unwrap(),
    )
    .unwrap();
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::ES256);
    validation.set_issuer(&[issuer]);
    validation.set_audience(&[issuer]);
    let claims = jsonwebtoken::decode::<Value>(&jwt, &key, &validation)
        .expect("a valid JWT")
        .claims;
    assert_eq!(claims["sub"], bot);
    assert_eq!(claims["client_id"], "ci-bot");
    assert_eq!(
        claims["urn:rampart:iam:project:roles"][shop],
        json!(["reader"]),
        "{claims}"
    );
    assert!(claims["jti"].is_string());

    // It works on the API and in introspection, until the machine user
    // revokes it with its secret.
    let as_bot = Api::at(issuer, Some(&jwt));
    as_bot
        .ok("rampart.auth.v1.AuthService/GetMyUser", json!({}))
        .await;
    let (_, seen) = post_form(issuer, INTROSPECT, None, introspector, &[("token", &jwt)]).await;
    assert_eq!(seen["active"], true, "{seen}");
    let (status, _) = post_form(
        issuer,
        REVOKE,
        None,
        Some(("ci-bot", &secret)),
        &[("token", &jwt), ("token_type_hint", "access_token")],
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = as_bot
        .call("rampart.auth.v1.AuthService/GetMyUser", json!({}))
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "a revoked JWT");
    let (_, seen) = post_form(issuer, INTROSPECT, None, introspector, &[("token", &jwt)]).await;
    assert_eq!(seen, json!({ "active": false }));

    // A wrong secret is refused; a new secret replaces the old one.
    let (status, wrong) = post_form(
        issuer,
        TOKEN,
        None,
        Some(("ci-bot", "0000")),
        &[("grant_type", "client_credentials")],
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{wrong}");
    assert_eq!(wrong["error"], "invalid_client");
    let (status, token) = grant().await;
    assert_eq!(status, StatusCode::OK, "{token}");
    token["access_token"].as_str().unwrap().to_owned()
}

/// Assertions and requests that do not hold, each with its OAuth error.
async fn refusals(issuer: &str, key: &KeyFile, bot: &str) {
    let grant = |assertion: String| async move {
        post_form(
            issuer,
            TOKEN,
            None,
            None,
            &[("grant_type", JWT_BEARER), ("assertion", &assertion)],
        )
        .await
    };
    let good = key.assertion(bot, issuer, 300);
    let mut parts: Vec<String> = good.split('.').map(str::to_owned).collect();
    parts[1] = URL_SAFE_NO_PAD.encode(
        json!({ "iss": bot, "sub": bot, "aud": issuer, "exp": chrono::Utc::now().timestamp() + 600 })
            .to_string(),
    );
    let cases = [
        (parts.join("."), "signature"),
        (key.assertion(bot, issuer, -600), "expired"),
        (key.assertion(bot, "https://elsewhere.example", 300), "aud"),
        (key.assertion(bot, issuer, 86_400), "within an hour"),
        (key.assertion("nobody", issuer, 300), "unknown"),
        ("not.a.jwt".to_owned(), "base64url"),
    ];
    for (assertion, why) in cases {
        let (status, answer) = grant(assertion).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{why}: {answer}");
        assert_eq!(answer["error"], "invalid_grant", "{why}: {answer}");
        assert!(
            answer["error_description"].as_str().unwrap().contains(why),
            "{why}: {answer}"
        );
    }
    let (status, answer) =
        post_form(issuer, TOKEN, None, None, &[("grant_type", "password")]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(answer["error"], "unsupported_grant_type", "{answer}");
    let (status, answer) = post_form(issuer, TOKEN, None, None, &[("scope", "openid")]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(answer["error"], "invalid_request", "{answer}");
    assert!(
        answer["error_description"]
            .as_str()
            .unwrap()
            .contains("grant_type")
    );
    let json_body = reqwest::Client::new()
        .post(format!("{issuer}{TOKEN}"))
        .json(&json!({ "grant_type": JWT_BEARER }))
        .send()
        .await
        .unwrap();
    assert_eq!(json_body.status(), StatusCode::BAD_REQUEST);
    let answer: Value = json_body.json().await.unwrap();
    assert_eq!(answer["error"], "invalid_request", "{answer}");
    // Client credentials are for machine users: an unknown one is refused
    // like a wrong secret.
    let (status, answer) = post_form(
        issuer,
        TOKEN,
        None,
        Some(("nobody", "secret")),
        &[("grant_type", "client_credentials")],
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{answer}");
    assert_eq!(answer["error"], "invalid_client");
}

/// Another instance has keys of its own, and does not accept this
/// instance's tokens or assertions.
async fn other_instance(
    admin: &Api,
    server: &crate::support::TestServer,
    key: &KeyFile,
    bot: &str,
    jwt: &str,
) {
    let other = admin
        .ok(
            "rampart.instance.v1.InstanceService/AddInstance",
            json!({
                "name": "Other",
                "domains": ["oidc-other.test"],
                "admin": {
                    "username": "other-admin",
                    "name": "Other admin",
                    "tokenExpirationDate": (chrono::Utc::now() + chrono::Duration::days(1)).to_rfc3339(),
                },
            }),
        )
        .await;
    assert!(other["instanceId"].is_string(), "{other}");
    let issuer = &server.url;
    let port = issuer.rsplit(':').next().unwrap();
    let host = format!("oidc-other.test:{port}");
    let (status, answer) = post_form(
        issuer,
        TOKEN,
        Some(&host),
        None,
        &[
            ("grant_type", JWT_BEARER),
            // Even addressed to the other issuer, the user is not there.
            (
                "assertion",
                &key.assertion(bot, &format!("http://{host}"), 300),
            ),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
    assert_eq!(answer["error"], "invalid_grant", "{answer}");
    let (status, answer) = post_form(
        issuer,
        TOKEN,
        Some("nowhere.test"),
        None,
        &[("grant_type", JWT_BEARER)],
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{answer}");
    // This instance's token means nothing there, and its keys are its own.
    let (status, refused) = Api::at(issuer, Some(jwt))
        .on_host(&host)
        .call("rampart.auth.v1.AuthService/GetMyUser", json!({}))
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{refused}");
    let theirs = reqwest::Client::new()
        .get(format!("{issuer}/oauth/v2/keys"))
        .header("host", &host)
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap();
    let (_, ours) = get_json(issuer, "/oauth/v2/keys").await;
    assert_ne!(theirs["keys"][0]["kid"], ours["keys"][0]["kid"], "{theirs}");
}
