//! The hosted login (`/ui/login/`) in a browser's place, on both backends:
//! an application sends the browser to authorize, the pages ask for the
//! username and the password with plain HTML forms (no JavaScript), and the
//! browser lands back at the application with a code that exchanges for
//! tokens. Given/when/then along the way: the cookies are `HttpOnly` with
//! their `SameSite`, a form without its CSRF value is refused, a wrong
//! password and an unknown user are said on the page, in English or in
//! German as `ui_locales` asks, and a closed request is a page, not JSON.

use std::collections::BTreeMap;

use openidconnect::PkceCodeChallenge;
use reqwest::StatusCode;
use serde_json::json;

use super::code_flow::TOKEN;
use super::code_flow::{PASSWORD, REDIRECT, add_app, jwt_claims};
use super::post_form;
use crate::cqrs::{Backend, start};
use crate::support::Api;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hosted_login_on_sqlite() {
    hosted_login(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hosted_login_on_postgres() {
    hosted_login(Backend::postgres().await).await;
}

/// A browser: follows nothing by itself, keeps cookies.
struct Browser {
    http: reqwest::Client,
    base: String,
    cookies: BTreeMap<String, String>,
    /// Every `Set-Cookie` seen, as sent.
    set_cookies: Vec<String>,
}

/// A page or redirect the browser got.
struct Got {
    status: StatusCode,
    location: Option<String>,
    headers: reqwest::header::HeaderMap,
    body: String,
}

impl Browser {
    fn new(base: &str) -> Self {
        Self {
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            base: base.to_owned(),
            cookies: BTreeMap::new(),
            set_cookies: Vec::new(),
        }
    }

    fn url(&self, target: &str) -> String {
        if target.starts_with("http") {
            target.to_owned()
        } else {
            format!("{}{target}", self.base)
        }
    }

    async fn send(&mut self, request: reqwest::RequestBuilder) -> Got {
        let cookie: Vec<String> = self
            .cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        let request = if cookie.is_empty() {
            request
        } else {
            request.header("cookie", cookie.join("; "))
        };
        let response = request.send().await.expect("the server answers");
        for set in response.headers().get_all("set-cookie") {
            let set = set.to_str().unwrap().to_owned();
            let pair = set.split(';').next().unwrap();
            let (name, value) = pair.split_once('=').unwrap();
            if value.is_empty() || set.contains("Max-Age=0") {
                self.cookies.remove(name);
            } else {
                self.cookies.insert(name.to_owned(), value.to_owned());
            }
            self.set_cookies.push(set);
        }
        Got {
            status: response.status(),
            location: response
                .headers()
                .get("location")
                .map(|l| l.to_str().unwrap().to_owned()),
            headers: response.headers().clone(),
            body: response.text().await.unwrap_or_default(),
        }
    }

    async fn get(&mut self, target: &str) -> Got {
        let request = self.http.get(self.url(target));
        self.send(request).await
    }

    async fn post(&mut self, target: &str, form: &[(&str, &str)]) -> Got {
        let request = self.http.post(self.url(target)).form(form);
        self.send(request).await
    }

    /// Posts a form of the hosted login: the auth request and CSRF value of
    /// `form`, and `field`.
    async fn submit(&mut self, path: &str, form: &LoginForm, field: (&str, &str)) -> Got {
        self.post(
            path,
            &[
                ("authRequest", form.request.as_str()),
                ("csrf", form.csrf.as_str()),
                field,
            ],
        )
        .await
    }

    /// The `Set-Cookie` of cookie `name` last seen.
    fn set_cookie(&self, name: &str) -> &str {
        self.set_cookies
            .iter()
            .rev()
            .find(|c| c.starts_with(&format!("{name}=")))
            .unwrap_or_else(|| panic!("no Set-Cookie of {name}: {:?}", self.set_cookies))
    }
}

/// The hidden fields every form of a login repeats.
struct LoginForm {
    request: String,
    csrf: String,
}

impl LoginForm {
    /// The hidden fields of `page`.
    fn of(page: &str) -> Self {
        Self {
            request: hidden(page, "authRequest"),
            csrf: hidden(page, "csrf"),
        }
    }
}

/// The value of the hidden field `name` of a page.
fn hidden(body: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = body
        .find(&marker)
        .unwrap_or_else(|| panic!("no field {name} in {body}"))
        + marker.len();
    body[start..start + body[start..].find('"').unwrap()].to_owned()
}

/// Authorizes `client` with PKCE (and `extra` parameters): the login
/// page's path, and the code verifier.
async fn authorize(
    browser: &mut Browser,
    client: &str,
    extra: &[(&str, &str)],
) -> (String, String) {
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let mut params = vec![
        ("client_id", client),
        ("redirect_uri", REDIRECT),
        ("response_type", "code"),
        ("scope", "openid profile"),
        ("state", "st"),
        ("code_challenge", challenge.as_str()),
        ("code_challenge_method", "S256"),
    ];
    params.extend_from_slice(extra);
    let url = url::Url::parse_with_params(&browser.url("/oauth/v2/authorize"), &params).unwrap();
    let got = browser.get(url.as_str()).await;
    assert_eq!(got.status, StatusCode::FOUND, "{}", got.body);
    (got.location.unwrap(), verifier.secret().clone())
}

/// Organization ACME with project Shop and its confidential app Web: their
/// ids, and the app's client id and secret.
async fn web_app(admin: &Api) -> (String, String, (String, String)) {
    let org = admin.add_org("ACME").await;
    let shop = admin.add_project(&org, "Shop").await;
    let app = add_app(
        admin,
        &shop,
        "Web",
        "CLIENT_AUTH_METHOD_CLIENT_SECRET_BASIC",
    )
    .await;
    (org, shop, app)
}

async fn hosted_login(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path(), &backend, &[]).await;
    let admin = Api::new(&server);
    let (org, shop, (client_id, secret)) = web_app(&admin).await;
    let ada = admin.add_user(&org, "ada", Some(PASSWORD)).await;
    let mut browser = Browser::new(&server.url);

    // Given an application's authorize request, the first page asks who
    // signs in: plain HTML, the hint filled in, protected headers.
    let (login_page, verifier) =
        authorize(&mut browser, &client_id, &[("login_hint", "ada")]).await;
    assert!(
        login_page.starts_with("/ui/login/?authRequest="),
        "{login_page}"
    );
    let page = browser.get(&login_page).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("<form method=\"post\""), "{}", page.body);
    assert!(!page.body.contains("<script"), "no JavaScript");
    assert!(page.body.contains("lang=\"en\"") && page.body.contains("value=\"ada\""));
    assert!(page.body.contains("Web"), "names the application");
    let csp = page.headers["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    let csrf_cookie = browser.set_cookie("rampart_csrf").to_owned();
    assert!(csrf_cookie.contains("HttpOnly") && csrf_cookie.contains("SameSite=Strict"));
    let mut form = LoginForm::of(&page.body);

    // A form without the CSRF value is refused, as a page.
    let refused = browser
        .post(
            "/ui/login/username",
            &[("authRequest", &form.request), ("loginName", "ada")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert!(
        refused.body.contains("This form has expired"),
        "{}",
        refused.body
    );
    if browser.cookies["rampart_csrf"] != form.csrf {
        form.csrf = hidden(&refused.body, "csrf");
    }

    // An unknown user is said on the page.
    let unknown = browser
        .submit("/ui/login/username", &form, ("loginName", "nobody"))
        .await;
    assert_eq!(unknown.status, StatusCode::BAD_REQUEST);
    assert!(
        unknown.body.contains("There is no user with this name."),
        "{}",
        unknown.body
    );
    assert!(unknown.body.contains("role=\"alert\""));

    // The username: a session in an HttpOnly cookie, on to the password.
    let next = browser
        .submit("/ui/login/username", &form, ("loginName", "ada"))
        .await;
    assert_eq!(next.status, StatusCode::SEE_OTHER, "{}", next.body);
    let session_cookie = browser.set_cookie("rampart_login").to_owned();
    assert!(
        session_cookie.contains("HttpOnly") && session_cookie.contains("SameSite=Lax"),
        "{session_cookie}"
    );
    let password_page = browser.get(&next.location.unwrap()).await;
    assert_eq!(
        password_page.status,
        StatusCode::OK,
        "{}",
        password_page.body
    );
    assert!(
        password_page.body.contains("<strong>ada</strong>"),
        "{}",
        password_page.body
    );
    assert!(
        password_page
            .body
            .contains("autocomplete=\"current-password\"")
    );

    // A wrong password is said on the page; the right one goes back to the
    // application with a code, and the code gives tokens.
    let wrong = browser
        .submit("/ui/login/password", &form, ("password", "Wr0ng-Passw0rd!"))
        .await;
    assert_eq!(wrong.status, StatusCode::BAD_REQUEST);
    assert!(
        wrong.body.contains("The password is incorrect."),
        "{}",
        wrong.body
    );
    let back = browser
        .submit("/ui/login/password", &form, ("password", PASSWORD))
        .await;
    assert_eq!(back.status, StatusCode::SEE_OTHER, "{}", back.body);
    let callback = back.location.unwrap();
    assert!(callback.starts_with(REDIRECT), "{callback}");
    assert_eq!(query_param(&callback, "state").as_deref(), Some("st"));
    let code = query_param(&callback, "code").expect("a code");
    let id_token = exchange(&server.url, (&client_id, &secret), &code, &verifier).await;
    assert_eq!(id_token["sub"], ada.as_str(), "{id_token}");
    assert_eq!(id_token["amr"], serde_json::json!(["pwd"]));

    single_sign_on(&admin, &shop, &mut browser, &ada).await;

    // In German when the application asks for it (a browser of its own: this
    // one would be signed in at once).
    let mut browser = Browser::new(&server.url);
    let (login_page, _) = authorize(&mut browser, &client_id, &[("ui_locales", "de")]).await;
    let page = browser.get(&login_page).await;
    assert!(
        page.body.contains("lang=\"de\"") && page.body.contains("Anmelden"),
        "{}",
        page.body
    );
    let form = LoginForm::of(&page.body);
    let unknown = browser
        .submit("/ui/login/username", &form, ("loginName", "niemand"))
        .await;
    assert!(
        unknown
            .body
            .contains("Es gibt keinen Benutzer mit diesem Namen."),
        "{}",
        unknown.body
    );

    second_factor(&admin, &mut Browser::new(&server.url), &client_id).await;

    // A request that does not exist is a page that says so.
    let closed = browser.get("/ui/login/?authRequest=nope").await;
    assert_eq!(closed.status, StatusCode::BAD_REQUEST);
    assert!(
        closed.headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html"),
        "{:?}",
        closed.headers
    );
    assert!(
        closed.body.contains("expired or was already used"),
        "{}",
        closed.body
    );
}

/// Given an organization whose login settings force a second factor and
/// a user with a TOTP, when she logs in, then after the password the
/// pages ask for a code: a wrong one is said on the page, the right one
/// goes back to the application.
async fn second_factor(admin: &Api, browser: &mut Browser, client_id: &str) {
    let strict = admin.add_org("Strict").await;
    admin
        .ok(
            "rampart.settings.v1.SettingsService/SetOrgSettings",
            json!({ "orgId": strict, "login": { "allowUsernamePassword": true, "forceMfa": true,
                    "secondFactors": ["SECOND_FACTOR_TOTP"] } }),
        )
        .await;
    let grace = admin.add_user(&strict, "grace", Some(PASSWORD)).await;
    let (secret, used) = crate::totp::enrol(admin, &grace).await;

    let (login_page, _) = authorize(browser, client_id, &[("login_hint", "grace")]).await;
    let page = browser.get(&login_page).await;
    let form = LoginForm::of(&page.body);
    let next = browser
        .submit("/ui/login/username", &form, ("loginName", "grace"))
        .await;
    assert_eq!(next.status, StatusCode::SEE_OTHER, "{}", next.body);
    let asked = browser
        .submit("/ui/login/password", &form, ("password", PASSWORD))
        .await;
    assert_eq!(asked.status, StatusCode::SEE_OTHER, "{}", asked.body);
    let second = asked.location.unwrap();
    assert!(second.starts_with("/ui/login/second-factor?"), "{second}");
    let page = browser.get(&second).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(
        page.body.contains("autocomplete=\"one-time-code\""),
        "{}",
        page.body
    );

    let wrong = browser
        .submit("/ui/login/second-factor", &form, ("code", "000000"))
        .await;
    assert_eq!(wrong.status, StatusCode::BAD_REQUEST, "{}", wrong.body);
    assert!(
        wrong.body.contains("The code is incorrect"),
        "{}",
        wrong.body
    );
    let code = crate::totp::code(&secret, used + 1);
    let back = browser
        .submit("/ui/login/second-factor", &form, ("code", &code))
        .await;
    assert_eq!(back.status, StatusCode::SEE_OTHER, "{}", back.body);
    let location = back.location.unwrap();
    assert!(
        location.starts_with(REDIRECT) && location.contains("code="),
        "{location}"
    );
}

/// The query parameter `name` of `url`.
fn query_param(url: &str, name: &str) -> Option<String> {
    url::Url::parse(url)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// Given a browser signed in through the hosted login, when another
/// application of the instance sends it to authorize, then it goes back
/// with a code at once (also with `prompt=none`), and the code is the
/// same user's; `prompt=login` still shows the login page; a browser
/// without a session asking `prompt=none` gets `login_required`.
async fn single_sign_on(admin: &Api, shop: &str, browser: &mut Browser, ada: &str) {
    let (other_id, other_secret) = add_app(
        admin,
        shop,
        "Admin console",
        "CLIENT_AUTH_METHOD_CLIENT_SECRET_BASIC",
    )
    .await;
    for prompt in [&[][..], &[("prompt", "none")][..]] {
        let (back, verifier) = authorize(browser, &other_id, prompt).await;
        assert!(back.starts_with(REDIRECT), "signed in at once: {back}");
        assert_eq!(query_param(&back, "state").as_deref(), Some("st"));
        let code = query_param(&back, "code").expect("a code");
        let client = (other_id.as_str(), other_secret.as_str());
        let id_token = exchange(&browser.base, client, &code, &verifier).await;
        assert_eq!(id_token["sub"], ada, "{id_token}");
        assert_eq!(id_token["aud"], serde_json::json!([other_id]), "{id_token}");
    }
    let (login, _) = authorize(browser, &other_id, &[("prompt", "login")]).await;
    assert!(login.starts_with("/ui/login/?authRequest="), "{login}");

    let mut stranger = Browser::new(&browser.base);
    let (back, _) = authorize(&mut stranger, &other_id, &[("prompt", "none")]).await;
    assert!(back.starts_with(REDIRECT), "{back}");
    assert_eq!(
        query_param(&back, "error").as_deref(),
        Some("login_required"),
        "{back}"
    );
    assert_eq!(query_param(&back, "state").as_deref(), Some("st"));
    assert!(query_param(&back, "code").is_none());
}

/// Given limits of 4 attempts per address and 2 per login name, when the
/// forms are posted more often, then the attempt over a limit is refused
/// with a 429 page and `Retry-After`, for that name or that address only
/// as the limit says.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attempts_over_the_limits_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let limits = [
        ("RAMPART_OIDC_LOGINRATELIMIT_PERADDRESS", "4"),
        ("RAMPART_OIDC_LOGINRATELIMIT_PERUSER", "2"),
    ];
    let server = start(dir.path(), &Backend::Sqlite, &limits).await;
    let admin = Api::new(&server);
    let (_, _, (client_id, _)) = web_app(&admin).await;
    let mut browser = Browser::new(&server.url);
    let (login_page, _) = authorize(&mut browser, &client_id, &[]).await;
    let page = browser.get(&login_page).await;
    let form = LoginForm::of(&page.body);
    let mut try_name = async |name: &str| {
        browser
            .submit("/ui/login/username", &form, ("loginName", name))
            .await
    };
    for name in ["ghost", "ghost"] {
        assert_eq!(try_name(name).await.status, StatusCode::BAD_REQUEST);
    }
    let refused = try_name("Ghost").await;
    assert_eq!(
        refused.status,
        StatusCode::TOO_MANY_REQUESTS,
        "{}",
        refused.body
    );
    assert!(
        refused.body.contains("Too many attempts"),
        "{}",
        refused.body
    );
    assert!(refused.headers.contains_key("retry-after"));
    // Another name from the same address: the fourth attempt of the
    // address passes its checks, the fifth is over the address's limit.
    assert_eq!(try_name("phantom").await.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        try_name("spirit").await.status,
        StatusCode::TOO_MANY_REQUESTS
    );
}

/// Exchanges `code` (with `verifier`) at `base` as `client`: the ID
/// token's claims.
async fn exchange(
    base: &str,
    client: (&str, &str),
    code: &str,
    verifier: &str,
) -> serde_json::Value {
    let (status, tokens) = post_form(
        base,
        TOKEN,
        None,
        Some(client),
        &[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", verifier),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{tokens}");
    jwt_claims(tokens["id_token"].as_str().unwrap())
}
