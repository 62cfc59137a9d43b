//! Chunking: one sealed value spread over several cookies when it does not fit
//! one. The scheme (normative text in `SPEC.md`, section "chunking"):
//!
//! - unchunked: `name=<sealed value>`;
//! - chunked into `n` parts: `name=chunks-<n>` and `nameC1=<part 1>` ...
//!   `nameC<n>=<part n>`; the sealed value is the parts concatenated in order;
//! - the sealed value always binds `name` (not the chunk names) into its AEAD
//!   associated data, so chunked and unchunked cookies open the same way;
//! - when a session shrinks, chunk cookies above the new count are deleted.

use super::cookie_header::{RequestCookies, value_text};
use smallvec::SmallVec;
use std::borrow::Cow;

/// Prefix of the main cookie's value when the session is chunked.
pub(crate) const MARKER_PREFIX: &str = "chunks-";

/// Longest marker: the prefix and three digits.
const MARKER_MAX_LEN: usize = MARKER_PREFIX.len() + 3;

/// Most sealed values tried for one request when the session's name (or a
/// chunk's) arrives more than once: one AEAD attempt each.
pub const MAX_CANDIDATES: usize = 4;

/// At most [`MAX_CANDIDATES`] sealed values, kept inline.
pub(crate) type Candidates<'a> = SmallVec<[Cow<'a, str>; MAX_CANDIDATES]>;

/// Name of chunk `index` (1-based).
pub(crate) fn chunk_name(name: &str, index: usize) -> String {
    format!("{name}C{index}")
}

/// The marker value for `count` chunks.
pub(crate) fn marker(count: usize) -> String {
    format!("{MARKER_PREFIX}{count}")
}

/// Cookies to set, as (name, value), borrowed where they can be: most
/// responses set one, kept inline.
pub(crate) type NamedValues<'a> = SmallVec<[(Cow<'a, str>, Cow<'a, str>); 1]>;

/// The cookies of a value split into `parts`: the marker under `name`, then
/// each part under its chunk name.
pub(crate) fn cookies<'a>(name: &'a str, parts: &[&'a str]) -> NamedValues<'a> {
    std::iter::once((Cow::Borrowed(name), Cow::Owned(marker(parts.len()))))
        .chain(parts.iter().enumerate().map(|(index, part)| {
            (
                Cow::Owned(chunk_name(name, index + 1)),
                Cow::Borrowed(*part),
            )
        }))
        .collect()
}

/// What a request carried under the session's name.
#[derive(Debug, Default)]
pub(crate) struct Incoming<'a> {
    /// Sealed values to try in order (reassembled when chunked), at most
    /// [`MAX_CANDIDATES`]: more than one only when a name arrived several times.
    /// An unchunked value is borrowed from the request, not copied.
    pub(crate) candidates: Candidates<'a>,
    /// Why a chunked value could not be reassembled, when no candidate could.
    pub(crate) error: Option<ChunkError>,
    /// The main cookie was sent.
    pub(crate) main_present: bool,
    /// Highest chunk index the client holds: the marker's count or the highest
    /// chunk cookie sent, whichever is larger.
    pub(crate) chunks_held: usize,
    /// The main cookie or a chunk arrived more than once: cookies planted with
    /// another Path or Domain may be among them, and a deletion might hit the
    /// user's own.
    pub(crate) duplicated: bool,
}

/// A chunked session that cannot be reassembled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ChunkError {
    /// The marker is not `chunks-<n>` with `n` in 1..=cap, or chunking is off.
    BadMarker,
    /// A chunk named by the marker was not sent.
    Missing(usize),
}

impl ChunkError {
    pub(crate) fn kind(self) -> &'static str {
        match self {
            Self::BadMarker => "chunk_marker_invalid",
            Self::Missing(_) => "chunk_missing",
        }
    }
}

/// Highest stale chunk index deleted when it is above the configured cap.
const STALE_CHUNK_LIMIT: usize = 16;

/// Collects the session cookie (and its chunks) from the `Cookie` headers.
/// Browsers send the most specific cookie of a name first, so candidates keep
/// the order sent.
pub(crate) fn read<'a>(
    cookies: &RequestCookies<'a>,
    name: &str,
    max_chunks: Option<usize>,
) -> Incoming<'a> {
    let cap = max_chunks.unwrap_or(0);
    let mut mains: SmallVec<[&str; MAX_CANDIDATES]> = SmallVec::new();
    let mut chunks: Vec<Vec<&str>> = vec![Vec::new(); cap];
    let mut incoming = Incoming::default();
    for &(key, raw) in cookies.as_slice() {
        let main = key == name;
        let chunk = if main {
            None
        } else {
            key.strip_prefix(name)
                .and_then(|rest| rest.strip_prefix('C'))
                .and_then(parse_index)
        };
        if !main && chunk.is_none() {
            continue;
        }
        // A value that is not UTF-8 counts as a pair not sent.
        let Some(value) = value_text(raw) else {
            continue;
        };
        if main {
            incoming.duplicated |= incoming.main_present;
            incoming.main_present = true;
            if mains.len() < MAX_CANDIDATES {
                mains.push(value);
            }
        } else if let Some(index) = chunk {
            // Stale chunks are deleted up to the cap, or up to 16 (a cap
            // lowered since, or chunking turned off): never as many as a
            // planted `nameC999` would ask for.
            if index <= cap.max(STALE_CHUNK_LIMIT) {
                incoming.chunks_held = incoming.chunks_held.max(index);
            }
            if let Some(slot) = chunks.get_mut(index - 1) {
                incoming.duplicated |= !slot.is_empty();
                if slot.len() < MAX_CANDIDATES {
                    slot.push(value);
                }
            }
        }
    }
    for main in mains {
        if incoming.candidates.len() == MAX_CANDIDATES {
            break;
        }
        // A marker is at most 10 characters; a sealed value is always longer (its
        // header alone takes 24), so the two cannot be confused.
        let Some(count) = main
            .strip_prefix(MARKER_PREFIX)
            .filter(|_| main.len() <= MARKER_MAX_LEN)
        else {
            incoming.candidates.push(Cow::Borrowed(main));
            continue;
        };
        let count = match parse_index(count) {
            Some(count) if count <= cap => count,
            _ => {
                incoming.error.get_or_insert(ChunkError::BadMarker);
                continue;
            }
        };
        incoming.chunks_held = incoming.chunks_held.max(count);
        if let Some(missing) = chunks[..count].iter().position(Vec::is_empty) {
            incoming
                .error
                .get_or_insert(ChunkError::Missing(missing + 1));
            continue;
        }
        reassemble(&chunks[..count], &mut incoming.candidates);
    }
    incoming
}

/// Pushes the concatenations of one value per chunk, first values first, until
/// [`MAX_CANDIDATES`] are held. Every slot is non-empty.
fn reassemble(chunks: &[Vec<&str>], candidates: &mut Candidates<'_>) {
    // An odometer over the values sent for each chunk index.
    let mut choice = vec![0usize; chunks.len()];
    while candidates.len() < MAX_CANDIDATES {
        let mut joined = String::new();
        for (slot, &pick) in chunks.iter().zip(&choice) {
            joined.push_str(slot[pick]);
        }
        candidates.push(Cow::Owned(joined));
        let Some(digit) = (0..chunks.len())
            .rev()
            .find(|&i| choice[i] + 1 < chunks[i].len())
        else {
            return;
        };
        choice[digit] += 1;
        choice[digit + 1..].fill(0);
    }
}

/// A decimal chunk index from 1 to 999, without sign or leading zeros.
fn parse_index(text: &str) -> Option<usize> {
    if text.is_empty() || text.len() > 3 || text.starts_with('0') {
        return None;
    }
    if !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

/// Splits `value` into parts of at most `part_len` bytes (base64url is ASCII).
pub(crate) fn split(value: &str, part_len: usize) -> Vec<&str> {
    let part_len = part_len.max(1);
    let mut parts = Vec::with_capacity(value.len().div_ceil(part_len));
    let mut rest = value;
    while !rest.is_empty() {
        let at = part_len.min(rest.len());
        // Sealed values are ASCII; stay on a char boundary for anything else.
        let at = (0..=at)
            .rev()
            .find(|&i| rest.is_char_boundary(i))
            .filter(|&i| i > 0)
            .unwrap_or(rest.len());
        let (head, tail) = rest.split_at(at);
        parts.push(head);
        rest = tail;
    }
    parts
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;
    use http::header::COOKIE;

    /// The request cookies of these `Cookie` fields.
    fn headers<'a>(cookies: &[&'a str]) -> RequestCookies<'a> {
        RequestCookies::from_fields(cookies.iter().map(|cookie| cookie.as_bytes()))
    }

    #[test]
    fn plain_cookie_is_read_as_is() {
        let incoming = read(&headers(&["a=1; session=abc; b=2"]), "session", None);
        assert_eq!(incoming.candidates[..], ["abc"]);
        assert!(!incoming.duplicated);
        assert!(incoming.main_present);
        assert_eq!(incoming.chunks_held, 0);
    }

    #[test]
    fn chunks_are_reassembled_in_order_across_headers() {
        let incoming = read(
            &headers(&[
                "sessionC2=def; session=chunks-3",
                "sessionC3=gh; sessionC1=abc",
            ]),
            "session",
            Some(4),
        );
        assert_eq!(incoming.candidates[..], ["abcdefgh"]);
        assert_eq!(incoming.chunks_held, 3);
    }

    #[test]
    fn a_missing_chunk_or_bad_marker_is_an_error() {
        let missing = read(
            &headers(&["session=chunks-2; sessionC1=abc"]),
            "session",
            Some(4),
        );
        assert!(missing.candidates.is_empty());
        assert_eq!(missing.error, Some(ChunkError::Missing(2)));
        for marker in [
            "chunks-0",
            "chunks-5",
            "chunks-01",
            "chunks-x",
            "chunks-",
            "chunks-999",
        ] {
            let cookie = format!("session={marker}");
            let bad = read(&headers(&[&cookie]), "session", Some(4));
            assert_eq!(bad.error, Some(ChunkError::BadMarker), "{marker}");
            assert!(bad.candidates.is_empty());
        }
        let off = read(
            &headers(&["session=chunks-1; sessionC1=a"]),
            "session",
            None,
        );
        assert_eq!(off.error, Some(ChunkError::BadMarker));
    }

    #[test]
    fn stale_chunks_are_counted_even_when_unused() {
        let incoming = read(
            &headers(&["session=abc; sessionC1=x; sessionC7=y; sessionCx=z"]),
            "session",
            Some(4),
        );
        assert_eq!(incoming.candidates[..], ["abc"]);
        assert_eq!(incoming.chunks_held, 7);
    }

    #[test]
    fn planted_high_chunk_indices_do_not_multiply_deletions() {
        for (cap, cookie, held) in [
            (Some(4), "session=abc; sessionC999=x", 0),
            (None, "session=abc; sessionC999=x", 0),
            (Some(4), "sessionC17=x", 0),
            (Some(4), "sessionC16=x", 16),
            (Some(20), "sessionC17=x", 17),
            (None, "sessionC3=x", 3),
        ] {
            let incoming = read(&headers(&[cookie]), "session", cap);
            assert_eq!(incoming.chunks_held, held, "{cookie} with cap {cap:?}");
        }
    }

    #[test]
    fn a_name_sent_twice_gives_every_candidate_in_order() {
        let incoming = read(
            &headers(&["session=planted; a=1", "session=mine"]),
            "session",
            None,
        );
        assert_eq!(incoming.candidates[..], ["planted", "mine"]);
        assert!(incoming.duplicated);
        let many = (0..9).map(|i| format!("session=v{i}")).collect::<Vec<_>>();
        let joined = many.join("; ");
        let incoming = read(&headers(&[&joined]), "session", None);
        assert_eq!(incoming.candidates.len(), MAX_CANDIDATES);
        assert_eq!(incoming.candidates[0], "v0");
    }

    #[test]
    fn duplicated_chunks_are_tried_in_every_combination_up_to_the_bound() {
        let incoming = read(
            &headers(&["session=chunks-2; sessionC1=a; sessionC2=x; sessionC2=y; sessionC1=b"]),
            "session",
            Some(4),
        );
        assert_eq!(incoming.candidates[..], ["ax", "ay", "bx", "by"]);
        assert!(incoming.duplicated);
        // A bad marker planted first does not hide the real value after it.
        let incoming = read(
            &headers(&["session=chunks-9; session=sealed"]),
            "session",
            Some(4),
        );
        assert_eq!(incoming.candidates[..], ["sealed"]);
        assert_eq!(incoming.error, Some(ChunkError::BadMarker));
    }

    #[test]
    fn a_non_utf8_cookie_does_not_hide_the_session() {
        let mut map = http::HeaderMap::new();
        map.append(
            COOKIE,
            HeaderValue::from_bytes(b"pref=caf\xe9; session=abc").unwrap(),
        );
        let cookies = RequestCookies::from_headers(&map);
        assert_eq!(read(&cookies, "session", None).candidates[..], ["abc"]);
    }

    #[test]
    fn a_session_or_chunk_value_that_is_not_utf8_counts_as_not_sent() {
        let mut map = http::HeaderMap::new();
        map.append(
            COOKIE,
            HeaderValue::from_bytes(b"session=ab\xff; sessionC1=x\xe9; sessionC2=ok").unwrap(),
        );
        {
            let cookies = RequestCookies::from_headers(&map);
            let incoming = read(&cookies, "session", Some(4));
            assert!(incoming.candidates.is_empty());
            assert!(!incoming.main_present);
            assert!(!incoming.duplicated);
            // Only the readable chunk is held (and so deleted later).
            assert_eq!(incoming.chunks_held, 2);
        }
        map.append(COOKIE, HeaderValue::from_static("session=abc"));
        let cookies = RequestCookies::from_headers(&map);
        let incoming = read(&cookies, "session", Some(4));
        assert_eq!(incoming.candidates[..], ["abc"]);
        assert!(!incoming.duplicated, "the unreadable copy was not sent");
    }

    #[test]
    fn split_then_join_is_identity() {
        let value = "abcdefghij".repeat(37);
        for part_len in [1, 7, 100, 370, 1000] {
            let parts = split(&value, part_len);
            assert!(parts.iter().all(|p| !p.is_empty() && p.len() <= part_len));
            assert_eq!(parts.len(), value.len().div_ceil(part_len));
            assert_eq!(parts.concat(), value);
        }
    }
}
