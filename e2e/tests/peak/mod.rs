//! Peak heap of one input, measured in a child process of the test binary:
//! dhat counts a whole process, so each hostile input gets a process of its own
//! and one input's peak cannot hide another's.

use std::path::Path;
use std::process::Command;

/// The child's one line of report, read by [`in_child`].
pub fn report(peak: usize, outcome: &str) {
    println!("peak {peak} {outcome}");
}

/// Runs this test binary again with `input` in a file (in `dir`) named by the
/// variable `var`, and reads the child's [`report`]: its peak and outcome, or
/// why the child failed.
pub fn in_child(
    var: &str,
    dir: &Path,
    index: usize,
    input: &[u8],
) -> Result<(usize, String), String> {
    let path = dir.join(format!("case-{index}"));
    std::fs::write(&path, input).expect("case file");
    let exe = std::env::current_exe().expect("own path");
    let output = Command::new(exe)
        .env(var, &path)
        .output()
        .expect("child runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let line = stdout
        .lines()
        .find(|l| l.starts_with("peak "))
        .ok_or_else(|| {
            format!(
                "child failed: {}\n{stdout}{}",
                output.status,
                String::from_utf8_lossy(&output.stderr)
            )
        })?;
    let mut words = line.splitn(3, ' ').skip(1);
    let peak = words.next().and_then(|w| w.parse().ok()).expect("peak");
    Ok((peak, words.next().unwrap_or_default().to_owned()))
}
