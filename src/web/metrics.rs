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
    opened_keys::count(facts);
    #[cfg(not(feature = "metrics"))]
    let _ = facts;
}

/// What the `counter!` macro gives every other counter of this module.
#[cfg(feature = "metrics")]
static OPENED_METADATA: metrics::Metadata<'static> =
    metrics::Metadata::new(module_path!(), metrics::Level::INFO, Some(module_path!()));

/// The opened counter's keys, built once per thread and labels: building one
/// formats the key id and allocates its labels, which cost as much as the rest
/// of the layer's bookkeeping on every request; registering a built one with
/// the recorder does neither.
#[cfg(feature = "metrics")]
mod opened_keys {
    use std::cell::RefCell;

    use metrics::{Key, Label};

    use crate::lifecycle::Facts;

    /// Keys kept per thread: a keyring's few keys, primary and old, under the
    /// current and old suites, with room for reloads; the oldest goes first.
    const KEPT: usize = 32;

    type Labels = (u32, bool, bool);

    thread_local! {
        static KEYS: RefCell<Vec<(Labels, Key)>> = const { RefCell::new(Vec::new()) };
    }

    fn key(facts: &Facts) -> Key {
        Key::from_parts(
            "sealed_cookie_opened_total",
            vec![
                Label::new("key_id", facts.key_id.to_string()),
                Label::from_static_parts("key", if facts.old_key { "old" } else { "primary" }),
                Label::from_static_parts("suite", if facts.old_suite { "old" } else { "current" }),
            ],
        )
    }

    fn increment(key: &Key) {
        metrics::with_recorder(|recorder| recorder.register_counter(key, &super::OPENED_METADATA))
            .increment(1);
    }

    pub(super) fn count(facts: &Facts) {
        let labels = (facts.key_id.0, facts.old_key, facts.old_suite);
        let counted = KEYS.try_with(|keys| {
            let mut keys = keys.try_borrow_mut().ok()?;
            let at = match keys.iter().position(|(kept, _)| *kept == labels) {
                Some(at) => at,
                None => {
                    if keys.len() == KEPT {
                        keys.remove(0);
                    }
                    keys.push((labels, key(facts)));
                    keys.len() - 1
                }
            };
            increment(&keys[at].1);
            Some(())
        });
        // The thread is being torn down, or a recorder counted from inside
        // its own registration: build the key this once.
        if !matches!(counted, Ok(Some(()))) {
            increment(&key(facts));
        }
    }
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

#[cfg(all(test, feature = "metrics"))]
mod tests {
    use std::collections::HashMap;
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::sync::{Arc, Mutex};

    use metrics::{
        Counter, Gauge, Histogram, Key, KeyName, Metadata, Recorder, SharedString, Unit,
    };

    use super::*;
    use crate::KeyId;
    use crate::envelope::Format;

    /// Counters by their name and labels, as text.
    #[derive(Default)]
    struct Counters(Mutex<HashMap<String, Arc<AtomicU64>>>);

    impl Counters {
        fn get(&self, labels: &str) -> u64 {
            let counters = self.0.lock().unwrap();
            counters
                .get(labels)
                .map_or(0, |count| count.load(Ordering::Relaxed))
        }
    }

    impl Recorder for Counters {
        fn describe_counter(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}
        fn describe_gauge(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}
        fn describe_histogram(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}
        fn register_counter(&self, key: &Key, metadata: &Metadata<'_>) -> Counter {
            assert_eq!(
                (metadata.target(), metadata.module_path(), *metadata.level()),
                (
                    "sealed_cookie::web::metrics",
                    Some("sealed_cookie::web::metrics"),
                    metrics::Level::INFO
                ),
                "the macro's metadata"
            );
            let labels: Vec<String> = key
                .labels()
                .map(|label| format!("{}={}", label.key(), label.value()))
                .collect();
            let name = format!("{}{{{}}}", key.name(), labels.join(","));
            let mut counters = self.0.lock().unwrap();
            Counter::from_arc(Arc::clone(counters.entry(name).or_default()))
        }
        fn register_gauge(&self, _: &Key, _: &Metadata<'_>) -> Gauge {
            Gauge::noop()
        }
        fn register_histogram(&self, _: &Key, _: &Metadata<'_>) -> Histogram {
            Histogram::noop()
        }
    }

    fn facts(key_id: u32, old_key: bool, old_suite: bool) -> Facts {
        Facts {
            format: Format::V2,
            version: 1,
            key_id: KeyId(key_id),
            issued_at: 0,
            sealed_at: 0,
            session_id: None,
            lifetime: 0,
            idle_expires_at: None,
            absolute_expires_at: None,
            expires_at: None,
            ends_by: None,
            browser_session: true,
            has_flash: false,
            compressed: false,
            padded: false,
            old_key,
            old_suite,
            old_format: false,
            renewal_due: false,
            needs_reissue: old_key || old_suite,
        }
    }

    /// More labels than a thread keeps keys for, each opened twice in turn:
    /// every count lands under its own labels, whether its key was kept,
    /// built anew, or had been dropped for a newer one.
    #[test]
    fn opened_counts_under_each_key_id_and_role() {
        let counters = Counters::default();
        metrics::with_local_recorder(&counters, || {
            for _ in 0..2 {
                for id in 0..40u32 {
                    opened(&facts(id, id % 2 == 1, id % 3 == 0));
                }
            }
            opened(&facts(0xdead_beef, false, false));
        });
        for id in 0..40u32 {
            let key = if id % 2 == 1 { "old" } else { "primary" };
            let suite = if id % 3 == 0 { "old" } else { "current" };
            let name =
                format!("sealed_cookie_opened_total{{key_id={id:08x},key={key},suite={suite}}}");
            assert_eq!(counters.get(&name), 2, "{name}");
        }
        assert_eq!(
            counters.get("sealed_cookie_opened_total{key_id=deadbeef,key=primary,suite=current}"),
            1
        );
    }
}
