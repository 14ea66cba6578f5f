//! Host names as instances and organizations claim them: normalized once
//! (trimmed, lowercased) so uniqueness is case-insensitive, and checked for
//! the shape a `Host` header can carry. Policy beyond the shape (suffixes,
//! block lists) belongs to validator plugins.

use std::net::IpAddr;

use super::error::CommandError;

/// Longest DNS name.
const MAX_NAME: usize = 253;
/// Longest DNS label.
const MAX_LABEL: usize = 63;

/// `raw` trimmed and lowercased, if it is a DNS name (`a-z`, `0-9`, inner
/// hyphens; dots between labels) or an IP literal; IPv6 is written without
/// brackets in its canonical form, as the request's host name is resolved.
///
/// # Errors
/// [`CommandError::InvalidArgument`] naming what is wrong (a port, a bad
/// character, an empty label).
pub(crate) fn normalize(raw: &str) -> Result<String, CommandError> {
    let domain = raw.trim().to_lowercase();
    let bad = |why: &str| {
        Err(CommandError::invalid(format!(
            "{domain:?} is not a valid domain: {why}"
        )))
    };
    if domain.is_empty() {
        return Err(CommandError::invalid("the domain must not be empty"));
    }
    let unbracketed = domain
        .strip_prefix('[')
        .and_then(|d| d.strip_suffix(']'))
        .unwrap_or(&domain);
    if let Ok(ip) = unbracketed.parse::<IpAddr>() {
        return Ok(ip.to_string());
    }
    if domain.contains(':') {
        return bad("give the host name without a port");
    }
    if domain.len() > MAX_NAME {
        return bad("it is longer than 253 characters");
    }
    for label in domain.split('.') {
        if label.is_empty() || label.len() > MAX_LABEL {
            return bad("each part between dots must have 1 to 63 characters");
        }
        if !label
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        {
            return bad("only letters a-z, digits, hyphens and dots are allowed");
        }
        if label.starts_with('-') || label.ends_with('-') {
            return bad("a part between dots must not start or end with a hyphen");
        }
    }
    Ok(domain)
}

#[cfg(test)]
mod tests {
    use super::normalize;

    #[test]
    fn given_host_names_when_normalized_then_they_are_trimmed_and_lowercased() {
        assert_eq!(
            normalize(" Login.ACME.example ").unwrap(),
            "login.acme.example"
        );
        assert_eq!(normalize("localhost").unwrap(), "localhost");
        assert_eq!(normalize("127.0.0.1").unwrap(), "127.0.0.1");
        assert_eq!(normalize("[::1]").unwrap(), "::1");
        assert_eq!(normalize("2001:DB8:0:0::1").unwrap(), "2001:db8::1");
    }

    #[test]
    fn given_malformed_host_names_when_normalized_then_the_reason_is_named() {
        for (raw, why) in [
            ("localhost:8080", "without a port"),
            ("[::1]:8080", "without a port"),
            ("", "must not be empty"),
            ("acme..example", "1 to 63 characters"),
            ("acme.example.", "1 to 63 characters"),
            ("ac me.example", "only letters"),
            ("-acme.example", "start or end with a hyphen"),
            ("bücher.example", "only letters"),
        ] {
            let err = normalize(raw).unwrap_err().to_string();
            assert!(err.contains(why), "{raw:?}: {err}");
        }
    }
}
