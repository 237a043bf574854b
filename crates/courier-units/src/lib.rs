//! One grammar for the durations and sizes Courier reads from collections, environment files,
//! command-line flags and emulator knobs, so `1.5s` means the same everywhere.
//!
//! - Durations: a number (`250`, `1.5`, `.5`) and a unit, `ms`, `s`, `m` or `h`, optionally
//!   separated by spaces (`250ms`, `1.5s`, `2m`, `1h`); a bare `0` needs no unit. At most one
//!   year ([`MAX_DURATION`]); callers with a tighter bound use [`parse_duration_at_most`].
//! - Sizes: a whole or decimal number of bytes and an optional unit, `B`, `KiB`, `MiB`, `GiB`
//!   (powers of 1024) or `kB`, `MB`, `GB` (powers of 1000), case-insensitive (`512KiB`,
//!   `64MiB`, `100`).
//! - Quotas: a whole number of requests per hour, optionally with `/h`, or per a shorter window
//!   written as a duration (`5000`, `5000/h`, `5/2s`), for the emulator's hourly quota.
//!
//! - The client [`Scope`] (`non-production` or `production`) of environments, reports and the
//!   emulator, so that no crate converts between copies of it.
//!
//! The crate has no dependencies (serde only with the `serde` feature): it is a leaf every
//! other crate may use, the emulator included.

mod scope;

pub use scope::{Scope, UnknownScope};

use std::fmt;
use std::time::Duration;

/// The longest duration [`parse_duration`] accepts: a year.
pub const MAX_DURATION: Duration = Duration::from_hours(365 * 24);

/// Why a duration could not be read. The messages are those users see after the file
/// position or flag name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DurationError {
    /// No number where one was expected (`fast`, `-1s`, `1.2.3s`).
    NotANumber { text: String },
    /// A number without a unit (`30`).
    NoUnit { text: String },
    /// A unit that is not `ms`, `s`, `m` or `h`.
    UnknownUnit { text: String, unit: String },
    /// Longer than the caller allows.
    TooLong { text: String, max: Duration },
}

impl fmt::Display for DurationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DurationError::NotANumber { text } => write!(
                f,
                "`{text}` is not a duration: expected a number and a unit, like `250ms`, `30s` or `2m`"
            ),
            DurationError::NoUnit { text } => {
                write!(f, "`{text}` has no unit: write `{text}ms` or `{text}s`")
            }
            DurationError::UnknownUnit { unit, .. } => write!(
                f,
                "`{unit}` is not a duration unit: use `ms`, `s`, `m` or `h`"
            ),
            DurationError::TooLong { text, max } if *max == MAX_DURATION => {
                write!(f, "`{text}` is too long a duration")
            }
            DurationError::TooLong { text, max } => write!(
                f,
                "`{text}` is too long: at most {} is allowed",
                format_duration(*max)
            ),
        }
    }
}

impl std::error::Error for DurationError {}

/// Split `text` (trimmed) into its leading number and the rest (trimmed).
fn split_number(text: &str) -> (&str, &str) {
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let (number, rest) = text.split_at(split);
    (number, rest.trim())
}

/// Parse `250ms`, `30s`, `1.5s`, `2m`, `1h` (or a bare `0`), at most [`MAX_DURATION`].
pub fn parse_duration(text: &str) -> Result<Duration, DurationError> {
    parse_duration_at_most(text, MAX_DURATION)
}

/// [`parse_duration`] with a tighter upper bound: longer durations are
/// [`DurationError::TooLong`], naming `max`.
pub fn parse_duration_at_most(text: &str, max: Duration) -> Result<Duration, DurationError> {
    let trimmed = text.trim();
    let (number, unit) = split_number(trimmed);
    let value: f64 = number.parse().map_err(|_| DurationError::NotANumber {
        text: text.to_owned(),
    })?;
    let millis = match unit {
        "ms" => value,
        "s" => value * 1_000.0,
        "m" => value * 60_000.0,
        "h" => value * 3_600_000.0,
        "" if value == 0.0 => 0.0,
        "" => {
            return Err(DurationError::NoUnit {
                text: text.to_owned(),
            });
        }
        other => {
            return Err(DurationError::UnknownUnit {
                text: text.to_owned(),
                unit: other.to_owned(),
            });
        }
    };
    let max = max.min(MAX_DURATION);
    if !millis.is_finite() || millis > max.as_secs_f64() * 1_000.0 {
        return Err(DurationError::TooLong {
            text: text.to_owned(),
            max,
        });
    }
    Ok(Duration::from_secs_f64(millis / 1_000.0))
}

/// Parse a quota: requests per hour (`5000`, `5000/h`) or per a window of at most a day
/// (`5/2s`). `None` when `text` is not one; zero requests or a zero window is not one either.
pub fn parse_quota(text: &str) -> Option<(u32, Duration)> {
    let trimmed = text.trim();
    let (count, window) = match trimmed.split_once('/') {
        None => (trimmed, Duration::from_hours(1)),
        Some((count, "h")) => (count, Duration::from_hours(1)),
        Some((count, window)) => (
            count,
            parse_duration_at_most(window, Duration::from_hours(24)).ok()?,
        ),
    };
    let requests = count.trim().parse::<u32>().ok()?;
    (requests > 0 && !window.is_zero()).then_some((requests, window))
}

/// The shortest text [`parse_duration`] reads back as `duration` (to the microsecond):
/// `1h`, `2m`, `1.5s`, `250ms`, `0.25ms`; zero is `0ms`.
pub fn format_duration(duration: Duration) -> String {
    let micros = duration.as_micros();
    if micros == 0 {
        return "0ms".to_owned();
    }
    for (unit, size) in [
        ("h", 3_600_000_000u128),
        ("m", 60_000_000),
        ("s", 1_000_000),
    ] {
        if micros.is_multiple_of(size) {
            return format!("{}{unit}", micros / size);
        }
    }
    // Seconds with up to three decimals when that is exact and at least a second, else ms.
    if micros >= 1_000_000 && micros.is_multiple_of(1_000) {
        return format!("{}s", decimal(micros / 1_000, 3));
    }
    format!("{}ms", decimal(micros, 3))
}

/// `value / 10^places` written without trailing zeros.
fn decimal(value: u128, places: u32) -> String {
    let scale = 10u128.pow(places);
    let (whole, fraction) = (value / scale, value % scale);
    if fraction == 0 {
        return whole.to_string();
    }
    let fraction = format!("{fraction:0width$}", width = places as usize);
    format!("{whole}.{}", fraction.trim_end_matches('0'))
}

/// Why a size could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SizeError {
    /// No number where one was expected.
    NotANumber { text: String },
    /// A unit that is not one of `B`, `KiB`, `MiB`, `GiB`, `kB`, `MB`, `GB`.
    UnknownUnit { text: String, unit: String },
    /// More bytes than a `u64` holds.
    TooLarge { text: String },
}

impl fmt::Display for SizeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SizeError::NotANumber { text } => write!(
                f,
                "`{text}` is not a size: expected a number of bytes and an optional unit, like `100`, `512KiB` or `64MiB`"
            ),
            SizeError::UnknownUnit { unit, .. } => write!(
                f,
                "`{unit}` is not a size unit: use `B`, `KiB`, `MiB`, `GiB`, `kB`, `MB` or `GB`"
            ),
            SizeError::TooLarge { text } => write!(f, "`{text}` is too large a size"),
        }
    }
}

impl std::error::Error for SizeError {}

/// Parse a size in bytes: `100`, `100B`, `512KiB`, `64MiB`, `1.5GiB`, `10MB`.
pub fn parse_size(text: &str) -> Result<u64, SizeError> {
    let trimmed = text.trim();
    let (number, unit) = split_number(trimmed);
    let value: f64 = number.parse().map_err(|_| SizeError::NotANumber {
        text: text.to_owned(),
    })?;
    let factor: f64 = match unit.to_ascii_lowercase().as_str() {
        "" | "b" => 1.0,
        "kib" => 1024.0,
        "mib" => 1024.0 * 1024.0,
        "gib" => 1024.0 * 1024.0 * 1024.0,
        "kb" => 1e3,
        "mb" => 1e6,
        "gb" => 1e9,
        _ => {
            return Err(SizeError::UnknownUnit {
                text: text.to_owned(),
                unit: unit.to_owned(),
            });
        }
    };
    let bytes = (value * factor).floor();
    if !bytes.is_finite() || bytes >= u64::MAX as f64 {
        return Err(SizeError::TooLarge {
            text: text.to_owned(),
        });
    }
    Ok(bytes as u64)
}

/// A size as [`parse_size`] reads it back: the largest binary unit that divides it exactly
/// (`64MiB`, `512KiB`, `1GiB`), else plain bytes (`1000B`).
pub fn format_size(bytes: u64) -> String {
    for (unit, size) in [("GiB", 1u64 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)] {
        if bytes >= size && bytes.is_multiple_of(size) {
            return format!("{}{unit}", bytes / size);
        }
    }
    format!("{bytes}B")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_format_and_read_back() {
        for (bytes, text) in [
            (64 << 20, "64MiB"),
            (512 << 10, "512KiB"),
            (1 << 30, "1GiB"),
            (1000, "1000B"),
            (0, "0B"),
        ] {
            assert_eq!(format_size(bytes), text);
            assert_eq!(parse_size(text), Ok(bytes));
        }
    }

    #[test]
    fn durations_of_every_unit() {
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_duration("30s"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_duration("1.5s"), Ok(Duration::from_millis(1500)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_mins(2)));
        assert_eq!(parse_duration("1h"), Ok(Duration::from_hours(1)));
        assert_eq!(parse_duration(" 2 s "), Ok(Duration::from_secs(2)));
        assert_eq!(parse_duration("0"), Ok(Duration::ZERO));
        assert_eq!(parse_duration(".5s"), Ok(Duration::from_millis(500)));
    }

    #[test]
    fn bad_durations_say_why() {
        assert!(matches!(
            parse_duration("30"),
            Err(DurationError::NoUnit { .. })
        ));
        assert_eq!(
            parse_duration("30").map_err(|e| e.to_string()),
            Err("`30` has no unit: write `30ms` or `30s`".to_owned())
        );
        assert_eq!(
            parse_duration("3 fortnights").map_err(|e| e.to_string()),
            Err("`fortnights` is not a duration unit: use `ms`, `s`, `m` or `h`".to_owned())
        );
        for bad in ["fast", "", "-1s", "1.2.3s", "s"] {
            assert!(
                matches!(parse_duration(bad), Err(DurationError::NotANumber { .. })),
                "{bad:?}"
            );
        }
        assert_eq!(
            parse_duration("999999999999h").map_err(|e| e.to_string()),
            Err("`999999999999h` is too long a duration".to_owned())
        );
        assert!(parse_duration("366d").is_err());
    }

    #[test]
    fn callers_can_cap_durations() {
        let hour = Duration::from_hours(1);
        assert_eq!(parse_duration_at_most("1h", hour), Ok(hour));
        assert_eq!(
            parse_duration_at_most("61m", hour).map_err(|e| e.to_string()),
            Err("`61m` is too long: at most 1h is allowed".to_owned())
        );
    }

    #[test]
    fn formatted_durations_are_short_and_read_back() {
        let cases = [
            (Duration::ZERO, "0ms"),
            (Duration::from_millis(250), "250ms"),
            (Duration::from_millis(1500), "1.5s"),
            (Duration::from_millis(1234), "1.234s"),
            (Duration::from_secs(90), "90s"),
            (Duration::from_mins(2), "2m"),
            (Duration::from_hours(2), "2h"),
            (Duration::from_micros(250), "0.25ms"),
        ];
        for (duration, text) in cases {
            assert_eq!(format_duration(duration), text);
            assert_eq!(parse_duration(text), Ok(duration), "{text}");
        }
    }

    #[test]
    fn sizes_in_binary_and_decimal_units() {
        assert_eq!(parse_size("100"), Ok(100));
        assert_eq!(parse_size("100B"), Ok(100));
        assert_eq!(parse_size("512KiB"), Ok(512 * 1024));
        assert_eq!(parse_size("64MiB"), Ok(64 * 1024 * 1024));
        assert_eq!(parse_size("1.5GiB"), Ok(1_610_612_736));
        assert_eq!(parse_size("10 MB"), Ok(10_000_000));
        assert_eq!(parse_size("2kb"), Ok(2000));
        assert_eq!(
            parse_size("5 parsecs").map_err(|e| e.to_string()),
            Err(
                "`parsecs` is not a size unit: use `B`, `KiB`, `MiB`, `GiB`, `kB`, `MB` or `GB`"
                    .to_owned()
            )
        );
        assert!(matches!(
            parse_size("big"),
            Err(SizeError::NotANumber { .. })
        ));
        assert!(matches!(
            parse_size("99999999999999GiB"),
            Err(SizeError::TooLarge { .. })
        ));
    }

    #[test]
    fn quotas_are_per_hour_or_per_a_shorter_window() {
        let hour = Duration::from_hours(1);
        assert_eq!(parse_quota("5000"), Some((5000, hour)));
        assert_eq!(parse_quota(" 5000/h "), Some((5000, hour)));
        assert_eq!(parse_quota("5/2s"), Some((5, Duration::from_secs(2))));
        assert_eq!(
            parse_quota("5 / 250ms"),
            Some((5, Duration::from_millis(250)))
        );
        for bad in [
            "", "0", "0/2s", "5/0", "5/", "5/2", "five", "5/25h", "-1", "5/s/2",
        ] {
            assert_eq!(parse_quota(bad), None, "{bad:?} should be refused");
        }
    }
}
