//! Decimal strings from providers ("82.95", "3.00") turned into integer minor
//! units exactly, digit by digit: a float never touches money.

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecimalError {
    #[error("the amount {0:?} is not a plain decimal number such as 82.95")]
    Malformed(String),
    #[error("the amount {value:?} has more decimals than the currency's {exponent}")]
    TooPrecise { value: String, exponent: u32 },
    #[error("the amount {0:?} is too large")]
    TooLarge(String),
}

/// Parses `digits[.digits]` into minor units of a currency with `exponent`
/// decimals. Extra decimals are accepted only when they are zeros ("3.000" in
/// EUR is 300); signs, exponents, spaces and empty parts are refused.
pub fn parse_minor(value: &str, exponent: u32) -> Result<i64, DecimalError> {
    let malformed = || DecimalError::Malformed(value.to_owned());
    let (int, frac) = match value.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (value, None),
    };
    if int.is_empty() || !int.bytes().all(|b| b.is_ascii_digit()) {
        return Err(malformed());
    }
    let frac = frac.unwrap_or("");
    if value.contains('.') && frac.is_empty() {
        return Err(malformed());
    }
    if !frac.bytes().all(|b| b.is_ascii_digit()) {
        return Err(malformed());
    }
    let exp = exponent as usize;
    if frac.len() > exp && frac.bytes().skip(exp).any(|b| b != b'0') {
        return Err(DecimalError::TooPrecise { value: value.to_owned(), exponent });
    }
    let too_large = || DecimalError::TooLarge(value.to_owned());
    let mut minor: i64 = 0;
    let digits = int.bytes().chain(frac.bytes().chain(std::iter::repeat(b'0')).take(exp));
    for d in digits {
        minor = minor.checked_mul(10).and_then(|m| m.checked_add(i64::from(d - b'0'))).ok_or_else(too_large)?;
    }
    Ok(minor)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_minor_units() {
        assert_eq!(parse_minor("82.95", 2), Ok(8295));
        assert_eq!(parse_minor("3.00", 2), Ok(300));
        assert_eq!(parse_minor("3", 2), Ok(300));
        assert_eq!(parse_minor("3.5", 2), Ok(350));
        assert_eq!(parse_minor("0.01", 2), Ok(1));
        assert_eq!(parse_minor("3.000", 2), Ok(300));
        assert_eq!(parse_minor("500", 0), Ok(500));
        assert_eq!(parse_minor("1.234", 3), Ok(1234));
        // 0.1 + 0.2 style traps: exact, never 0.30000000000000004.
        assert_eq!(parse_minor("0.30", 2), Ok(30));
        assert_eq!(parse_minor("1000000.99", 2), Ok(100_000_099));
        assert_eq!(parse_minor("0", 2), Ok(0));
    }

    #[test]
    fn refuses_what_is_not_a_plain_decimal() {
        for bad in ["", ".5", "5.", "-1.00", "+1", "1e3", " 1.00", "1,00", "1.0.0", "abc", "1.0a", "NaN"] {
            assert!(matches!(parse_minor(bad, 2), Err(DecimalError::Malformed(_))), "{bad:?}");
        }
        assert!(matches!(parse_minor("1.001", 2), Err(DecimalError::TooPrecise { .. })));
        assert!(matches!(parse_minor("1.5", 0), Err(DecimalError::TooPrecise { .. })));
        assert!(matches!(parse_minor("99999999999999999999", 2), Err(DecimalError::TooLarge(_))));
        assert!(matches!(parse_minor("92233720368547758.08", 2), Err(DecimalError::TooLarge(_))));
    }
}
