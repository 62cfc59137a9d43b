//! Running a Perl script that makes test cookies with the real Perl modules.

use std::process::Command;

/// The standard output of `perl script` (UTF-8), or `None` (the caller's tests
/// skip, saying so) when perl or one of its modules is missing on a developer's
/// machine. Under CI (`CI` set), where `.ci/run` installs `packages`, that is a
/// failure, as is any other failure of the script.
pub fn output(script: &str, packages: &str) -> Option<String> {
    let under_ci = std::env::var_os("CI").is_some();
    let output = match Command::new("perl").arg(script).output() {
        Ok(output) => output,
        Err(error) if !under_ci => {
            eprintln!("SKIPPED Perl tests: perl cannot run ({error})");
            return None;
        }
        Err(error) => panic!("cannot run perl ({error})"),
    };
    let stderr = String::from_utf8_lossy(&output.stderr);
    if !output.status.success() && stderr.contains("Can't locate") && !under_ci {
        eprintln!(
            "SKIPPED Perl tests: a Perl module is missing (install {packages}): {}",
            stderr.lines().next().unwrap_or_default()
        );
        return None;
    }
    assert!(
        output.status.success(),
        "{script} failed (are {packages} installed?):\n{stderr}"
    );
    Some(String::from_utf8(output.stdout).expect("the script prints UTF-8"))
}
