//! # redirect-uri-policy
//!
//! Validator plugin checking the redirect and post-logout redirect URIs of
//! OIDC applications (`project.application.oidc.add` and `.change`):
//!
//! - `https://` always;
//! - `http://` only for an application in development mode (or, with
//!   `allowHttpLoopback`, to `localhost`, `127.0.0.1` or `[::1]`, as
//!   native apps use per RFC 8252);
//! - another scheme (`com.example.app:/cb`, a native app's own) unless
//!   `allowCustomSchemes` is off; `javascript:`, `data:`, `file:` and
//!   `vbscript:` never;
//! - no `*` in the host; with `allowedHosts`, only those hosts and their
//!   subdomains.
//!
//! Configuration (all optional):
//!
//! ```json
//! { "allowHttpLoopback": false, "allowCustomSchemes": true, "allowedHosts": [] }
//! ```

use rampart_plugin_sdk::catalogue::{AddOidcApp, ChangeOidcApp, OidcConfig};
use rampart_plugin_sdk::prelude::*;
use serde::Deserialize;

/// Schemes that run code or read files wherever they are opened.
const DANGEROUS: [&str; 4] = ["javascript", "data", "file", "vbscript"];

/// The rules, from the plugin's configuration.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct Config {
    allow_http_loopback: bool,
    allow_custom_schemes: bool,
    allowed_hosts: Vec<String>,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            allow_http_loopback: false,
            allow_custom_schemes: true,
            allowed_hosts: Vec::new(),
        }
    }
}

/// The `redirect-uri-policy` validator.
pub struct RedirectUriPolicy;

impl Validator for RedirectUriPolicy {
    fn manifest() -> Manifest {
        Manifest::new("redirect-uri-policy", env!("CARGO_PKG_VERSION"))
            .description(
                "OIDC redirect URIs: https unless in development mode; no dangerous schemes",
            )
            .handles([AddOidcApp::NAME, ChangeOidcApp::NAME])
            .capabilities([Capability::Config])
    }

    fn validate(ctx: &Ctx, command: &Command, _state: &State) -> Result<(), Rejection> {
        let config = if command.name == AddOidcApp::NAME {
            command.payload::<AddOidcApp>()?.config
        } else {
            command.payload::<ChangeOidcApp>()?.config
        };
        check(&ctx.config()?, &config)
    }
}

export_validator!(RedirectUriPolicy);

/// The first URI of `app` that breaks a rule, if any.
fn check(config: &Config, app: &OidcConfig) -> Result<(), Rejection> {
    let all = app
        .redirect_uris
        .iter()
        .chain(&app.post_logout_redirect_uris);
    for uri in all {
        check_uri(config, app.dev_mode, uri)?;
    }
    Ok(())
}

/// Why `uri` is not allowed, if it is not.
fn check_uri(config: &Config, dev_mode: bool, uri: &str) -> Result<(), Rejection> {
    let (scheme, rest) = uri.split_once(':').unwrap_or((uri, ""));
    let scheme = scheme.to_ascii_lowercase();
    let host = rest.strip_prefix("//").map(host_of);
    match (scheme.as_str(), host) {
        ("https", Some(host)) => check_host(config, uri, host),
        ("http", Some(host)) => {
            let loopback = matches!(host.as_str(), "localhost" | "127.0.0.1" | "[::1]");
            if dev_mode || (config.allow_http_loopback && loopback) {
                check_host(config, uri, host)
            } else {
                Err(Rejection::new(
                    "REDIRECT_URI_INSECURE",
                    format!(
                        "the redirect URI {uri:?} uses http; use https, or turn on the \
                         application's development mode"
                    ),
                ))
            }
        }
        (s, _) if DANGEROUS.contains(&s) || !config.allow_custom_schemes => Err(Rejection::new(
            "REDIRECT_URI_SCHEME_NOT_ALLOWED",
            format!("the redirect URI {uri:?} uses the scheme {s:?}, which is not allowed"),
        )),
        _ => Ok(()),
    }
}

/// The lowercase host of an authority-and-path (`user@host:port/path`).
fn host_of(rest: &str) -> String {
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host_port = authority.rsplit('@').next().unwrap_or_default();
    let host = if host_port.starts_with('[') {
        host_port.split_inclusive(']').next().unwrap_or_default()
    } else {
        host_port.split(':').next().unwrap_or_default()
    };
    host.to_ascii_lowercase()
}

/// Whether `host` of `uri` is allowed: no wildcard, and among
/// `allowedHosts` (or their subdomains) when that is set.
fn check_host(config: &Config, uri: &str, host: String) -> Result<(), Rejection> {
    let refuse = |why: &str| {
        Err(Rejection::new(
            "REDIRECT_URI_HOST_NOT_ALLOWED",
            format!("the redirect URI {uri:?} {why}"),
        ))
    };
    if host.contains('*') {
        return refuse("has a wildcard in its host; redirect URIs are matched exactly");
    }
    let listed = config.allowed_hosts.iter().any(|allowed| {
        let allowed = allowed.to_ascii_lowercase();
        host == allowed || host.ends_with(&format!(".{allowed}"))
    });
    if !config.allowed_hosts.is_empty() && !listed {
        return refuse("points to a host that is not in allowedHosts");
    }
    Ok(())
}

#[cfg(test)]
mod tests;
