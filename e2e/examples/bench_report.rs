//! Reads criterion's results in `target/criterion` (from `cargo bench --bench peers`
//! and `--bench codec`) and prints, as Markdown: ours against the `cookie` crate's
//! private jar and against the bare AEAD floor, per cipher, for seal and open; the
//! cookie length of the sample session under every suite; time per suite and
//! payload size; rejection costs; and the scaling from one to two threads. With
//! `--svg PATH` it also draws the chart of seal and open time and cookie size per
//! suite.
//!
//! ```text
//! cargo bench --all-features --bench peers --bench codec -- --warm-up-time 1 --measurement-time 2
//! cargo run --release --all-features --example bench_report -- --svg e2e/benches/chart.svg
//! ```
//!
//! Ratios use criterion's median estimates, measured in the same run; below 1.00
//! means ours is faster.

#[path = "../benches/support/mod.rs"]
mod support;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use sealed_cookie::cipher::{Aes256Gcm, Aes256Siv, Cipher, XChaCha20Poly1305};
use sealed_cookie::compressor::{Compressor, Zstd};
use sealed_cookie::serializer::{Json, MessagePack, Postcard, Serializer};
use sealed_cookie::web::SessionLayer;
use sealed_cookie::{Codec, Key, Keyring, Suite, Value};
use support::Session;

/// Cookie length of the sample session under Perl's Session::Storage::Secure
/// (measured once with version 1.000; not reproducible without Perl).
const PERL_LEN: usize = 357;

const CIPHERS: [&str; 3] = ["xchacha20poly1305", "aes256gcm", "aes256siv"];
const SERIALIZERS: [&str; 3] = ["postcard", "msgpack", "json"];
const SIZES: [&str; 4] = ["96B", "256B", "1KB", "3KB"];

type Results = BTreeMap<String, f64>;

/// Median time in nanoseconds of every benchmark, keyed by its full id.
fn load(dir: &Path, results: &mut Results) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            if path.file_name().is_some_and(|n| n == "new") {
                let Ok(meta) = std::fs::read_to_string(path.join("benchmark.json")) else {
                    continue;
                };
                let Ok(estimates) = std::fs::read_to_string(path.join("estimates.json")) else {
                    continue;
                };
                let meta: serde_json::Value = serde_json::from_str(&meta)?;
                let estimates: serde_json::Value = serde_json::from_str(&estimates)?;
                if let (Some(id), Some(median)) = (
                    meta["full_id"].as_str(),
                    estimates["median"]["point_estimate"].as_f64(),
                ) {
                    results.insert(id.to_owned(), median);
                }
            } else {
                load(&path, results)?;
            }
        }
    }
    Ok(())
}

/// Cookie lengths of the sample session under one suite.
struct Lengths {
    suite: String,
    /// A `Codec<Session>` (the application's struct).
    typed: usize,
    /// The web layer on its defaults, untyped `Session` (a session value).
    web_untyped: usize,
    /// The web layer declaring the struct (`SessionLayer::typed`).
    web_typed: usize,
}

fn lengths<C, S>(cipher: C, serializer: S, zstd: bool) -> Lengths
where
    C: Cipher + Clone,
    S: Serializer + Clone,
{
    let plain = Suite::new(cipher, serializer);
    if zstd {
        let suite = plain.compressor(Zstd::default());
        measure(|| suite.clone())
    } else {
        measure(|| plain.clone())
    }
}

fn measure<C: Cipher, S: Serializer, Z: Compressor>(suite: impl Fn() -> Suite<C, S, Z>) -> Lengths {
    let keyring = Keyring::new(Key::from_bytes(&[7u8; 32]).expect("32 bytes"));
    let codec = Codec::<Session>::builder()
        .keyring(keyring.clone())
        .suite(1, suite())
        .build()
        .expect("a valid codec");
    let entries = match Value::from_serialize(&support::sample()).expect("a map") {
        Value::Map(map) => map,
        other => panic!("{other:?}"),
    };
    let untyped_layer = SessionLayer::builder()
        .keyring(keyring.clone())
        .suite(1, suite())
        .build()
        .expect("a valid layer");
    let typed_layer = SessionLayer::typed::<Session>()
        .keyring(keyring)
        .suite(1, suite())
        .build()
        .expect("a valid layer");
    Lengths {
        suite: codec.suite_name(1).expect("registered").to_owned(),
        typed: codec.seal(&support::sample()).expect("fits").len(),
        web_untyped: untyped_layer.seal(&entries).expect("fits").len(),
        web_typed: typed_layer.seal(&entries).expect("fits").len(),
    }
}

/// Cookie lengths of the sample session under every suite, with and without zstd.
fn sizes() -> Vec<Lengths> {
    let mut out = Vec::new();
    for zstd in [false, true] {
        out.push(lengths(XChaCha20Poly1305, Postcard, zstd));
        out.push(lengths(XChaCha20Poly1305, MessagePack, zstd));
        out.push(lengths(XChaCha20Poly1305, Json, zstd));
        out.push(lengths(Aes256Gcm, Postcard, zstd));
        out.push(lengths(Aes256Gcm, MessagePack, zstd));
        out.push(lengths(Aes256Gcm, Json, zstd));
        out.push(lengths(Aes256Siv, Postcard, zstd));
        out.push(lengths(Aes256Siv, MessagePack, zstd));
        out.push(lengths(Aes256Siv, Json, zstd));
    }
    out
}

/// The `cookie` crate's private jar over the session's JSON text.
fn jar_len() -> usize {
    let key = cookie::Key::generate();
    let mut jar = cookie::CookieJar::new();
    jar.private_mut(&key).add(cookie::Cookie::new(
        "session",
        support::json(&support::sample()),
    ));
    jar.get("session").map_or(0, |c| c.value().len())
}

fn us(ns: f64) -> String {
    format!("{:.2} µs", ns / 1000.0)
}

fn ratio(a: Option<f64>, b: Option<f64>) -> String {
    match (a, b) {
        (Some(a), Some(b)) if b > 0.0 => format!("{:.2}", a / b),
        _ => "n/a".to_owned(),
    }
}

fn time(t: Option<f64>) -> String {
    t.map_or_else(|| "n/a".to_owned(), us)
}

fn peers_table(r: &Results, out: &mut String) {
    let get = |id: String| r.get(&id).copied();
    let _ = writeln!(
        out,
        "| cipher (+postcard) | op | ours | cookie jar | floor | ours / jar | ours / floor | \
         ours / (floor + postcard) |\n|---|---|---|---|---|---|---|---|"
    );
    for cipher in CIPHERS {
        for op in ["seal", "open"] {
            let ours = get(format!("peers/ours/{cipher}+postcard/{op}"));
            let jar = get(format!("peers/cookie-jar/{op}"));
            let floor = get(format!("peers/floor/{cipher}/{op}"));
            let serde = get(format!("peers/serde/postcard/{op}"));
            let floor_serde = floor.zip(serde).map(|(f, s)| f + s);
            let _ = writeln!(
                out,
                "| {cipher} | {op} | {} | {} | {} | {} | {} | {} |",
                time(ours),
                time(jar),
                time(floor),
                ratio(ours, jar),
                ratio(ours, floor),
                ratio(ours, floor_serde),
            );
        }
    }
}

fn sizes_table(sizes: &[Lengths], jar: usize, out: &mut String) {
    let _ = writeln!(
        out,
        "| suite | `Codec<T>` | vs Perl ({PERL_LEN}) | vs cookie jar ({jar}) | web layer, `Session` | web layer, `SessionLayer::typed` |\n|---|---|---|---|---|---|"
    );
    for row in sizes {
        let _ = writeln!(
            out,
            "| {} | {} | {:.0}% | {:.0}% | {} ({:.0}%) | {} ({:.0}%) |",
            row.suite,
            row.typed,
            100.0 * row.typed as f64 / PERL_LEN as f64,
            100.0 * row.typed as f64 / jar as f64,
            row.web_untyped,
            100.0 * row.web_untyped as f64 / PERL_LEN as f64,
            row.web_typed,
            100.0 * row.web_typed as f64 / PERL_LEN as f64,
        );
    }
}

fn suites_table(r: &Results, out: &mut String) {
    let _ = write!(out, "| suite | op |");
    for size in SIZES {
        let _ = write!(out, " {size} |");
    }
    let _ = writeln!(out, "\n|---|---|---|---|---|---|");
    for cipher in CIPHERS {
        for serializer in SERIALIZERS {
            for op in ["seal", "open"] {
                let _ = write!(out, "| {cipher}+{serializer} | {op} |");
                for size in SIZES {
                    let t = r
                        .get(&format!("{op}/{cipher}+{serializer}/{size}"))
                        .copied();
                    let _ = write!(out, " {} |", time(t));
                }
                let _ = writeln!(out);
            }
        }
    }
}

fn reject_table(r: &Results, out: &mut String) {
    let _ = writeln!(
        out,
        "| suite | tampered | too long | tampered / open |\n|---|---|---|---|"
    );
    for cipher in CIPHERS {
        let suite = format!("{cipher}+postcard");
        let tampered = r.get(&format!("reject/{suite}/tampered")).copied();
        let too_long = r.get(&format!("reject/{suite}/too-long")).copied();
        let open = r.get(&format!("open/{suite}/256B")).copied();
        let _ = writeln!(
            out,
            "| {suite} | {} | {} | {} |",
            time(tampered),
            time(too_long),
            ratio(tampered, open)
        );
    }
}

fn threads_table(r: &Results, out: &mut String) {
    let _ = writeln!(
        out,
        "| suite | 1 thread | 2 threads | scaling |\n|---|---|---|---|"
    );
    for suite in ["xchacha20poly1305+postcard", "aes256gcm+postcard"] {
        let one = r.get(&format!("threads/{suite}/1")).copied();
        let two = r.get(&format!("threads/{suite}/2")).copied();
        let rate = |t: Option<f64>| {
            t.map_or_else(|| "n/a".to_owned(), |t| format!("{:.0} ops/s", 1e9 / t))
        };
        let _ = writeln!(
            out,
            "| {suite} | {} | {} | {}x |",
            rate(one),
            rate(two),
            ratio(one, two)
        );
    }
}

/// Two panels: seal and open time of the sample session per suite, and its cookie
/// length per suite against the peers.
fn svg(r: &Results, sizes: &[(String, usize)], jar: usize) -> String {
    let suites: Vec<String> = CIPHERS
        .iter()
        .flat_map(|c| SERIALIZERS.iter().map(move |s| format!("{c}+{s}")))
        .collect();
    let row = 26.0;
    let top = 60.0;
    let label_w = 210.0;
    let bar_w = 260.0;
    let height = top + row * (suites.len() as f64 + 2.0) + 40.0;
    let width = 2.0 * (label_w + bar_w) + 80.0;
    let times: Vec<(Option<f64>, Option<f64>)> = suites
        .iter()
        .map(|s| {
            (
                r.get(&format!("seal/{s}/256B")).copied(),
                r.get(&format!("open/{s}/256B")).copied(),
            )
        })
        .collect();
    let max_t = times
        .iter()
        .flat_map(|(a, b)| [a.unwrap_or(0.0), b.unwrap_or(0.0)])
        .fold(1.0, f64::max);
    let mut s = String::new();
    let _ = writeln!(
        s,
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0}" height="{height:.0}" font-family="sans-serif" font-size="12">
<rect width="100%" height="100%" fill="white"/>
<text x="10" y="22" font-size="15" font-weight="bold">sealed-cookie: the sample session per suite (criterion medians; default build)</text>
<text x="{label_w}" y="46" font-weight="bold">seal / open time (µs)</text>
<rect x="{:.0}" y="36" width="10" height="10" fill="#3b6ea5"/><text x="{:.0}" y="46">seal</text>
<rect x="{:.0}" y="36" width="10" height="10" fill="#e8a33d"/><text x="{:.0}" y="46">open</text>"##,
        label_w + 160.0,
        label_w + 174.0,
        label_w + 210.0,
        label_w + 224.0
    );
    for (i, (suite, (seal, open))) in suites.iter().zip(&times).enumerate() {
        let y = top + row * i as f64;
        let _ = writeln!(
            s,
            r##"<text x="{:.0}" y="{:.0}" text-anchor="end">{suite}</text>"##,
            label_w - 6.0,
            y + 15.0
        );
        for (j, (t, colour)) in [(seal, "#3b6ea5"), (open, "#e8a33d")].iter().enumerate() {
            if let Some(t) = t {
                let w = bar_w * *t / max_t;
                let by = y + 3.0 + 10.0 * j as f64;
                let _ = writeln!(
                    s,
                    r##"<rect x="{label_w}" y="{by:.0}" width="{w:.1}" height="9" fill="{colour}"/><text x="{:.1}" y="{:.0}" font-size="9">{:.2}</text>"##,
                    label_w + w + 3.0,
                    by + 8.0,
                    t / 1000.0
                );
            }
        }
    }
    // Right panel: sizes (without compression), plus the peers.
    let x0 = 2.0 * label_w + bar_w + 40.0;
    let max_len = sizes
        .iter()
        .map(|(_, l)| *l)
        .chain([PERL_LEN, jar])
        .max()
        .unwrap_or(1) as f64;
    let _ = writeln!(
        s,
        r##"<text x="{x0}" y="46" font-weight="bold">cookie length (characters)</text>"##
    );
    let mut rows: Vec<(String, usize, &str)> = suites
        .iter()
        .filter_map(|suite| {
            sizes
                .iter()
                .find(|(name, _)| name == &format!("{suite}+none"))
                .map(|(_, l)| (suite.clone(), *l, "#5a9e6f"))
        })
        .collect();
    rows.push((
        "Perl Session::Storage::Secure".to_owned(),
        PERL_LEN,
        "#999999",
    ));
    rows.push(("cookie 0.18 private jar".to_owned(), jar, "#999999"));
    for (i, (name, len, colour)) in rows.iter().enumerate() {
        let y = top + row * i as f64;
        let w = bar_w * *len as f64 / max_len;
        let _ = writeln!(
            s,
            r##"<text x="{:.0}" y="{:.0}" text-anchor="end">{name}</text><rect x="{x0}" y="{:.0}" width="{w:.1}" height="16" fill="{colour}"/><text x="{:.1}" y="{:.0}" font-size="10">{len}</text>"##,
            x0 - 6.0,
            y + 15.0,
            y + 3.0,
            x0 + w + 3.0,
            y + 15.0
        );
    }
    let target = bar_w * 0.75 * PERL_LEN as f64 / max_len;
    let _ = writeln!(
        s,
        r##"<line x1="{:.1}" y1="{:.0}" x2="{:.1}" y2="{:.0}" stroke="#c0392b" stroke-dasharray="4 3"/><text x="{:.1}" y="{:.0}" fill="#c0392b" font-size="10">75% of Perl</text>"##,
        x0 + target,
        top,
        x0 + target,
        top + row * rows.len() as f64,
        x0 + target - 25.0,
        top + row * rows.len() as f64 + 12.0
    );
    s.push_str("</svg>\n");
    s
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let mut svg_path: Option<PathBuf> = None;
    let mut dir = std::env::var_os("CARGO_TARGET_DIR")
        .map_or_else(|| PathBuf::from("target"), PathBuf::from)
        .join("criterion");
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--svg" => svg_path = args.next().map(PathBuf::from),
            "--criterion" => dir = args.next().map(PathBuf::from).ok_or("--criterion DIR")?,
            other => {
                return Err(format!(
                    "unknown argument {other:?} (use --svg PATH, --criterion DIR)"
                )
                .into());
            }
        }
    }
    let mut results = Results::new();
    if dir.is_dir() {
        load(&dir, &mut results)?;
    } else {
        eprintln!(
            "no criterion results in {}: run the benches first",
            dir.display()
        );
    }
    let sizes = sizes();
    let jar = jar_len();
    let mut out = String::new();
    out.push_str("## Against the peers (sample session, same run)\n\n");
    peers_table(&results, &mut out);
    out.push_str("\n## Cookie length of the sample session\n\n");
    sizes_table(&sizes, jar, &mut out);
    out.push_str("\n## Time per suite and payload size\n\n");
    suites_table(&results, &mut out);
    out.push_str("\n## Rejection\n\n");
    reject_table(&results, &mut out);
    out.push_str("\n## Seal and open on threads sharing one codec\n\n");
    threads_table(&results, &mut out);
    print!("{out}");
    if let Some(path) = svg_path {
        let typed: Vec<(String, usize)> = sizes
            .iter()
            .map(|row| (row.suite.clone(), row.typed))
            .collect();
        std::fs::write(&path, svg(&results, &typed, jar))?;
        eprintln!("wrote {}", path.display());
    }
    Ok(())
}
