//! The layer's counters and histograms (`sealed_cookie::web::metrics`), read with
//! metrics-util's debugging recorder while the example app serves real requests.
//! One test: the recorder is process-wide, so the steps run in order and each
//! reads what it caused (a snapshot resets the counters).

#![cfg(all(
    feature = "metrics",
    feature = "axum",
    feature = "xchacha20poly1305",
    feature = "postcard"
))]

mod web_support;

use metrics_util::debugging::{DebugValue, DebuggingRecorder, Snapshotter};
use sealed_cookie::Keyring;
use web_support::{Client, base, key, serve};

/// A metric's labels, as (key, value).
type Labels = Vec<(String, String)>;

/// What one step recorded: counters by name and labels, histogram samples by name.
struct Step {
    counters: Vec<(String, Labels, u64)>,
    histograms: Vec<(String, Vec<f64>)>,
}

impl Step {
    /// Every label of this step, checked to be bounded: a known name, and a
    /// fixed word or an 8-digit key id as its value (never cookie bytes).
    fn assert_bounded_labels(&self) {
        const WORDS: &[&str] = &[
            "primary",
            "old",
            "current",
            "old_key",
            "old_suite",
            "renewal",
        ];
        for (name, labels, _) in &self.counters {
            for (key, value) in labels {
                let ok = match key.as_str() {
                    "key_id" => value.len() == 8 && value.bytes().all(|b| b.is_ascii_hexdigit()),
                    "key" | "suite" | "reason" => WORDS.contains(&value.as_str()),
                    "kind" => value.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'),
                    _ => false,
                };
                assert!(ok, "{name}: label {key}={value} is not bounded");
            }
        }
    }

    fn take(snapshotter: &Snapshotter) -> Self {
        let mut step = Step {
            counters: Vec::new(),
            histograms: Vec::new(),
        };
        for (key, _, _, value) in snapshotter.snapshot().into_vec() {
            let name = key.key().name().to_owned();
            let labels = key
                .key()
                .labels()
                .map(|l| (l.key().to_owned(), l.value().to_owned()))
                .collect();
            match value {
                DebugValue::Counter(n) if n > 0 => step.counters.push((name, labels, n)),
                DebugValue::Histogram(values) if !values.is_empty() => step
                    .histograms
                    .push((name, values.into_iter().map(|v| v.into_inner()).collect())),
                _ => {}
            }
        }
        step.assert_bounded_labels();
        step
    }

    fn count(&self, name: &str, labels: &[(&str, &str)]) -> u64 {
        self.counters
            .iter()
            .filter(|(n, l, _)| {
                n == name
                    && labels
                        .iter()
                        .all(|(k, v)| l.iter().any(|(lk, lv)| lk == k && lv == v))
            })
            .map(|(_, _, n)| n)
            .sum()
    }

    fn samples(&self, name: &str) -> Vec<f64> {
        self.histograms
            .iter()
            .filter(|(n, _)| n == name)
            .flat_map(|(_, v)| v.clone())
            .collect()
    }
}

#[tokio::test]
async fn the_layer_counts_every_outcome_with_bounded_labels() {
    let recorder = DebuggingRecorder::new();
    let snapshotter = recorder.snapshotter();
    recorder
        .install()
        .expect("the only recorder of this test binary");

    let old = key();
    let new = key();
    let server = serve(base(Keyring::new(old.clone())).build().unwrap()).await;
    let client = Client::new();

    // A fresh session: one cookie written, nothing opened.
    client.counter(&server).await;
    let step = Step::take(&snapshotter);
    assert_eq!(step.count("sealed_cookie_opened_total", &[]), 0);
    let bytes = step.samples("sealed_cookie_set_cookie_bytes");
    assert_eq!(bytes.len(), 1, "{:?}", step.histograms);
    assert!(bytes[0] > 100.0);
    assert_eq!(step.samples("sealed_cookie_chunks"), [1.0]);

    // Opened under the primary key and the current suite.
    client.counter(&server).await;
    let step = Step::take(&snapshotter);
    let primary = [
        ("key_id", &*old.id().to_string()),
        ("key", "primary"),
        ("suite", "current"),
    ];
    assert_eq!(step.count("sealed_cookie_opened_total", &primary), 1);

    // The login renews.
    assert_eq!(client.login(&server, "alice").await, 303);
    assert_eq!(
        Step::take(&snapshotter).count("sealed_cookie_renewed_total", &[]),
        1
    );

    // After a rotation the old key's cookies are counted by their key id, and
    // re-issued under the new one: the counter that says when to retire a key.
    let rotated = serve(
        base(Keyring::new(new.clone()).with_accepted(old.clone()))
            .build()
            .unwrap(),
    )
    .await;
    let cookie = client.cookie(&server, "session").unwrap();
    let moved = Client::new();
    moved.set_cookie(&rotated, &format!("session={cookie}; Path=/"));
    moved.session(&rotated).await;
    let step = Step::take(&snapshotter);
    let old_key = [("key_id", &*old.id().to_string()), ("key", "old")];
    assert_eq!(step.count("sealed_cookie_opened_total", &old_key), 1);
    assert_eq!(
        step.count("sealed_cookie_reissued_total", &[("reason", "old_key")]),
        1
    );
    moved.session(&rotated).await;
    let step = Step::take(&snapshotter);
    assert_eq!(step.count("sealed_cookie_opened_total", &old_key), 0);
    assert_eq!(
        step.count("sealed_cookie_opened_total", &[("key", "primary")]),
        1
    );

    // A forged cookie is counted by its kind, and nothing else about it.
    let forged = Client::new();
    let mut tampered = cookie.clone();
    tampered.replace_range(40..41, if &cookie[40..41] == "A" { "B" } else { "A" });
    forged.set_cookie(&server, &format!("session={tampered}; Path=/"));
    forged.session(&server).await;
    let step = Step::take(&snapshotter);
    assert_eq!(
        step.count(
            "sealed_cookie_rejected_total",
            &[("kind", "authentication_failed")]
        ),
        1
    );

    // A session over the budget is a refused seal.
    let small = serve(
        base(Keyring::new(key()))
            .budget(600)
            .request_header_budget(8192)
            .build()
            .unwrap(),
    )
    .await;
    let (status, _) = Client::new().add_to_cart(&small, 40).await;
    assert_eq!(status, 500);
    assert_eq!(
        Step::take(&snapshotter).count("sealed_cookie_too_large_total", &[]),
        1
    );
}
