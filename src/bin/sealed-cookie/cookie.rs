//! `seal`, `open`, `inspect`, `budget` and `suites`.

use std::io::{Read as _, Write as _};

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use sealed_cookie::envelope::{FLAG_BROWSER_SESSION, FLAG_COMPRESSED, FLAG_PADDED, Header};
use sealed_cookie::keyfile::KeySource;
use sealed_cookie::serializer::{Json, Serializer as _};
use sealed_cookie::{
    Codec, CodecBuilder, CookieAttributes, Ending, Facts, Format, Key, Keyring, OpenError,
    SealError, SealOptions, Value,
};
use serde_json::json;

use crate::keys::{self, now_unix, rfc3339, when};
use crate::suites::{self, SUITES, Suites};
use crate::{
    BudgetArgs, CookieArgs, FactsMode, Failure, InspectArgs, KeyringPath, OpenArgs,
    PlaintextFormat, SealArgs, SuitesArgs,
};

/// Longest JSON accepted on stdin by `seal`.
const MAX_JSON_INPUT: u64 = 1 << 20;
/// Longest cookie text accepted on stdin by `open` and `inspect`.
pub const MAX_COOKIE_INPUT: u64 = 64 * 1024;

pub fn read_stdin(limit: u64, what: &str) -> Result<String, Failure> {
    crate::announce_stdin(what);
    let mut text = String::new();
    std::io::stdin().take(limit + 1).read_to_string(&mut text)?;
    if !u64::try_from(text.len()).is_ok_and(|len| len <= limit) {
        return Err(Failure::Usage(format!(
            "stdin holds more than {limit} bytes; expected {what}"
        )));
    }
    Ok(text)
}

/// A cookie read from stdin: the value, and the name when pasted as `name=value`
/// (anything after a `;` is ignored, so a `Set-Cookie` value works too).
struct CookieInput {
    name: Option<String>,
    value: String,
}

fn read_cookie() -> Result<CookieInput, Failure> {
    let text = read_stdin(MAX_COOKIE_INPUT, "a cookie value")?;
    let text = text.trim();
    let text = text.split(';').next().unwrap_or_default().trim();
    if text.is_empty() {
        return Err(Failure::Usage(
            "stdin is empty; expected one cookie value".to_owned(),
        ));
    }
    Ok(match text.split_once('=') {
        Some((name, value)) => CookieInput {
            name: Some(name.trim().to_owned()),
            value: value.trim().to_owned(),
        },
        None => CookieInput {
            name: None,
            value: text.to_owned(),
        },
    })
}

fn attributes(args: &CookieArgs) -> CookieAttributes {
    CookieAttributes {
        path: (!args.no_path).then(|| args.path.clone()),
        // An empty Domain is none, as an empty SEALED_COOKIE_DOMAIN.
        domain: args
            .domain
            .as_deref()
            .map(str::trim)
            .filter(|d| !d.is_empty())
            .map(str::to_owned),
        secure: args.secure.unwrap_or(!args.no_secure),
        http_only: args.http_only.unwrap_or(!args.no_http_only),
        same_site: args.same_site.0,
        partitioned: args.partitioned,
        expires: args.write_expires,
    }
}

/// A builder with every named suite registered, `args.suite` current, and the
/// name, lifetime, attributes and budget of `args`.
fn builder(args: &CookieArgs, ring: Keyring) -> Result<(CodecBuilder<Value>, Suites), Failure> {
    let suites = Suites::new(&[], args.suite)?;
    let mut builder = suites
        .register(Codec::<Value>::builder())
        .keyring(ring)
        .cookie_name(args.name.clone())
        .attributes(attributes(args))
        .budget(args.budget);
    if let Some(age) = args.max_age.or(args.expires) {
        builder = builder.max_age(age);
    }
    if let Some(idle) = args.idle_timeout {
        builder = builder.idle_timeout(idle);
    }
    let format = if args.format == 1 {
        Format::V1
    } else {
        Format::V2
    };
    Ok((builder.envelope_format(format), suites))
}

pub fn seal(args: &SealArgs) -> Result<(), Failure> {
    let (ring, _) = keys::load(&args.keyring)?;
    let (builder, _) = builder(&args.cookie, ring)?;
    let codec = builder.build()?;
    let text = read_stdin(MAX_JSON_INPUT, "a JSON value")?;
    // Read as a session value, with its rules (no repeated keys, no integer
    // beyond 64 bits), rather than through serde_json's own model.
    let value = Json
        .deserialize_value(text.trim_start_matches('\u{feff}').as_bytes())
        .map_err(|e| Failure::Usage(format!("stdin is not a JSON session value: {e}")))?;
    let now = args.now.unwrap_or_else(|| codec.now());
    let options = SealOptions {
        browser_session: args.cookie.browser_session,
        ..SealOptions::default()
    };
    let sealed = codec.seal_session_at(&value, &options, now).map_err(|e| match e {
        SealError::TooLarge { needed, budget } => Failure::Usage(format!(
            "too large: the Set-Cookie header would be {needed} bytes but the budget is {budget} \
             ({} bytes over); at most {} plaintext bytes fit with these settings (see `sealed-cookie budget`)",
            needed.saturating_sub(budget),
            codec.plaintext_capacity()
        )),
        other => other.into(),
    })?;
    let cookie = sealed.value;
    let mut out = std::io::stdout().lock();
    if args.set_cookie {
        let expires_at = sealed.expires_at.filter(|_| !args.cookie.browser_session);
        // A fresh seal lives the whole timeout, even where the date saturates.
        let max_age = expires_at.and(codec.fresh_expiry().map(|d| d.as_secs()));
        let header = codec
            .attributes()
            .render(codec.cookie_name(), &cookie, max_age, expires_at);
        writeln!(out, "{header}")?;
    } else {
        writeln!(out, "{cookie}")?;
    }
    Ok(())
}

fn time_json(secs: Option<u64>) -> serde_json::Value {
    json!(secs.and_then(rfc3339))
}

fn facts_json(facts: &Facts, suites: &Suites) -> serde_json::Value {
    json!({
        "format": facts.format.number(),
        "version": facts.version,
        "suite": suites.by_version(facts.version).map(|s| s.name),
        "key_id": facts.key_id.to_string(),
        "session_id": facts.session_id.map(|id| id.to_string()),
        "issued_at": facts.issued_at,
        "issued_at_rfc3339": rfc3339(facts.issued_at),
        "sealed_at": facts.sealed_at,
        "sealed_at_rfc3339": rfc3339(facts.sealed_at),
        "lifetime": facts.lifetime,
        "idle_expires_at": facts.idle_expires_at,
        "absolute_expires_at": facts.absolute_expires_at,
        "expires_at": facts.expires_at,
        "expires_at_rfc3339": time_json(facts.expires_at),
        "ends_by": facts.ends_by.map(|ending| match ending {
            Ending::Idle => "idle",
            Ending::Absolute => "absolute",
        }),
        "browser_session": facts.browser_session,
        "compressed": facts.compressed,
        "padded": facts.padded,
        "old_key": facts.old_key,
        "old_suite": facts.old_suite,
        "old_format": facts.old_format,
        "renewal_due": facts.renewal_due,
        "needs_reissue": facts.needs_reissue,
    })
}

pub fn print_json(value: &serde_json::Value, pretty: bool) -> Result<String, Failure> {
    Ok(if pretty {
        serde_json::to_string_pretty(value)?
    } else {
        serde_json::to_string(value)?
    })
}

pub fn open(args: &OpenArgs) -> Result<(), Failure> {
    if args.perl {
        return open_perl(args);
    }
    if args.legacy {
        return crate::legacy::open(args.config.as_deref(), args.now, args.facts, args.pretty);
    }
    let (ring, _) = keys::load(&args.keyring)?;
    let input = read_cookie()?;
    let name = args
        .name
        .clone()
        .or(input.name)
        .unwrap_or_else(|| "session".to_owned());
    let suites = Suites::new(&args.versions.mappings, args.suite)?;
    let mut builder = suites
        .register(Codec::<Value>::builder())
        .keyring(ring)
        .cookie_name(name)
        .clock_skew(args.clock_skew)
        .budget(args.budget);
    if let Some(age) = args.max_age.or(args.expires) {
        builder = builder.max_age(age);
    }
    if let Some(idle) = args.idle_timeout {
        builder = builder.idle_timeout(idle);
    }
    if let Some(window) = args.renew_within {
        builder = builder.renew_within(window);
    }
    if let Some(cutoff) = args.not_before {
        builder = builder.not_before(cutoff);
    }
    let codec = builder.build()?;
    let now = args.now.unwrap_or_else(|| codec.now());
    if let Some(format) = args.plaintext {
        let opened = codec
            .open_plaintext_at(&input.value, now)
            .map_err(Failure::Rejected)?;
        let text = encode_plaintext(&opened.value, format);
        return print_opened(
            args,
            Output::Plaintext(text, format),
            &facts_json(&opened.facts, &suites),
        );
    }
    match codec.open_at(&input.value, now) {
        Ok(opened) => {
            let value = serde_json::Value::from(opened.value);
            let mut facts = facts_json(&opened.facts, &suites);
            if !opened.flash.is_empty() {
                facts["flash"] = serde_json::Value::from(Value::Map(opened.flash));
            }
            print_opened(args, Output::Value(value), &facts)
        }
        // Deserialization runs only after the cookie authenticated: this is an
        // application's own payload, not a forgery.
        Err(OpenError::Deserialize(reason)) => {
            let opened = codec
                .open_plaintext_at(&input.value, now)
                .map_err(Failure::Rejected)?;
            if args.facts.is_some() {
                eprintln!(
                    "{}",
                    print_json(&facts_json(&opened.facts, &suites), args.pretty)?
                );
            }
            let value_len = opened
                .facts
                .split_plaintext(&opened.value)
                .map_or(opened.value.len(), |parts| parts.value.len());
            Err(Failure::NotAValue(not_a_value(
                &opened.facts,
                &suites,
                value_len,
                &reason.to_string(),
            )))
        }
        Err(error) => Err(Failure::Rejected(error)),
    }
}

/// What `open` prints on stdout.
enum Output {
    /// The session value, as JSON.
    Value(serde_json::Value),
    /// The plaintext, encoded as `--plaintext` asks.
    Plaintext(String, PlaintextFormat),
}

impl Output {
    /// The text on stdout when it stands alone.
    fn text(&self, pretty: bool) -> Result<String, Failure> {
        match self {
            Self::Value(value) => print_json(value, pretty),
            Self::Plaintext(text, _) => Ok(text.clone()),
        }
    }

    /// Its field in `{..., "facts": ...}`: `value`, `plaintext_hex` or `plaintext_base64`.
    fn field(self) -> (&'static str, serde_json::Value) {
        match self {
            Self::Value(value) => ("value", value),
            Self::Plaintext(text, PlaintextFormat::Hex) => ("plaintext_hex", json!(text)),
            Self::Plaintext(text, PlaintextFormat::Base64) => ("plaintext_base64", json!(text)),
        }
    }
}

/// Prints what `open` read, with the facts where `--facts` asks.
fn print_opened(args: &OpenArgs, output: Output, facts: &serde_json::Value) -> Result<(), Failure> {
    let mut out = std::io::stdout().lock();
    match args.facts {
        None => writeln!(out, "{}", output.text(args.pretty)?)?,
        Some(FactsMode::Json) => {
            let (field, output) = output.field();
            let doc = json!({ field: output, "facts": facts });
            writeln!(out, "{}", print_json(&doc, args.pretty)?)?;
        }
        Some(FactsMode::Stderr) => {
            writeln!(out, "{}", output.text(args.pretty)?)?;
            eprintln!("{}", print_json(facts, args.pretty)?);
        }
    }
    Ok(())
}

fn encode_plaintext(bytes: &[u8], format: PlaintextFormat) -> String {
    match format {
        PlaintextFormat::Hex => {
            use std::fmt::Write as _;
            bytes.iter().fold(String::new(), |mut text, b| {
                let _ = write!(text, "{b:02x}");
                text
            })
        }
        PlaintextFormat::Base64 => STANDARD.encode(bytes),
    }
}

/// What an authentic cookie whose payload is not a session value is.
fn not_a_value(facts: &Facts, suites: &Suites, plaintext_len: usize, reason: &str) -> String {
    let suite = suites.by_version(facts.version);
    let (name, serializer) = suite.map_or(("?", "?"), |s| (s.name, s.serializer_name()));
    let expires = facts.expires_at.map_or_else(
        || "no expiry".to_owned(),
        |at| format!("expires {}", when(at)),
    );
    let decompressed = if facts.compressed {
        " (decompressed)"
    } else {
        ""
    };
    format!(
        "authentic: key {}, suite {name} (version {}), sealed at {}, {expires}; \
         the payload is {plaintext_len} bytes{decompressed} of {serializer} that is not a session value ({reason}); \
         print it with --plaintext hex or --plaintext base64",
        facts.key_id,
        facts.version,
        when(facts.sealed_at),
    )
}

/// A rejection for stderr: the library's message, with times in RFC 3339 beside
/// the Unix seconds.
pub fn rejection(error: &OpenError) -> String {
    match error {
        OpenError::Expired { expired_at } => format!("cookie expired at {}", when(*expired_at)),
        OpenError::IdleExpired { expired_at } => {
            format!("session idle-expired at {}", when(*expired_at))
        }
        OpenError::AbsolutelyExpired { expired_at } => {
            format!("session absolutely expired at {}", when(*expired_at))
        }
        OpenError::NotYetValid { issued_at } => {
            format!("cookie is not yet valid: issued at {}", when(*issued_at))
        }
        OpenError::Revoked {
            issued_at,
            not_before,
        } => format!(
            "cookie issued at {} is revoked by the not-before cutoff {}",
            when(*issued_at),
            when(*not_before)
        ),
        other => other.to_string(),
    }
}

/// A Perl cookie's rejection for stderr, with times as in [`rejection`].
pub fn perl_rejection(error: &sealed_cookie::perl::PerlError) -> String {
    match error {
        sealed_cookie::perl::PerlError::Expired { expires, now } => {
            let expires = u64::try_from(*expires).map_or_else(|_| expires.to_string(), when);
            format!("the cookie expired at {expires} (now {})", when(*now))
        }
        other => other.to_string(),
    }
}

/// `open --perl`: a `Session::Storage::Secure` cookie, secrets from the environment.
fn open_perl(args: &OpenArgs) -> Result<(), Failure> {
    let reader =
        sealed_cookie::perl::PerlReader::from_env().map_err(|e| Failure::Usage(e.to_string()))?;
    let input = read_cookie()?;
    let now = args.now.unwrap_or_else(now_unix);
    let opened = reader
        .open_details(&input.value, now)
        .map_err(Failure::RejectedPerl)?;
    // Integers stay exact (u64 and i64), strings stay strings, undef is null.
    let value = serde_json::Value::from(opened.value);
    let expires_rfc3339 = opened
        .expires
        .and_then(|at| u64::try_from(at).ok())
        .and_then(rfc3339);
    let facts = json!({
        "format": "Session::Storage::Secure",
        "protocol": opened.protocol,
        "expires_at": opened.expires,
        "expires_at_rfc3339": expires_rfc3339,
        // The earlier name of the same field.
        "expires_at_utc": expires_rfc3339,
        "old_secret": opened.secret_index > 0,
        "secret_index": opened.secret_index,
    });
    let mut out = std::io::stdout().lock();
    match args.facts {
        None => writeln!(out, "{}", print_json(&value, args.pretty)?)?,
        Some(FactsMode::Json) => {
            let doc = json!({ "value": value, "facts": facts });
            writeln!(out, "{}", print_json(&doc, args.pretty)?)?;
        }
        Some(FactsMode::Stderr) => {
            writeln!(out, "{}", print_json(&value, args.pretty)?)?;
            eprintln!("{}", print_json(&facts, args.pretty)?);
        }
    }
    Ok(())
}

/// Where an inspected key id sits in a keyring.
fn key_role(
    args: &InspectArgs,
    header: &Header,
) -> Result<Option<(String, &'static str)>, Failure> {
    if args.keyring.is_none() {
        return Ok(None);
    }
    let path = KeyringPath {
        keyring: args.keyring.clone(),
    };
    let (ring, source) = keys::load(&path)?;
    let role = if ring.primary().id() == header.key_id {
        "primary"
    } else if ring.accepted().any(|k| k.id() == header.key_id) {
        "accepted"
    } else {
        "unknown"
    };
    let source = match source {
        KeySource::File(p) => sealed_cookie::keyfile::MaskedPath::new(&p).to_string(),
        KeySource::KeysEnv => sealed_cookie::keyfile::KEYS_ENV.to_owned(),
    };
    Ok(Some((source, role)))
}

pub fn inspect(args: &InspectArgs) -> Result<(), Failure> {
    let input = read_cookie()?;
    let bytes = URL_SAFE_NO_PAD
        .decode(input.value.as_bytes())
        .map_err(|_| Failure::Rejected(OpenError::Malformed("not base64url")))?;
    let header = Header::parse(&bytes).map_err(Failure::Rejected)?;
    let now = args.now.unwrap_or_else(now_unix);
    let suites = Suites::new(&args.versions.mappings, None)?;
    let suite = suites.by_version(header.version);
    let lengths = suite.map(|s| {
        let fixed = header.format.header_len() + s.nonce_len() + s.tag_len();
        (s, bytes.len().checked_sub(fixed))
    });
    if let Some((_, None)) = lengths {
        return Err(Failure::Rejected(OpenError::Malformed(
            "shorter than header, nonce and tag of its suite",
        )));
    }
    // A cookie carries its absolute lifetime, not the server's idle timeout, nor a
    // shorter absolute timeout the server may apply: those come from the flags.
    let timeout = |t: Option<std::time::Duration>| t.map(|d| d.as_secs());
    let absolute = timeout(args.absolute_timeout).map(|a| header.issued_at.saturating_add(a));
    let idle = match header.format {
        Format::V1 => None,
        Format::V2 => timeout(args.idle_timeout).map(|i| header.sealed_at.saturating_add(i)),
    };
    let expires_at = [header.expires_at(), absolute, idle]
        .into_iter()
        .flatten()
        .min();
    let expired = expires_at.map(|e| now >= e);
    let role = key_role(args, &header)?;

    let mut out = std::io::stdout().lock();
    if args.json {
        let mut doc = json!({
            "name": input.name,
            "format": header.format.number(),
            "version": header.version,
            "suite": suite.map(|s| s.name),
            "key_id": header.key_id.to_string(),
            "flags": header.flags,
            "compressed": header.flags & FLAG_COMPRESSED != 0,
            "padded": header.flags & FLAG_PADDED != 0,
            "issued_at": header.issued_at,
            "issued_at_rfc3339": rfc3339(header.issued_at),
            "sealed_at": header.sealed_at,
            "sealed_at_rfc3339": rfc3339(header.sealed_at),
            "browser_session": header.flags & FLAG_BROWSER_SESSION != 0,
            "lifetime": header.lifetime,
            "expires_at": expires_at,
            "expires_at_rfc3339": time_json(expires_at),
            "expired": expired,
            "now": now,
            "text_len": input.value.len(),
            "total_len": bytes.len(),
            "header_len": header.format.header_len(),
            "nonce_len": lengths.map(|(s, _)| s.nonce_len()),
            "ciphertext_len": lengths.and_then(|(_, c)| c),
            "tag_len": lengths.map(|(s, _)| s.tag_len()),
        });
        if let Some((source, role)) = &role {
            doc["key_role"] = json!(role);
            doc["keyring"] = json!(source);
        }
        writeln!(out, "{}", serde_json::to_string_pretty(&doc)?)?;
    } else {
        if let Some(name) = &input.name {
            writeln!(out, "name        {name}")?;
        }
        match suite {
            Some(s) => writeln!(
                out,
                "version     {} ({}: {}+{}+{})",
                header.version,
                s.name,
                s.cipher_name(),
                s.serializer_name(),
                s.compressor_name()
            )?,
            None => writeln!(
                out,
                "version     {0} (not a named suite; lengths after the header are unknown; \
                 map it with --suite-version {0}=NAME)",
                header.version
            )?,
        }
        match &role {
            Some((source, role)) => {
                writeln!(out, "key id      {} ({role} in {source})", header.key_id)?;
            }
            None => writeln!(out, "key id      {}", header.key_id)?,
        }
        writeln!(
            out,
            "flags       0x{:02x} (compressed: {}, padded: {}, browser-session: {}, flash: {})",
            header.flags,
            yes_no(header.flags & FLAG_COMPRESSED != 0),
            yes_no(header.flags & FLAG_PADDED != 0),
            yes_no(header.flags & FLAG_BROWSER_SESSION != 0),
            yes_no(header.flags & sealed_cookie::envelope::FLAG_FLASH != 0)
        )?;
        writeln!(out, "format      {}", header.format.number())?;
        if header.format == Format::V2 {
            writeln!(out, "created at  {}", when(header.issued_at))?;
            writeln!(out, "sealed at   {}", when(header.sealed_at))?;
        } else {
            writeln!(out, "issued at   {}", when(header.issued_at))?;
        }
        match expires_at {
            Some(e) => {
                if header.lifetime != 0 {
                    writeln!(
                        out,
                        "lifetime    {} s ({})",
                        header.lifetime,
                        human(u64::from(header.lifetime))
                    )?;
                }
                let state = if now >= e {
                    format!("expired {} ago", human(now - e))
                } else {
                    format!("valid for {} more", human(e - now))
                };
                writeln!(out, "expires at  {}; {state}", when(e))?;
            }
            None if header.format == Format::V2 => writeln!(
                out,
                "expires at  as the server's timeouts say (give --idle-timeout and --absolute-timeout)"
            )?,
            None => writeln!(out, "expires at  never (no lifetime sealed)")?,
        }
        match lengths {
            Some((s, Some(ciphertext))) => writeln!(
                out,
                "length      {} characters; {} bytes = header {} + nonce {} + ciphertext {ciphertext} + tag {}",
                input.value.len(),
                bytes.len(),
                header.format.header_len(),
                s.nonce_len(),
                s.tag_len()
            )?,
            _ => writeln!(
                out,
                "length      {} characters; {} bytes",
                input.value.len(),
                bytes.len()
            )?,
        }
    }
    Ok(())
}

fn yes_no(b: bool) -> &'static str {
    if b { "yes" } else { "no" }
}

fn human(secs: u64) -> String {
    humantime::format_duration(std::time::Duration::from_secs(secs)).to_string()
}

pub fn budget(args: &BudgetArgs) -> Result<(), Failure> {
    // The capacity depends on lengths only: any key will do.
    let ring = Keyring::new(Key::generate()?);
    let (builder, suites) = builder(&args.cookie, ring)?;
    let (version, suite) = suites.current();
    let codec = builder.build()?;
    let browser_session = args.cookie.browser_session;
    let capacity = codec.plaintext_capacity_of(browser_session);
    let max_age = codec
        .fresh_expiry()
        .map(|d| d.as_secs())
        .filter(|_| !browser_session);
    let template = codec.attributes().render(
        codec.cookie_name(),
        "<value>",
        max_age,
        max_age.map(|age| now_unix().saturating_add(age)),
    );
    let mut out = std::io::stdout().lock();
    if args.json {
        let doc = json!({
            "name": codec.cookie_name(),
            "suite": suite.name,
            "version": version,
            "budget": codec.budget(),
            "max_age": max_age,
            "set_cookie": template,
            "plaintext_capacity": capacity,
        });
        writeln!(out, "{}", serde_json::to_string_pretty(&doc)?)?;
    } else {
        writeln!(out, "{capacity}")?;
        eprintln!(
            "plaintext bytes that fit in a {}-byte Set-Cookie with suite {} (version {}):\n  {template}",
            codec.budget(),
            suite.name,
            version
        );
    }
    Ok(())
}

pub fn list_suites(args: &SuitesArgs) -> Result<(), Failure> {
    let mut out = std::io::stdout().lock();
    if args.json {
        let rows: Vec<serde_json::Value> = SUITES
            .iter()
            .map(|s| {
                json!({
                    "name": s.name,
                    "version": s.version,
                    "cipher": s.cipher_name(),
                    "serializer": s.serializer_name(),
                    "compressor": s.compressor_name(),
                    "default": s.name == suites::DEFAULT_SUITE,
                })
            })
            .collect();
        writeln!(out, "{}", serde_json::to_string_pretty(&rows)?)?;
    } else {
        writeln!(
            out,
            "{:<24}{:<9}{:<19}{:<12}COMPRESSOR",
            "NAME", "VERSION", "CIPHER", "SERIALIZER"
        )?;
        for s in SUITES {
            let default = if s.name == suites::DEFAULT_SUITE {
                "  (default)"
            } else {
                ""
            };
            writeln!(
                out,
                "{:<24}{:<9}{:<19}{:<12}{}{default}",
                s.name,
                s.version,
                s.cipher_name(),
                s.serializer_name(),
                s.compressor_name()
            )?;
        }
    }
    Ok(())
}
