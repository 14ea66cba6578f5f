//! E-mail address syntax: deliberately simpler than RFC 5322 (no quoted
//! local parts, comments or IP-literal domains), which is what sign-up forms
//! expect.

/// Longest address (RFC 5321 path limit minus the angle brackets).
const MAX_ADDRESS: usize = 254;
/// Longest local part (RFC 5321).
const MAX_LOCAL: usize = 64;
/// Longest DNS label.
const MAX_LABEL: usize = 63;

/// The address's domain, lowercased, or why the address is not valid.
pub(crate) fn domain_of(address: &str) -> Result<String, &'static str> {
    if address.len() > MAX_ADDRESS {
        return Err("it is longer than 254 characters");
    }
    let (local, domain) = address.split_once('@').ok_or("it has no @")?;
    if domain.contains('@') {
        return Err("it has more than one @");
    }
    check_local(local)?;
    check_domain(domain)?;
    Ok(domain.to_ascii_lowercase())
}

fn check_local(local: &str) -> Result<(), &'static str> {
    if local.is_empty() {
        return Err("nothing comes before the @");
    }
    if local.len() > MAX_LOCAL {
        return Err("the part before the @ is longer than 64 characters");
    }
    if local
        .chars()
        .any(|c| c.is_whitespace() || c.is_control() || "()<>[]\\,;:\"".contains(c))
    {
        return Err("the part before the @ contains a space or a character like ( ) < > , ; : \"");
    }
    if local.starts_with('.') || local.ends_with('.') || local.contains("..") {
        return Err("the part before the @ has a misplaced dot");
    }
    Ok(())
}

fn check_domain(domain: &str) -> Result<(), &'static str> {
    if !domain.contains('.') {
        return Err("the domain needs at least one dot");
    }
    for label in domain.split('.') {
        let inner_hyphens_only = !label.starts_with('-') && !label.ends_with('-');
        let valid = !label.is_empty()
            && label.len() <= MAX_LABEL
            && inner_hyphens_only
            && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
        if !valid {
            return Err("the domain is not a valid host name");
        }
    }
    Ok(())
}

/// Whether `domain` is `entry` or one of its subdomains, ignoring case.
pub(crate) fn is_within(domain: &str, entry: &str) -> bool {
    let entry = entry.trim_start_matches('.').to_ascii_lowercase();
    domain == entry
        || domain
            .strip_suffix(entry.as_str())
            .is_some_and(|head| head.ends_with('.'))
}
