//! Conversions between stored microsecond timestamps and `chrono` instants.

use chrono::{DateTime, TimeZone, Utc};

/// Microseconds since the Unix epoch, as stored.
pub fn to_micros(instant: DateTime<Utc>) -> i64 {
    instant.timestamp_micros()
}

/// The instant of a stored timestamp. Out-of-range values clamp to the epoch.
pub fn from_micros(micros: i64) -> DateTime<Utc> {
    Utc.timestamp_micros(micros).single().unwrap_or_default()
}

/// The current instant, truncated to what the database keeps.
pub(crate) fn now() -> DateTime<Utc> {
    from_micros(to_micros(Utc::now()))
}
