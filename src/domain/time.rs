//! [`Timestamp`]: milliseconds since the Unix epoch, shown as RFC 3339 UTC strings.

use serde::{Deserialize, Serialize};
use std::fmt;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use time::macros::format_description;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Timestamp(i64);

impl Timestamp {
    pub fn from_millis(ms: i64) -> Self {
        Timestamp(ms)
    }

    pub fn now() -> Self {
        let nanos = OffsetDateTime::now_utc().unix_timestamp_nanos();
        Timestamp((nanos / 1_000_000) as i64)
    }

    pub fn millis(self) -> i64 {
        self.0
    }

    /// Parses any RFC 3339 date-time (any offset) into UTC.
    pub fn parse(s: &str) -> Option<Self> {
        if let Some(t) = Self::parse_canonical(s) {
            return Some(t);
        }
        let dt = OffsetDateTime::parse(s, &Rfc3339).ok()?;
        Some(Timestamp((dt.unix_timestamp_nanos() / 1_000_000) as i64))
    }

    /// The form this type writes, `YYYY-MM-DDTHH:MM:SS.mmmZ`, read without the
    /// general parser: the log holds two per event and a replay reads them all.
    /// Anything else (another offset, precision or a leap second) is `None` and
    /// goes to the general parser.
    fn parse_canonical(s: &str) -> Option<Self> {
        let b: &[u8; 24] = s.as_bytes().try_into().ok()?;
        let shape_ok = b[4] == b'-'
            && b[7] == b'-'
            && b[10] == b'T'
            && b[13] == b':'
            && b[16] == b':'
            && b[19] == b'.'
            && b[23] == b'Z';
        if !shape_ok {
            return None;
        }
        let num = |from: usize, to: usize| -> Option<u32> {
            b[from..to].iter().try_fold(0u32, |n, &c| c.is_ascii_digit().then(|| n * 10 + u32::from(c - b'0')))
        };
        let (year, month, day) = (num(0, 4)?, num(5, 7)?, num(8, 10)?);
        let (hour, minute, second, milli) = (num(11, 13)?, num(14, 16)?, num(17, 19)?, num(20, 23)?);
        if hour > 23 || minute > 59 || second > 59 {
            return None;
        }
        let month = time::Month::try_from(u8::try_from(month).ok()?).ok()?;
        let date = time::Date::from_calendar_date(i32::try_from(year).ok()?, month, u8::try_from(day).ok()?).ok()?;
        // 2 440 588 is the Julian day of 1970-01-01.
        let days = i64::from(date.to_julian_day()) - 2_440_588;
        let ms = i64::from(((hour * 60 + minute) * 60 + second) * 1000 + milli);
        Some(Timestamp(days * 86_400_000 + ms))
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.canonical() {
            Some(b) => f.write_str(std::str::from_utf8(&b).map_err(|_| fmt::Error)?),
            None => f.write_str(&self.formatted()?),
        }
    }
}

impl Timestamp {
    /// `YYYY-MM-DDTHH:MM:SS.mmmZ` written digit by digit: every event, frame and
    /// answer carries timestamps, and the writer thread formats them all.
    /// `None` outside years 0 to 9999, which [`Timestamp::formatted`] writes.
    fn canonical(self) -> Option<[u8; 24]> {
        let days = self.0.div_euclid(86_400_000);
        let ms = self.0.rem_euclid(86_400_000);
        // 2 440 588 is the Julian day of 1970-01-01.
        let date = time::Date::from_julian_day(i32::try_from(days + 2_440_588).ok()?).ok()?;
        let year = u32::try_from(date.year()).ok().filter(|y| *y <= 9999)?;
        let mut b = *b"0000-00-00T00:00:00.000Z";
        let mut put = |at: usize, width: usize, mut n: u32| {
            for i in (at..at + width).rev() {
                b[i] = b'0' + (n % 10) as u8;
                n /= 10;
            }
        };
        let secs = (ms / 1000) as u32;
        put(0, 4, year);
        put(5, 2, u32::from(u8::from(date.month())));
        put(8, 2, u32::from(date.day()));
        put(11, 2, secs / 3600);
        put(14, 2, secs / 60 % 60);
        put(17, 2, secs % 60);
        put(20, 3, (ms % 1000) as u32);
        Some(b)
    }

    /// The general formatter, for instants outside [`Timestamp::canonical`]'s years.
    fn formatted(self) -> Result<String, fmt::Error> {
        let dt = OffsetDateTime::from_unix_timestamp_nanos(i128::from(self.0) * 1_000_000)
            .unwrap_or(OffsetDateTime::UNIX_EPOCH);
        let fmt = format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z");
        dt.format(&fmt).map_err(|_| fmt::Error)
    }
}

impl Serialize for Timestamp {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        // Read in place: a replay reads two per event.
        struct Rfc3339Str;
        impl serde::de::Visitor<'_> for Rfc3339Str {
            type Value = Timestamp;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an RFC 3339 date-time")
            }
            fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<Timestamp, E> {
                Timestamp::parse(s).ok_or_else(|| E::custom("expected an RFC 3339 date-time"))
            }
        }
        d.deserialize_str(Rfc3339Str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_through_rfc3339_utc() {
        let t = Timestamp::parse("2026-11-23T21:17:57.123+01:00").unwrap();
        assert_eq!(t.to_string(), "2026-11-23T20:17:57.123Z");
        assert_eq!(Timestamp::parse(&t.to_string()), Some(t));
        assert_eq!(Timestamp::from_millis(0).to_string(), "1970-01-01T00:00:00.000Z");
        assert!(Timestamp::parse("yesterday").is_none());
    }

    #[test]
    fn years_outside_0_to_9999_go_to_the_general_formatter() {
        let year_0 = Timestamp::from_millis(-62_167_219_200_000);
        assert_eq!(year_0.to_string(), "0000-01-01T00:00:00.000Z");
        assert_eq!(year_0.to_string(), year_0.formatted().unwrap());
        let before = Timestamp::from_millis(year_0.millis() - 1);
        assert_eq!(before.canonical(), None);
        assert_eq!(before.to_string(), before.formatted().unwrap());
        assert_eq!(Timestamp::from_millis(i64::MAX).canonical(), None);
    }

    #[test]
    fn the_canonical_form_reads_as_the_general_parser_reads_it() {
        for s in [
            "1970-01-01T00:00:00.000Z",
            "1969-12-31T23:59:59.999Z",
            "2024-02-29T12:34:56.789Z",
            "2026-12-31T23:59:59.001Z",
            "0001-01-01T00:00:00.000Z",
            "9999-12-31T23:59:59.999Z",
        ] {
            let general = OffsetDateTime::parse(s, &Rfc3339).unwrap().unix_timestamp_nanos() / 1_000_000;
            assert_eq!(Timestamp::parse_canonical(s), Some(Timestamp::from_millis(general as i64)), "{s}");
            assert_eq!(Timestamp::parse_canonical(s).unwrap().to_string(), s);
        }
        // Not the canonical form, or not a date: left to the general parser.
        for s in [
            "2023-02-29T00:00:00.000Z",
            "2026-13-01T00:00:00.000Z",
            "2026-12-01T24:00:00.000Z",
            "2026-12-01T23:60:00.000Z",
            "2026-12-01T23:59:60.000Z",
            "2026-12-01T23:59:59.000+00:00",
            "2026-12-01T23:59:59Z",
            "2026-12-01 23:59:59.000Z",
            "2026-12-01T23:59:5x.000Z",
            "+026-12-01T23:59:59.000Z",
        ] {
            assert_eq!(Timestamp::parse_canonical(s), None, "{s}");
        }
        assert_eq!(Timestamp::parse("2023-02-29T00:00:00.000Z"), None);
    }

    proptest::proptest! {
        #[test]
        fn every_written_instant_reads_back_through_the_fast_path(ms in -62_135_596_800_000i64..253_402_300_799_999) {
            let t = Timestamp::from_millis(ms);
            proptest::prop_assert_eq!(Timestamp::parse_canonical(&t.to_string()), Some(t));
        }

        #[test]
        fn the_digit_by_digit_form_is_the_general_formatters(ms in -62_135_596_800_000i64..253_402_300_799_999) {
            let t = Timestamp::from_millis(ms);
            let fast = t.canonical().expect("a year between 1 and 9999");
            proptest::prop_assert_eq!(std::str::from_utf8(&fast).unwrap(), t.formatted().unwrap());
        }
    }
}
