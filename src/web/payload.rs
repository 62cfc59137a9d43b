//! What the layer seals. By default the session's entries as one session
//! [`Value`] map, the payload every tool and implementation of SPEC.md reads. An
//! application that declares its session type ([`SessionLayer::typed`]) gets that
//! type sealed instead, which postcard writes without keys: smaller cookies, that
//! only a codec of the same type decodes.
//!
//! [`SessionLayer::typed`]: super::SessionLayer::typed

use std::fmt;
use std::time::Duration;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::config::WebConfigError;
use crate::attributes::CookieAttributes;
use crate::codec::{Codec, Opened, SealOptions, Sealed};
use crate::error::{ConfigError, OpenError, SealError};
use crate::keyring::{KeyId, Keyring};
use crate::value::{SessionMap, Value};

/// The payload of a layer built with [`SessionLayer::typed`](super::SessionLayer::typed):
/// the declared session type `T`, sealed as `T` itself (it serializes exactly as
/// `T` does). It appears only in the builder's type,
/// `SessionLayerBuilder<Typed<T>>`; there is nothing to construct.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Typed<T>(T);

mod sealed {
    pub trait Sealed {}
}

/// What a [`SessionLayer`](super::SessionLayer) seals: [`Value`] (the session's
/// entries as one map, the default, from [`SessionLayer::builder`]) or
/// [`Typed<T>`] (an application's own type, from [`SessionLayer::typed`]). Sealed:
/// only those two.
///
/// [`SessionLayer::builder`]: super::SessionLayer::builder
/// [`SessionLayer::typed`]: super::SessionLayer::typed
pub trait SessionPayload:
    sealed::Sealed + Serialize + DeserializeOwned + Send + Sync + 'static
{
    /// Runs `f` on the payload that holds `entries`.
    #[doc(hidden)]
    fn with_payload<R>(
        entries: &mut SessionMap,
        f: impl FnOnce(&Self) -> Result<R, SealError>,
    ) -> Result<R, SealError>;
    /// The entries an opened payload holds.
    #[doc(hidden)]
    fn into_entries(self) -> Result<SessionMap, OpenError>;
    /// Whether the payload type can hold a session, checked when a layer is built.
    #[doc(hidden)]
    fn check_declared(_codec: &Codec<Self>) -> Result<(), WebConfigError> {
        Ok(())
    }
}

impl sealed::Sealed for Value {}

impl SessionPayload for Value {
    fn with_payload<R>(
        entries: &mut SessionMap,
        f: impl FnOnce(&Self) -> Result<R, SealError>,
    ) -> Result<R, SealError> {
        // Moved into a `Value` and back rather than copied.
        let value = Value::Map(std::mem::take(entries));
        let result = f(&value);
        if let Value::Map(map) = value {
            *entries = map;
        }
        result
    }

    fn into_entries(self) -> Result<SessionMap, OpenError> {
        match self {
            Value::Map(map) => Ok(map),
            _ => Err(OpenError::Deserialize(
                "the session value is not a map of entries".into(),
            )),
        }
    }
}

impl<T> sealed::Sealed for Typed<T> {}

impl<T> SessionPayload for Typed<T>
where
    T: Serialize + DeserializeOwned + Default + Send + Sync + 'static,
{
    /// The type must describe a map, and its default must read back what the
    /// current suite writes: serde attributes such as `skip_serializing_if`,
    /// `flatten` or untagged enums do not survive formats without field names.
    fn check_declared(codec: &Codec<Self>) -> Result<(), WebConfigError> {
        let error = |reason| WebConfigError::SessionType {
            type_name: std::any::type_name::<T>(),
            reason,
        };
        let default = Typed(T::default());
        entries_of(&default.0).map_err(|e| error(e.to_string()))?;
        let now = codec.now();
        let hint = "remove skip_serializing_if, flatten or untagged enums, or seal with a \
                    self-describing serializer such as MessagePack";
        match codec.seal_at(&default, now) {
            Ok(cookie) => codec.open_at(&cookie, now).map(drop).map_err(|e| {
                error(format!(
                    "its default value does not read back under the current suite ({e}); {hint}"
                ))
            }),
            // The budget is the layer's to check, with its own message.
            Err(SealError::TooLarge { .. }) => Ok(()),
            Err(e) => Err(error(format!(
                "its default value cannot be sealed under the current suite ({e}); {hint}"
            ))),
        }
    }

    fn with_payload<R>(
        entries: &mut SessionMap,
        f: impl FnOnce(&Self) -> Result<R, SealError>,
    ) -> Result<R, SealError> {
        let misfit = |error: &dyn fmt::Display| {
            SealError::Serialize(
                format!(
                    "the session's entries do not fit the declared session type {}: {error}",
                    std::any::type_name::<T>()
                )
                .into(),
            )
        };
        // Entries the handler has not set keep the type's defaults.
        let mut full = entries_of(&T::default()).map_err(|error| misfit(&error))?;
        full.extend(entries.iter().map(|(k, v)| (k.clone(), v.clone())));
        let typed = Value::Map(full)
            .deserialize_into::<T>()
            .map_err(|error| misfit(&error))?;
        // serde drops keys a struct does not name, at any depth: refuse them (and
        // values the type would change) rather than lose them.
        let kept = entries_of(&typed).map_err(|error| misfit(&error))?;
        for (key, value) in entries.iter() {
            match kept.get(key) {
                Some(held) if holds(held, value) => {}
                Some(_) => {
                    return Err(misfit(&format_args!(
                        "its field {key:?} does not hold the value as given \
                         (a key the field's type has no place for, or a value it changes)"
                    )));
                }
                None => return Err(misfit(&format_args!("it has no field {key:?}"))),
            }
        }
        f(&Typed(typed))
    }

    fn into_entries(self) -> Result<SessionMap, OpenError> {
        entries_of(&self.0).map_err(|error| OpenError::Deserialize(error.into()))
    }
}

/// Whether `held`, what a typed value kept, holds `given`: the same value, numbers
/// compared by value (an integer in a float field is held), arrays element by
/// element, and every entry of a map (the held map may have more: defaults).
fn holds(held: &Value, given: &Value) -> bool {
    match (held, given) {
        // A field the value left out may hold its default.
        (Value::Map(held), Value::Map(given)) => given
            .iter()
            .all(|(key, value)| held.get(key).is_some_and(|h| holds(h, value))),
        (Value::Array(held), Value::Array(given)) => {
            held.len() == given.len() && held.iter().zip(given).all(|(h, g)| holds(h, g))
        }
        (Value::Float(held), Value::Int(i)) => *held == *i as f64,
        (Value::Float(held), Value::UInt(u)) => *held == *u as f64,
        _ => held == given,
    }
}

/// The entries of a typed value: the fields of a struct or the entries of a map.
///
/// # Errors
/// When the value has no JSON form, or is not a struct or map.
pub(crate) fn entries_of<T: Serialize>(value: &T) -> Result<SessionMap, serde_json::Error> {
    match Value::from_serialize(value)? {
        Value::Map(map) => Ok(map),
        Value::Null => Ok(SessionMap::new()),
        _ => Err(serde::ser::Error::custom(format_args!(
            "{} does not serialize to a struct or map, as a session type must",
            std::any::type_name::<T>()
        ))),
    }
}

/// The layer's codec with its payload type erased.
pub(crate) trait LayerCodec: Send + Sync + fmt::Debug {
    fn open(&self, cookie: &str) -> Result<Opened<SessionMap>, OpenError>;
    fn open_at(&self, cookie: &str, now: u64) -> Result<Opened<SessionMap>, OpenError>;
    /// Seals the entries as `options` say, at `now`.
    fn seal(
        &self,
        entries: &mut SessionMap,
        options: &SealOptions<'_>,
        now: u64,
    ) -> Result<Sealed, SealError>;
    fn payload_len(&self, entries: &mut SessionMap) -> Result<usize, SealError>;
    fn flash_len(&self, flash: &SessionMap) -> Result<usize, SealError>;
    fn cookie_name(&self) -> &str;
    fn attributes(&self) -> &CookieAttributes;
    fn max_age(&self) -> Option<Duration>;
    fn fresh_expiry(&self) -> Option<Duration>;
    fn envelope_format(&self) -> crate::Format;
    fn clock_skew(&self) -> Duration;
    fn budget(&self) -> usize;
    fn now(&self) -> u64;
    fn current_version(&self) -> u8;
    fn primary_key_id(&self) -> KeyId;
    fn measured_len(
        &self,
        name: &str,
        value_len: usize,
        max_age: Option<u64>,
        expires_at: Option<u64>,
    ) -> usize;
    fn payload_capacity_for_value_len(&self, value_len: usize) -> usize;
    /// The same codec with another keyring.
    fn with_keyring(&self, keyring: Keyring) -> Result<Box<dyn LayerCodec>, ConfigError>;
}

impl<P: SessionPayload> LayerCodec for Codec<P> {
    fn open(&self, cookie: &str) -> Result<Opened<SessionMap>, OpenError> {
        LayerCodec::open_at(self, cookie, Codec::now(self))
    }
    fn open_at(&self, cookie: &str, now: u64) -> Result<Opened<SessionMap>, OpenError> {
        let Opened {
            value,
            facts,
            flash,
        } = Codec::open_at(self, cookie, now)?;
        Ok(Opened {
            value: value.into_entries()?,
            facts,
            flash,
        })
    }
    fn seal(
        &self,
        entries: &mut SessionMap,
        options: &SealOptions<'_>,
        now: u64,
    ) -> Result<Sealed, SealError> {
        P::with_payload(entries, |payload| {
            self.seal_session_at(payload, options, now)
        })
    }
    fn payload_len(&self, entries: &mut SessionMap) -> Result<usize, SealError> {
        P::with_payload(entries, |payload| Codec::payload_len(self, payload))
    }
    fn flash_len(&self, flash: &SessionMap) -> Result<usize, SealError> {
        Codec::flash_len(self, flash)
    }
    fn cookie_name(&self) -> &str {
        Codec::cookie_name(self)
    }
    fn attributes(&self) -> &CookieAttributes {
        Codec::attributes(self)
    }
    fn max_age(&self) -> Option<Duration> {
        Codec::max_age(self)
    }
    fn fresh_expiry(&self) -> Option<Duration> {
        Codec::fresh_expiry(self)
    }
    fn envelope_format(&self) -> crate::Format {
        Codec::envelope_format(self)
    }
    fn clock_skew(&self) -> Duration {
        Codec::clock_skew(self)
    }
    fn budget(&self) -> usize {
        Codec::budget(self)
    }
    fn now(&self) -> u64 {
        Codec::now(self)
    }
    fn current_version(&self) -> u8 {
        Codec::current_version(self)
    }
    fn primary_key_id(&self) -> KeyId {
        Codec::primary_key_id(self)
    }
    fn measured_len(
        &self,
        name: &str,
        value_len: usize,
        max_age: Option<u64>,
        expires_at: Option<u64>,
    ) -> usize {
        Codec::measured_len(self, name, value_len, max_age, expires_at)
    }
    fn payload_capacity_for_value_len(&self, value_len: usize) -> usize {
        Codec::payload_capacity_for_value_len(self, value_len)
    }
    fn with_keyring(&self, keyring: Keyring) -> Result<Box<dyn LayerCodec>, ConfigError> {
        Ok(Box::new(Codec::with_keyring(self, keyring)?))
    }
}
