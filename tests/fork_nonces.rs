//! Nonces never repeat across `fork()`: a process seals, forks, and parent, child
//! and grandchild all seal again; every nonce of every cipher must differ.
//!
//! Runs without the test harness, so that the process has one thread when it forks.

#[cfg(unix)]
mod unix {
    use std::collections::HashSet;
    use std::io::{Read as _, Write as _};
    use std::os::fd::FromRawFd as _;

    use base64::Engine as _;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use sealed_cookie::envelope::HEADER_LEN;
    use sealed_cookie::{Codec, Key, Keyring, Suite, cipher::Cipher, serializer::Postcard};

    /// Seals after each fork, per process and cipher.
    const SEALS: usize = 64;

    fn codec<C: Cipher>(cipher: C) -> Codec<String> {
        Codec::builder()
            .suite(1, Suite::new(cipher, Postcard))
            .keyring(Keyring::new(
                Key::from_bytes(&[7; 64]).expect("a valid key"),
            ))
            .build()
            .expect("a valid codec")
    }

    fn nonces(codec: &Codec<String>, nonce_len: usize) -> Vec<Vec<u8>> {
        (0..SEALS)
            .map(|_| {
                let cookie = codec.seal(&"value".to_owned()).expect("seals");
                let bytes = URL_SAFE_NO_PAD.decode(cookie).expect("base64url");
                bytes[HEADER_LEN..HEADER_LEN + nonce_len].to_vec()
            })
            .collect()
    }

    /// Forks; the child runs `child` and writes what it returns to a pipe, then
    /// exits at once. The parent gets the child's bytes.
    fn in_child(child: impl FnOnce() -> Vec<u8>) -> Vec<u8> {
        let mut fds = [0; 2];
        // SAFETY: `fds` has room for the two descriptors pipe() writes.
        assert_eq!(unsafe { libc::pipe(fds.as_mut_ptr()) }, 0, "pipe");
        // SAFETY: the process has one thread (no test harness); the child only
        // seals, writes to its pipe and calls _exit.
        let pid = unsafe { libc::fork() };
        assert!(pid >= 0, "fork failed");
        if pid == 0 {
            // SAFETY: fds[1] is the pipe's write end, owned here alone.
            let mut out = unsafe { std::fs::File::from_raw_fd(fds[1]) };
            let status = i32::from(out.write_all(&child()).is_err());
            drop(out);
            // SAFETY: ends the child without running the parent's exit handlers.
            unsafe { libc::_exit(status) };
        }
        // SAFETY: fds[0] is the pipe's read end; fds[1] is closed here once.
        let mut input = unsafe { std::fs::File::from_raw_fd(fds[0]) };
        unsafe { libc::close(fds[1]) };
        let mut bytes = Vec::new();
        input
            .read_to_end(&mut bytes)
            .expect("read the child's nonces");
        let mut status = 0;
        // SAFETY: waits for the child forked above.
        assert_eq!(unsafe { libc::waitpid(pid, &mut status, 0) }, pid);
        assert!(
            libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
            "child failed"
        );
        bytes
    }

    /// Parent, child and grandchild nonces of one cipher, all distinct.
    pub fn check<C: Cipher + Copy>(name: &str, cipher: C, failures: &mut Vec<String>) {
        let codec = codec(cipher);
        let len = cipher.nonce_len();
        // The parent's generator is seeded and in use before the fork.
        let before = nonces(&codec, len);
        let child_codec = codec.clone();
        let from_children = in_child(move || {
            let mut mine = nonces(&child_codec, len).concat();
            let grandchild_codec = child_codec.clone();
            mine.extend(in_child(move || nonces(&grandchild_codec, len).concat()));
            mine
        });
        let after = nonces(&codec, len);
        let mut seen = HashSet::new();
        let mut all: Vec<Vec<u8>> = before.into_iter().chain(after).collect();
        all.extend(from_children.chunks(len).map(<[u8]>::to_vec));
        assert_eq!(all.len(), SEALS * 4, "every process sealed");
        let repeated = all
            .iter()
            .filter(|nonce| !seen.insert(nonce.to_vec()))
            .count();
        if repeated == 0 {
            println!(
                "fork_nonces {name}: {} nonces over 3 processes, all distinct",
                all.len()
            );
        } else {
            failures.push(format!(
                "{name}: {repeated} of {} nonces repeated across fork()",
                all.len()
            ));
        }
    }
}

fn main() {
    #[cfg(unix)]
    {
        let mut failures = Vec::new();
        #[cfg(feature = "xchacha20poly1305")]
        unix::check(
            "xchacha20poly1305",
            sealed_cookie::cipher::XChaCha20Poly1305,
            &mut failures,
        );
        #[cfg(feature = "aes-gcm")]
        unix::check("aes256gcm", sealed_cookie::cipher::Aes256Gcm, &mut failures);
        #[cfg(feature = "aes-siv")]
        unix::check("aes256siv", sealed_cookie::cipher::Aes256Siv, &mut failures);
        if !failures.is_empty() {
            for failure in &failures {
                eprintln!("FAILED: {failure}");
            }
            std::process::exit(1);
        }
    }
}
