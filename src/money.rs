//! Money as integer minor units: [`Amount`] (checked arithmetic, never floats) and
//! [`Currency`] (an ISO 4217 code with its exponent).

use serde::{Deserialize, Serialize};
use std::fmt;

/// A strictly positive amount of minor units (`1050` = 10.50 EUR), as received in a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Amount(i64);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AmountError {
    #[error("amount must be an integer number of minor units (e.g. 1050 for 10.50)")]
    NotAnInteger,
    #[error("amount must be greater than zero")]
    NotPositive,
    #[error("amount is above the maximum of {max} minor units")]
    TooLarge { max: i64 },
}

impl Amount {
    /// Parses a JSON value: only an integer is accepted (no float, no string, no `1e3`).
    pub fn from_json(value: &serde_json::Value) -> Result<Self, AmountError> {
        let n = match value {
            serde_json::Value::Number(n) if n.is_i64() => n.as_i64().unwrap_or(0),
            // u64 above i64::MAX is an integer, just an absurdly large one; so are
            // the digits of one beyond u64, which JSON parsing turns into a float
            // (as it does `1e19`: a number that large is too large either way).
            serde_json::Value::Number(n) if n.is_u64() => {
                return Err(AmountError::TooLarge { max: i64::MAX });
            }
            serde_json::Value::Number(n) => match n.as_f64() {
                Some(f) if f.fract() == 0.0 && f >= i64::MAX as f64 => {
                    return Err(AmountError::TooLarge { max: i64::MAX });
                }
                Some(f) if f.fract() == 0.0 && f <= i64::MIN as f64 => return Err(AmountError::NotPositive),
                _ => return Err(AmountError::NotAnInteger),
            },
            _ => return Err(AmountError::NotAnInteger),
        };
        Self::new(n)
    }

    pub fn new(minor: i64) -> Result<Self, AmountError> {
        if minor <= 0 {
            return Err(AmountError::NotPositive);
        }
        Ok(Amount(minor))
    }

    /// Parses an amount of `currency` that may be at most `max_major` whole units:
    /// an integer too large to hold is refused with that maximum, like any other
    /// amount above it (which the ledger refuses).
    pub fn from_json_in(value: &serde_json::Value, currency: Currency, max_major: i64) -> Result<Self, AmountError> {
        Self::from_json(value).map_err(|e| match e {
            AmountError::TooLarge { .. } => AmountError::TooLarge { max: currency.minor_units(max_major) },
            e => e,
        })
    }

    /// Checks the amount against a maximum expressed in minor units.
    pub fn at_most(self, max: i64) -> Result<Self, AmountError> {
        if self.0 > max { Err(AmountError::TooLarge { max }) } else { Ok(self) }
    }

    pub fn minor(self) -> i64 {
        self.0
    }
}

/// An ISO 4217 currency, stored as its upper-case code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Currency(iso_currency::Currency);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("currency must be an ISO 4217 code in upper case, such as EUR")]
pub struct CurrencyError;

impl Currency {
    pub fn parse(code: &str) -> Result<Self, CurrencyError> {
        // from_code is case-sensitive on its own, but be explicit: the contract wants upper case.
        if code.len() != 3 || !code.bytes().all(|b| b.is_ascii_uppercase()) {
            return Err(CurrencyError);
        }
        let c = iso_currency::Currency::from_code(code).ok_or(CurrencyError)?;
        // Funds and metals (XAU, XDR, ...) have no exponent: not money a donor gives.
        c.exponent().ok_or(CurrencyError)?;
        Ok(Currency(c))
    }

    pub fn code(self) -> &'static str {
        self.0.code()
    }

    /// Number of decimal places of the minor unit (EUR 2, JPY 0, KWD 3).
    pub fn exponent(self) -> u32 {
        u32::from(self.0.exponent().unwrap_or(2))
    }

    /// `major` whole units expressed in minor units, saturating.
    pub fn minor_units(self, major: i64) -> i64 {
        major.saturating_mul(10i64.pow(self.exponent()))
    }

    /// Minor units for a reader, as the pages' own `Intl.NumberFormat` writes
    /// them: `1 234,50 €` in French (a narrow no-break space between thousands),
    /// `€1,234.50` in English; the pound and the dollar with their sign too
    /// (`£GB` and `$US` in French, as there); any other currency with its code
    /// (`1 000 000 JPY`, `1.234 KWD`).
    pub fn format_for(self, minor: i64, french: bool) -> String {
        let plain = self.format_plain(minor);
        let (int, frac) = plain.split_once('.').map_or((plain.as_str(), None), |(i, f)| (i, Some(f)));
        let (sign, digits) = int.strip_prefix('-').map_or(("", int), |d| ("-", d));
        let (group, point) = if french { ('\u{202f}', ',') } else { (',', '.') };
        let mut grouped = String::new();
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i) % 3 == 0 {
                grouped.push(group);
            }
            grouped.push(c);
        }
        let frac = frac.map(|f| format!("{point}{f}")).unwrap_or_default();
        let symbol = match (self.code(), french) {
            ("EUR", _) => Some("€"),
            ("GBP", false) => Some("£"),
            ("GBP", true) => Some("£GB"),
            ("USD", false) => Some("$"),
            ("USD", true) => Some("$US"),
            _ => None,
        };
        match symbol {
            Some(symbol) if !french => format!("{sign}{symbol}{grouped}{frac}"),
            Some(symbol) => format!("{sign}{grouped}{frac}\u{a0}{symbol}"),
            None => format!("{sign}{grouped}{frac}\u{a0}{}", self.code()),
        }
    }

    /// Formats minor units as a plain decimal string (`1050` → `10.50`), for exports and logs.
    pub fn format_plain(self, minor: i64) -> String {
        let exp = self.exponent();
        if exp == 0 {
            return minor.to_string();
        }
        let scale = 10i64.pow(exp);
        let sign = if minor < 0 { "-" } else { "" };
        let abs = minor.unsigned_abs();
        let scale = scale.unsigned_abs();
        format!("{sign}{}.{:0width$}", abs / scale, abs % scale, width = exp as usize)
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl Serialize for Currency {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.code())
    }
}

impl<'de> Deserialize<'de> for Currency {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let code = String::deserialize(d)?;
        Currency::parse(&code).map_err(serde::de::Error::custom)
    }
}

/// Applies `ratio = num/den` to an amount, flooring to the minor unit, without overflow.
pub fn apply_ratio(amount: i64, num: i64, den: i64) -> i64 {
    let v = i128::from(amount) * i128::from(num) / i128::from(den);
    i64::try_from(v).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn only_positive_integers_are_amounts() {
        assert_eq!(Amount::from_json(&json!(1050)).unwrap().minor(), 1050);
        assert_eq!(Amount::from_json(&json!(0)), Err(AmountError::NotPositive));
        assert_eq!(Amount::from_json(&json!(-5)), Err(AmountError::NotPositive));
        assert_eq!(Amount::from_json(&json!(10.5)), Err(AmountError::NotAnInteger));
        assert_eq!(Amount::from_json(&json!(10.0)), Err(AmountError::NotAnInteger));
        assert_eq!(Amount::from_json(&json!("1050")), Err(AmountError::NotAnInteger));
        assert_eq!(Amount::from_json(&json!(null)), Err(AmountError::NotAnInteger));
        assert!(matches!(Amount::from_json(&json!(u64::MAX)), Err(AmountError::TooLarge { .. })));
        let parse = |text: &str| Amount::from_json(&serde_json::from_str(text).unwrap());
        assert_eq!(parse("100000000000000000000000"), Err(AmountError::TooLarge { max: i64::MAX }));
        assert_eq!(parse("-100000000000000000000000"), Err(AmountError::NotPositive));
        assert_eq!(parse("1e3"), Err(AmountError::NotAnInteger));
        assert_eq!(parse("1050.5"), Err(AmountError::NotAnInteger));
        assert!(Amount::new(100).unwrap().at_most(99).is_err());
        assert!(Amount::new(99).unwrap().at_most(99).is_ok());
    }

    #[test]
    fn currencies_know_their_exponent() {
        assert_eq!(Currency::parse("EUR").unwrap().exponent(), 2);
        assert_eq!(Currency::parse("JPY").unwrap().exponent(), 0);
        assert_eq!(Currency::parse("KWD").unwrap().exponent(), 3);
        assert!(Currency::parse("eur").is_err());
        assert!(Currency::parse("EURO").is_err());
        assert!(Currency::parse("ZZZ").is_err());
        assert!(Currency::parse("XAU").is_err());
        assert_eq!(Currency::parse("EUR").unwrap().minor_units(1_000_000), 100_000_000);
        assert_eq!(Currency::parse("JPY").unwrap().minor_units(1_000_000), 1_000_000);
    }

    #[test]
    fn plain_format() {
        let eur = Currency::parse("EUR").unwrap();
        assert_eq!(eur.format_plain(1050), "10.50");
        assert_eq!(eur.format_plain(5), "0.05");
        assert_eq!(eur.format_plain(-120), "-1.20");
        assert_eq!(Currency::parse("JPY").unwrap().format_plain(500), "500");
    }

    #[test]
    fn ratio_floors_and_never_overflows() {
        assert_eq!(apply_ratio(1001, 1, 2), 500);
        assert_eq!(apply_ratio(1000, 1, 1), 1000);
        assert_eq!(apply_ratio(333, 3, 2), 499);
        assert_eq!(apply_ratio(i64::MAX, 2, 1), i64::MAX);
    }

    #[test]
    fn amounts_for_a_reader() {
        let eur = Currency::parse("EUR").unwrap();
        assert_eq!(eur.format_for(123_450, true), "1\u{202f}234,50\u{a0}€");
        assert_eq!(eur.format_for(123_450, false), "€1,234.50");
        assert_eq!(eur.format_for(5, false), "€0.05");
        assert_eq!(eur.format_for(12_345_678_900, false), "€123,456,789.00");
        let (usd, gbp) = (Currency::parse("USD").unwrap(), Currency::parse("GBP").unwrap());
        assert_eq!(
            (usd.format_for(1050, false), usd.format_for(1050, true)),
            ("$10.50".into(), "10,50\u{a0}$US".into())
        );
        assert_eq!(
            (gbp.format_for(1050, false), gbp.format_for(1050, true)),
            ("£10.50".into(), "10,50\u{a0}£GB".into())
        );
        let chf = Currency::parse("CHF").unwrap();
        assert_eq!(chf.format_for(123_450, false), "1,234.50\u{a0}CHF");
        let jpy = Currency::parse("JPY").unwrap();
        assert_eq!(jpy.format_for(1_000_000, true), "1\u{202f}000\u{202f}000\u{a0}JPY");
        let kwd = Currency::parse("KWD").unwrap();
        assert_eq!(kwd.format_for(1234, false), "1.234\u{a0}KWD");
    }
}
