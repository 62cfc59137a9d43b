//! The session handle handlers use, and the axum extractors.

use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard};

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::layer::Shared;
use crate::lifecycle::Facts;
use crate::value::{SessionMap, Value};

/// A value could not be converted to or from the session's data model.
#[derive(thiserror::Error)]
#[error("session value under {key:?} could not be converted: {error}")]
pub struct SessionValueError {
    key: String,
    error: serde_json::Error,
}

debug_as_message!(SessionValueError);

impl SessionValueError {
    /// The session key involved (empty for a whole typed session).
    #[must_use]
    pub fn key(&self) -> &str {
        &self.key
    }
}

#[derive(Debug, Default)]
pub(crate) struct State {
    pub(crate) map: SessionMap,
    pub(crate) facts: Option<Facts>,
    /// The handler wrote (or cleared, or destroyed) the session.
    pub(crate) changed: bool,
    pub(crate) renew: bool,
    /// The handler looked at the session: the response depends on the cookie.
    pub(crate) read: bool,
    /// Adopted from a legacy cookie: to be re-issued in the current suite.
    pub(crate) adopted: bool,
    /// Flash messages not yet taken: those the cookie brought and those set now.
    pub(crate) flash: SessionMap,
    /// The handler's choice of persistent (`Max-Age`) or browser-session cookie.
    pub(crate) persistent: Option<bool>,
    /// The facts of a session the handler destroyed: its id is to be revoked.
    /// This and the next two are rare, and boxed: the state is built and moved
    /// on every request.
    pub(crate) destroyed: Option<Box<Facts>>,
    /// The facts of the session a renewal replaced: its id is to be revoked.
    pub(crate) renewed_from: Option<Box<Facts>>,
    /// The facts of a cookie the revocation store could not check: not the
    /// handler's session, but a logout must still revoke it.
    pub(crate) unverified: Option<Box<Facts>>,
}

/// The current request's session: a map from strings to [`Value`]s, opened from
/// the sealed cookie by [`SessionLayer`](super::SessionLayer) and written back
/// when the response leaves.
///
/// Clones share the same session. With the `axum` feature it is an extractor;
/// elsewhere take it from the request extensions.
///
/// ```
/// use sealed_cookie::web::Session;
///
/// let session = Session::default();
/// session.insert("user", "alice")?;
/// session.insert("visits", &3u32)?;
/// assert_eq!(session.get::<String>("user")?.as_deref(), Some("alice"));
/// assert_eq!(session.get::<u32>("visits")?, Some(3));
/// session.remove("visits");
/// assert_eq!(session.len(), 1);
/// # Ok::<(), sealed_cookie::web::SessionValueError>(())
/// ```
#[derive(Clone, Default)]
pub struct Session {
    state: Arc<Mutex<State>>,
    /// The layer's settings, for [`Session::remaining_bytes`].
    shared: Option<Arc<Shared>>,
}

impl fmt::Debug for Session {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.lock();
        f.debug_struct("Session")
            .field("keys", &state.map.keys().collect::<Vec<_>>())
            .field("facts", &state.facts)
            .field("changed", &state.changed)
            .finish()
    }
}

impl Session {
    pub(crate) fn opened(
        map: SessionMap,
        flash: SessionMap,
        facts: Option<Facts>,
        shared: Arc<Shared>,
    ) -> Self {
        Self {
            state: Arc::new(Mutex::new(State {
                map,
                flash,
                facts,
                ..State::default()
            })),
            shared: Some(shared),
        }
    }

    /// The state, noting that the handler looked at it.
    fn read(&self) -> MutexGuard<'_, State> {
        let mut state = self.lock();
        state.read = true;
        state
    }

    /// How many more bytes of serialized session (as the current suite writes
    /// it, after any compression) fit in the cookie, all chunks and the request
    /// budget counted; `None` outside a [`SessionLayer`](super::SessionLayer).
    /// Ask before side effects that must not happen when the session cannot be
    /// saved: a write that does not fit answers `500`.
    ///
    /// ```
    /// # #[cfg(all(feature = "xchacha20poly1305", feature = "postcard"))] {
    /// use sealed_cookie::web::Session;
    /// assert_eq!(Session::default().remaining_bytes(), None);
    /// # }
    /// ```
    #[must_use]
    pub fn remaining_bytes(&self) -> Option<usize> {
        let shared = self.shared.as_ref()?;
        let mut state = self.read();
        let codec = shared.codec();
        let used = if state.map.is_empty() {
            0
        } else {
            codec.payload_len(&mut state.map).ok()?
        };
        // Flash messages waiting ride in the same cookie.
        let used = used + codec.flash_len(&state.flash).ok()?;
        Some(shared.payload_capacity.saturating_sub(used))
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, State> {
        // Session state is plain data: a panic elsewhere cannot leave it torn.
        self.state
            .lock()
            .unwrap_or_else(|poison| poison.into_inner())
    }

    /// The value under `key`, converted to `T`; `None` when absent.
    ///
    /// # Errors
    /// When the stored value does not have `T`'s shape.
    pub fn get<T: DeserializeOwned>(&self, key: &str) -> Result<Option<T>, SessionValueError> {
        // Read in place: no copy of the stored value.
        let state = self.read();
        converted(key, state.map.get(key))
    }

    /// The raw value under `key`.
    #[must_use]
    pub fn get_value(&self, key: &str) -> Option<Value> {
        self.read().map.get(key).cloned()
    }

    /// Stores `value` under `key`, replacing any previous value.
    ///
    /// # Errors
    /// When `value` has no JSON form (e.g. a map with non-string keys).
    pub fn insert<T: Serialize + ?Sized>(
        &self,
        key: &str,
        value: &T,
    ) -> Result<(), SessionValueError> {
        let value = value_of(key, value)?;
        self.insert_value(key, value);
        Ok(())
    }

    /// Stores a raw value under `key`; returns the previous one.
    pub fn insert_value(&self, key: &str, value: Value) -> Option<Value> {
        let mut state = self.lock();
        // An entry that exists is replaced in place: no key to allocate, no
        // copy of the value to compare.
        let (previous, changed) = match state.map.get_mut(key) {
            Some(slot) if *slot == value => (Some(value), false),
            Some(slot) => (Some(std::mem::replace(slot, value)), true),
            None => {
                state.map.insert(key.to_owned(), value);
                (None, true)
            }
        };
        state.changed |= changed;
        previous
    }

    /// Removes `key`; returns its value.
    pub fn remove(&self, key: &str) -> Option<Value> {
        let mut state = self.lock();
        let previous = state.map.remove(key);
        if previous.is_some() {
            state.changed = true;
        }
        previous
    }

    /// Removes every entry. An empty session's cookie is deleted; entries added
    /// later in the same request keep the session's issued-at.
    pub fn clear(&self) {
        let mut state = self.lock();
        if !state.map.is_empty() {
            state.map.clear();
            state.changed = true;
        }
    }

    /// Ends the session (logout): removes every entry and flash message and
    /// deletes the cookie and every chunk. With a revocation store configured,
    /// the session's id is also revoked for as long as a copy could still open
    /// (until its absolute expiry plus the clock skew; for good without an
    /// absolute timeout), so that a copy of the cookie taken before is refused
    /// too (the response waits for the store). Entries added later in the same request start a new session.
    pub fn destroy(&self) {
        let mut state = self.lock();
        state.map.clear();
        state.flash.clear();
        if let Some(facts) = state.facts.take().map(Box::new).or(state.unverified.take()) {
            state.destroyed = Some(facts);
        }
        state.renew = false;
        state.changed = true;
    }

    /// Starts the session again on the way out, keeping its entries: a new
    /// session id and a new creation time, from which the absolute timeout
    /// counts. Call it right after the user authenticated (sign-in, or a
    /// re-authentication before a privilege change), so that an id known before
    /// (session fixation) names nothing afterwards: with a revocation store, the
    /// previous id is revoked too, and a copy of the old cookie is refused.
    pub fn renew(&self) {
        let mut state = self.lock();
        if state.renewed_from.is_none() {
            state.renewed_from = state.facts.map(Box::new);
        }
        state.renew = true;
        state.changed = true;
    }

    /// [`Session::renew`], dropping every entry and flash message set before:
    /// values planted before sign-in do not survive it. Insert the signed-in
    /// user's entries after calling it.
    pub fn renew_empty(&self) {
        let mut state = self.lock();
        if state.renewed_from.is_none() {
            state.renewed_from = state.facts.map(Box::new);
        }
        state.map.clear();
        state.flash.clear();
        state.renew = true;
        state.changed = true;
    }

    /// Writes the cookie as a persistent one (`Max-Age` and, when configured,
    /// `Expires`: it survives a browser restart, "remember me") or as a
    /// browser-session cookie (neither attribute: the browser drops it when it
    /// closes). The server enforces both timeouts either way. The choice is
    /// sealed in the cookie and kept by later requests; the default comes from
    /// the layer's configuration (`persistent`).
    pub fn set_persistent(&self, persistent: bool) {
        let mut state = self.lock();
        state.persistent = Some(persistent);
        state.changed = true;
    }

    /// Whether the cookie is (or will be) written as a persistent cookie.
    #[must_use]
    pub fn is_persistent(&self) -> bool {
        let state = self.read();
        let default = self.shared.as_ref().is_none_or(|shared| shared.persistent);
        persistent(&state, default)
    }

    /// The session's id: 128 random bits given when it began and kept until it
    /// is renewed; `None` for a session not yet sealed (or from format 1). For
    /// admin tools and logs, and for [`RevocationStore::revoke_session`].
    ///
    /// [`RevocationStore::revoke_session`]: super::RevocationStore::revoke_session
    #[must_use]
    pub fn id(&self) -> Option<crate::SessionId> {
        self.read().facts.and_then(|facts| facts.session_id)
    }

    /// Sets a flash message: a value for a later request, sealed in the same
    /// cookie (and counted in its budget) until [`Session::take_flash`] reads it
    /// once. Setting the key again replaces it.
    ///
    /// # Errors
    /// When `value` has no JSON form.
    pub fn flash<T: Serialize + ?Sized>(
        &self,
        key: &str,
        value: &T,
    ) -> Result<(), SessionValueError> {
        let value = value_of(key, value)?;
        let mut state = self.lock();
        state.flash.insert(key.to_owned(), value);
        state.changed = true;
        Ok(())
    }

    /// Reads the flash message under `key` and removes it: it is seen once.
    ///
    /// ```
    /// use sealed_cookie::web::Session;
    /// let session = Session::default();
    /// session.flash("notice", "Saved.")?;
    /// assert_eq!(session.take_flash::<String>("notice")?.as_deref(), Some("Saved."));
    /// assert_eq!(session.take_flash::<String>("notice")?, None);
    /// # Ok::<(), sealed_cookie::web::SessionValueError>(())
    /// ```
    ///
    /// # Errors
    /// When the message does not have `T`'s shape (it is removed all the same).
    pub fn take_flash<T: DeserializeOwned>(
        &self,
        key: &str,
    ) -> Result<Option<T>, SessionValueError> {
        let taken = {
            let mut state = self.read();
            let taken = state.flash.remove(key);
            state.changed |= taken.is_some();
            taken
        };
        converted(key, taken.as_ref())
    }

    /// The keys of the flash messages waiting, without taking them.
    #[must_use]
    pub fn flash_keys(&self) -> Vec<String> {
        self.read().flash.keys().cloned().collect()
    }

    /// Whether the session has no entries.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.read().map.is_empty()
    }

    /// Number of entries.
    #[must_use]
    pub fn len(&self) -> usize {
        self.read().map.len()
    }

    /// The keys, sorted.
    #[must_use]
    pub fn keys(&self) -> Vec<String> {
        self.read().map.keys().cloned().collect()
    }

    /// A copy of the whole map.
    #[must_use]
    pub fn to_map(&self) -> SessionMap {
        self.read().map.clone()
    }

    /// What the request's cookie said about itself (key id, issued-at, expiry,
    /// whether it must be re-issued); `None` for a new session.
    #[must_use]
    pub fn facts(&self) -> Option<Facts> {
        self.read().facts
    }

    /// Whether the session will be written on the way out.
    #[must_use]
    pub fn is_changed(&self) -> bool {
        self.lock().changed
    }

    /// The whole session as `T`; an empty session is `T::default()`.
    ///
    /// # Errors
    /// When the entries do not have `T`'s shape.
    pub fn to_typed<T: DeserializeOwned + Default>(&self) -> Result<T, SessionValueError> {
        let mut state = self.read();
        if state.map.is_empty() {
            return Ok(T::default());
        }
        // Read in place: the entries are lent as one map value and given back,
        // even if `T`'s deserializer panics.
        let lent = Lent::new(&mut state.map);
        lent.value
            .deserialize_into()
            .map_err(|error| SessionValueError {
                key: String::new(),
                error,
            })
    }

    /// Replaces every entry with the fields of `value`, a struct or map.
    ///
    /// # Errors
    /// When `value` does not serialize to a map with string keys.
    pub fn replace_typed<T: Serialize>(&self, value: &T) -> Result<(), SessionValueError> {
        let map = super::payload::entries_of(value).map_err(|error| SessionValueError {
            key: String::new(),
            error,
        })?;
        let mut state = self.lock();
        if state.map != map {
            state.map = map;
            state.changed = true;
        }
        Ok(())
    }
}

/// `value` in the session's data model, to be stored under `key`.
fn value_of<T: Serialize + ?Sized>(key: &str, value: &T) -> Result<Value, SessionValueError> {
    Value::from_serialize(value).map_err(|error| SessionValueError {
        key: key.to_owned(),
        error,
    })
}

/// A session's entries lent as a [`Value::Map`], returned to the map on drop.
struct Lent<'a> {
    map: &'a mut SessionMap,
    value: Value,
}

impl<'a> Lent<'a> {
    fn new(map: &'a mut SessionMap) -> Self {
        let value = Value::Map(std::mem::take(map));
        Self { map, value }
    }
}

impl Drop for Lent<'_> {
    fn drop(&mut self) {
        if let Value::Map(map) = &mut self.value {
            *self.map = std::mem::take(map);
        }
    }
}

/// The value stored under `key`, converted to `T`.
fn converted<T: DeserializeOwned>(
    key: &str,
    value: Option<&Value>,
) -> Result<Option<T>, SessionValueError> {
    value
        .map(|value| {
            value.deserialize_into().map_err(|error| SessionValueError {
                key: key.to_owned(),
                error,
            })
        })
        .transpose()
}

/// Whether the session's cookie is written persistent: the handler's choice,
/// else what its cookie was, else the layer's default.
pub(crate) fn persistent(state: &State, default: bool) -> bool {
    state
        .persistent
        .or(state
            .facts
            .filter(|facts| facts.format == crate::Format::V2)
            .map(|facts| !facts.browser_session))
        .unwrap_or(default)
}

/// Rejection when a handler asks for a session but no session middleware runs
/// in front of it: a 500, with the reason logged.
#[derive(Clone, Copy, Default, thiserror::Error)]
#[error(
    "no session in the request extensions: put the session layer (axum: Router::layer(SessionLayer); actix-web: App::wrap(SessionMiddleware)) in front of this handler"
)]
pub struct SessionMissing;

debug_as_message!(SessionMissing);

/// The whole session as one struct: extract it, change it through `Deref`,
/// then [`TypedSession::save`] it. `T` describes every entry: saving replaces
/// the session's entries with `T`'s fields, so keys `T` does not name are
/// dropped. A session whose entries do not fit `T` (after a schema change,
/// say) is logged and starts from `T::default()`. An extractor with the `axum`
/// and the `actix` features.
///
/// ```
/// use serde::{Deserialize, Serialize};
/// use sealed_cookie::web::TypedSession;
///
/// #[derive(Serialize, Deserialize, Default)]
/// struct Cart { items: Vec<String> }
///
/// async fn add(mut cart: TypedSession<Cart>) -> String {
///     cart.items.push("apple".into());
///     cart.save().expect("a struct serializes to a map");
///     format!("{} items", cart.items.len())
/// }
/// # let _ = add;
/// ```
#[derive(Debug)]
pub struct TypedSession<T> {
    value: T,
    session: Session,
}

impl<T: DeserializeOwned + Default> TypedSession<T> {
    /// The typed view of a session an extractor took.
    #[cfg(any(feature = "axum", feature = "actix"))]
    pub(crate) fn extracted(session: Session) -> Self {
        let value = session.to_typed().unwrap_or_else(|error| {
            tracing::warn!(%error, "session entries do not fit the typed session; starting from its default");
            T::default()
        });
        Self { value, session }
    }
}

impl<T: Serialize> TypedSession<T> {
    /// Replaces the session's entries with the struct's fields (sent on the
    /// way out when they changed).
    ///
    /// # Errors
    /// When `T` does not serialize to a map with string keys.
    pub fn save(&self) -> Result<(), SessionValueError> {
        self.session.replace_typed(&self.value)
    }

    /// The untyped session underneath (to renew or destroy it).
    #[must_use]
    pub fn session(&self) -> &Session {
        &self.session
    }

    /// The value, without saving it.
    pub fn into_inner(self) -> T {
        self.value
    }
}

impl<T> std::ops::Deref for TypedSession<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.value
    }
}

impl<T> std::ops::DerefMut for TypedSession<T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.value
    }
}

impl Session {
    /// The session an adapter put in the request, read by an extractor: the
    /// handler depends on the cookie.
    #[cfg(any(feature = "axum", feature = "actix"))]
    pub(crate) fn extracted(session: Option<&Session>) -> Result<Session, SessionMissing> {
        let session = session.cloned().ok_or(SessionMissing)?;
        session.lock().read = true;
        Ok(session)
    }
}
