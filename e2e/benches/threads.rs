//! Seal-and-open throughput of the sample session on one and on two threads that
//! share one `Codec`, with the CPU time the process used, so that scaling can be
//! read even on a machine that other jobs keep busy:
//!
//! - `ops/s`: seal-then-open pairs per second of wall-clock time, all threads;
//! - `cores used`: process CPU time over wall-clock time (Linux `/proc/self/stat`);
//! - `ops/CPU-s`: pairs per second of CPU time. Equal on one and two threads means
//!   the threads do not slow each other down (no lock, no shared writes), so
//!   wall-clock throughput grows with the cores the machine actually grants.
//!
//! ```text
//! cargo bench -p sealed-cookie-e2e --all-features --bench threads -- [seconds] [rounds]
//! ```
//!
//! Defaults: 2 seconds per measurement, 3 rounds alternating one and two threads;
//! each figure is the median over the rounds. `cargo test --bench threads` runs
//! one round of 0.05 s, to check that it works.

mod support;

use std::hint::black_box;
use std::sync::Barrier;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use sealed_cookie::Codec;
use sealed_cookie::cipher::{Aes256Gcm, XChaCha20Poly1305};
use support::{Session, codec};

/// Process CPU time (user + system) in seconds, from `/proc/self/stat` (ticks of
/// 1/100 s), or `None` where that file does not exist.
fn cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    let after_name = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    let utime: f64 = fields.get(11)?.parse().ok()?;
    let stime: f64 = fields.get(12)?.parse().ok()?;
    Some((utime + stime) / 100.0)
}

struct Sample {
    ops_per_s: f64,
    cores: Option<f64>,
    ops_per_cpu_s: Option<f64>,
}

fn measure(codec: &Codec<Session>, session: &Session, threads: usize, run: Duration) -> Sample {
    let stop = AtomicBool::new(false);
    let start = Barrier::new(threads + 1);
    let (ops, wall, cpu) = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| {
                    start.wait();
                    let mut ops = 0u64;
                    while !stop.load(Ordering::Relaxed) {
                        let cookie = codec.seal(black_box(session)).expect("fits");
                        black_box(codec.open(&cookie).expect("valid"));
                        ops += 1;
                    }
                    ops
                })
            })
            .collect();
        let cpu_before = cpu_seconds();
        let began = Instant::now();
        start.wait();
        std::thread::sleep(run);
        stop.store(true, Ordering::Relaxed);
        let ops: u64 = workers.into_iter().map(|w| w.join().expect("worker")).sum();
        let wall = began.elapsed().as_secs_f64();
        let cpu = cpu_before.zip(cpu_seconds()).map(|(a, b)| b - a);
        (ops, wall, cpu)
    });
    Sample {
        ops_per_s: ops as f64 / wall,
        cores: cpu.map(|c| c / wall),
        ops_per_cpu_s: cpu.filter(|c| *c > 0.0).map(|c| ops as f64 / c),
    }
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn median_opt(values: Vec<Option<f64>>) -> Option<f64> {
    let values: Option<Vec<f64>> = values.into_iter().collect();
    values.filter(|v| !v.is_empty()).map(median)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // `cargo bench` passes --bench; `cargo test --bench threads` does not.
    let smoke = std::env::args().all(|arg| arg != "--bench");
    let mut args = std::env::args()
        .skip(1)
        .filter(|arg| !arg.starts_with("--"));
    let seconds: f64 = args
        .next()
        .map_or(Ok(if smoke { 0.05 } else { 2.0 }), |a| a.parse())?;
    let rounds: usize = args
        .next()
        .map_or(Ok(if smoke { 1 } else { 3 }), |a| a.parse())?;
    if !seconds.is_finite() || seconds <= 0.0 || rounds == 0 {
        return Err("usage: threads [seconds > 0] [rounds > 0]".into());
    }
    let run = Duration::from_secs_f64(seconds);
    let session = support::sample();
    println!(
        "| suite | threads | ops/s | cores used | ops/CPU-s | wall scaling | per-CPU scaling |\n\
         |---|---|---|---|---|---|---|"
    );
    for (name, codec) in [
        ("xchacha20poly1305+postcard", codec(XChaCha20Poly1305)),
        ("aes256gcm+postcard", codec(Aes256Gcm)),
    ] {
        let mut samples: [Vec<Sample>; 2] = [Vec::new(), Vec::new()];
        for _ in 0..rounds {
            for threads in [1, 2] {
                samples[threads - 1].push(measure(&codec, &session, threads, run));
            }
        }
        let summary: Vec<(f64, Option<f64>, Option<f64>)> = samples
            .iter()
            .map(|s| {
                (
                    median(s.iter().map(|x| x.ops_per_s).collect()),
                    median_opt(s.iter().map(|x| x.cores).collect()),
                    median_opt(s.iter().map(|x| x.ops_per_cpu_s).collect()),
                )
            })
            .collect();
        let show = |v: Option<f64>, digits: usize| {
            v.map_or_else(|| "n/a".to_owned(), |v| format!("{v:.digits$}"))
        };
        for (i, (ops, cores, per_cpu)) in summary.iter().enumerate() {
            let (wall_scaling, cpu_scaling) = if i == 0 {
                (String::new(), String::new())
            } else {
                (
                    format!("{:.2}x", ops / summary[0].0),
                    show(per_cpu.zip(summary[0].2).map(|(a, b)| a / b), 2) + "x",
                )
            };
            println!(
                "| {name} | {} | {ops:.0} | {} | {} | {wall_scaling} | {cpu_scaling} |",
                i + 1,
                show(*cores, 2),
                show(*per_cpu, 0),
            );
        }
    }
    Ok(())
}
