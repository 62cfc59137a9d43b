//! What the layer counts, through the [`metrics`](https://docs.rs/metrics) facade
//! (feature `metrics`), so any exporter works. Labels are bounded: a rejection
//! kind, a key id of the keyring and its role, a re-issue reason; never a cookie
//! value or anything from the session.
//!
//! | name | kind | labels |
//! |---|---|---|
//! | `sealed_cookie_opened_total` | counter | `key_id`, `key` (`primary` or `old`), `suite` (`current` or `old`) |
//! | `sealed_cookie_rejected_total` | counter | `kind` ([`OpenError::kind`](crate::OpenError::kind)) |
//! | `sealed_cookie_legacy_adopted_total` | counter | `reader` ([`LegacyReader::name`](crate::web::legacy::LegacyReader::name)) |
//! | `sealed_cookie_reissued_total` | counter | `reason`: `old_key`, `old_suite`, `old_format`, `renewal` |
//! | `sealed_cookie_renewed_total` | counter | (by the handler: `Session::renew`) |
//! | `sealed_cookie_too_large_total` | counter | (a seal over the budget) |
//! | `sealed_cookie_revoked_total` | counter | (a session revoked at logout) |
//! | `sealed_cookie_set_cookie_bytes` | histogram | (bytes of each `Set-Cookie` line written) |
//! | `sealed_cookie_chunks` | histogram | (cookies one session was written as) |
//!
//! Without the feature every function here is empty.

use crate::lifecycle::Facts;

/// A cookie opened.
pub(crate) fn opened(facts: &Facts) {
    #[cfg(feature = "metrics")]
    metrics::counter!(
        "sealed_cookie_opened_total",
        "key_id" => facts.key_id.to_string(),
        "key" => if facts.old_key { "old" } else { "primary" },
        "suite" => if facts.old_suite { "old" } else { "current" },
    )
    .increment(1);
    #[cfg(not(feature = "metrics"))]
    let _ = facts;
}

/// A cookie sent and rejected, by kind.
pub(crate) fn rejected(kind: &'static str) {
    #[cfg(feature = "metrics")]
    metrics::counter!("sealed_cookie_rejected_total", "kind" => kind).increment(1);
    #[cfg(not(feature = "metrics"))]
    let _ = kind;
}

/// A legacy session adopted, by the reader's name.
pub(crate) fn legacy_adopted(reader: &'static str) {
    #[cfg(feature = "metrics")]
    metrics::counter!("sealed_cookie_legacy_adopted_total", "reader" => reader).increment(1);
    #[cfg(not(feature = "metrics"))]
    let _ = reader;
}

/// A cookie written again without the handler asking: why.
pub(crate) fn reissued(facts: &Facts) {
    #[cfg(feature = "metrics")]
    {
        let reason = if facts.old_key {
            "old_key"
        } else if facts.old_suite {
            "old_suite"
        } else if facts.old_format {
            "old_format"
        } else {
            "renewal"
        };
        metrics::counter!("sealed_cookie_reissued_total", "reason" => reason).increment(1);
    }
    #[cfg(not(feature = "metrics"))]
    let _ = facts;
}

/// The handler renewed the session.
pub(crate) fn renewed() {
    #[cfg(feature = "metrics")]
    metrics::counter!("sealed_cookie_renewed_total").increment(1);
}

/// A destroyed session's id revoked in the store.
pub(crate) fn revoked() {
    #[cfg(feature = "metrics")]
    metrics::counter!("sealed_cookie_revoked_total").increment(1);
}

/// A seal refused as over the budget.
pub(crate) fn too_large() {
    #[cfg(feature = "metrics")]
    metrics::counter!("sealed_cookie_too_large_total").increment(1);
}

/// A session written as `lines` (each `Set-Cookie` value), over `chunks` cookies.
pub(crate) fn written(lines: &[String], chunks: usize) {
    #[cfg(feature = "metrics")]
    {
        for line in lines {
            metrics::histogram!("sealed_cookie_set_cookie_bytes").record(line.len() as f64);
        }
        metrics::histogram!("sealed_cookie_chunks").record(chunks as f64);
    }
    #[cfg(not(feature = "metrics"))]
    let _ = (lines, chunks);
}
