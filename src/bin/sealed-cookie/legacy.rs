//! `open --legacy`: another library's cookies, read by the legacy readers the
//! server's own settings configure, before the server is switched over.

use std::io::Write as _;
use std::path::Path;

use sealed_cookie::web::SessionConfig;
use sealed_cookie::web::legacy::LegacyCookies;
use serde_json::json;

use crate::cookie::{MAX_COOKIE_INPUT, print_json, read_stdin};
use crate::keys::{now_unix, rfc3339};
use crate::{FactsMode, Failure};

/// A `Cookie` header from pasted text: `Cookie: a=1; b=2`, or one `name=value`
/// (or a whole `Set-Cookie` line) a line.
fn cookie_header(text: &str) -> String {
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .collect();
    if let [line] = lines[..] {
        let line = line
            .strip_prefix("Cookie:")
            .or_else(|| line.strip_prefix("cookie:"))
            .unwrap_or(line);
        return line.trim().to_owned();
    }
    lines
        .iter()
        .map(|line| {
            let line = line
                .strip_prefix("Set-Cookie:")
                .or_else(|| line.strip_prefix("set-cookie:"))
                .unwrap_or(line);
            line.split(';').next().unwrap_or_default().trim()
        })
        .collect::<Vec<_>>()
        .join("; ")
}

pub fn open(
    config: Option<&Path>,
    now: Option<u64>,
    facts: Option<FactsMode>,
    pretty: bool,
) -> Result<(), Failure> {
    // Variables that are not Unicode are no settings; an explicit --config
    // wins over SEALED_COOKIE_CONFIG.
    let vars = std::env::vars_os()
        .filter_map(|(key, value)| Some((key.into_string().ok()?, value.into_string().ok()?)))
        .filter(|(key, _)| config.is_none() || key != sealed_cookie::web::CONFIG_ENV);
    let settings = SessionConfig::load_with(config, vars)
        .map_err(|error| Failure::Usage(error.to_string()))?;
    let readers = settings
        .legacy_readers()
        .map_err(|error| Failure::Usage(error.to_string()))?;
    if readers.is_empty() {
        return Err(Failure::Usage(
            "no legacy reader is configured: set the server's SEALED_COOKIE_LEGACY_* settings \
             (for example SEALED_COOKIE_LEGACY_JAR_KEY and SEALED_COOKIE_LEGACY_JAR_COOKIES) \
             or legacy_perl_cookie with SEALED_COOKIE_PERL_SECRET"
                .to_owned(),
        ));
    }
    let header = cookie_header(&read_stdin(
        MAX_COOKIE_INPUT,
        "a Cookie header (name=value; name2=value2)",
    )?);
    if header.is_empty() {
        return Err(Failure::Usage(
            "stdin is empty; expected a Cookie header (name=value; name2=value2)".to_owned(),
        ));
    }
    let now = now.unwrap_or_else(now_unix);
    let mut deleted: Vec<String> = Vec::new();
    let found = LegacyCookies::with_header(&header, |cookies| {
        for reader in &readers {
            let adoption = reader.adopt(cookies, now);
            // What the server would delete: the reader's own cookies, never ours
            // (the response rewrites or deletes that by its own rules).
            let own = reader.cookie_names();
            deleted.extend(
                adoption
                    .delete
                    .iter()
                    .filter(|name| own.contains(name) && **name != settings.cookie_name)
                    .cloned(),
            );
            if let Some(session) = adoption.session {
                return Some((reader.name(), session, adoption.expires_at));
            }
        }
        None
    });
    let names: Vec<&str> = readers.iter().map(|reader| reader.name()).collect();
    let Some((reader, session, expires_at)) = found else {
        let deleted = if deleted.is_empty() {
            String::new()
        } else {
            format!("; the server would delete {}", deleted.join(", "))
        };
        return Err(Failure::NotAdopted(format!(
            "no legacy reader adopted these cookies (readers: {}){deleted}; \
             the server logs why at level info",
            names.join(", ")
        )));
    };
    let value = serde_json::Value::from(sealed_cookie::Value::Map(session));
    let fact_list = json!({
        "reader": reader,
        "expires_at": expires_at,
        "expires_at_rfc3339": expires_at.and_then(rfc3339),
        "deletes": deleted,
    });
    let mut out = std::io::stdout().lock();
    match facts {
        None => writeln!(out, "{}", print_json(&value, pretty)?)?,
        Some(FactsMode::Json) => {
            let doc = json!({ "value": value, "facts": fact_list });
            writeln!(out, "{}", print_json(&doc, pretty)?)?;
        }
        Some(FactsMode::Stderr) => {
            writeln!(out, "{}", print_json(&value, pretty)?)?;
            eprintln!("{}", print_json(&fact_list, pretty)?);
        }
    }
    Ok(())
}
