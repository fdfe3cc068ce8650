//! Validated user text: ids, names, donor names and messages. Parsing happens at
//! the edge so nothing invalid reaches the ledger.

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field} {problem}")]
pub struct TextError {
    pub field: &'static str,
    pub problem: String,
}

fn err(field: &'static str, problem: impl Into<String>) -> TextError {
    TextError { field, problem: problem.into() }
}

/// Control characters and the invisible bidirectional overrides that let a
/// donor name reverse the text shown around it on stream.
fn is_forbidden(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' | '\u{061C}')
}

/// Trims and checks a free text field; `Ok(None)` when absent or blank.
pub fn optional(field: &'static str, value: Option<&str>, max_chars: usize) -> Result<Option<String>, TextError> {
    let Some(v) = value else { return Ok(None) };
    let v = v.trim();
    if v.is_empty() {
        return Ok(None);
    }
    if v.chars().any(is_forbidden) {
        return Err(err(field, "must not contain control or bidirectional-override characters"));
    }
    if v.chars().count() > max_chars {
        return Err(err(field, format!("must be at most {max_chars} characters")));
    }
    Ok(Some(v.to_owned()))
}

/// Like [`optional`], but the field must be present and not blank.
pub fn required(field: &'static str, value: &str, max_chars: usize) -> Result<String, TextError> {
    optional(field, Some(value), max_chars)?.ok_or_else(|| err(field, "must not be empty"))
}

pub const NAME_MAX: usize = 120;
pub const DONOR_MAX: usize = 64;
pub const MESSAGE_MAX: usize = 500;

/// A client-proposed id: `[a-z0-9-]{1,64}`.
pub fn id(value: &str) -> Result<String, TextError> {
    if value.is_empty()
        || value.len() > 64
        || !value.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    {
        return Err(err("id", "must match [a-z0-9-]{1,64}"));
    }
    Ok(value.to_owned())
}

/// A platform label such as `twitch` or `tiktok`: `[a-z0-9_-]{1,32}`, lower-cased.
pub fn platform(value: Option<&str>) -> Result<Option<String>, TextError> {
    let Some(v) = value else { return Ok(None) };
    let v = v.trim().to_ascii_lowercase();
    if v.is_empty()
        || v.len() > 32
        || !v.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
    {
        return Err(err("platform", "must match [a-z0-9_-]{1,32}"));
    }
    Ok(Some(v))
}

/// A link viewers follow to give: an absolute http(s) URL without spaces.
pub fn url(field: &'static str, value: Option<&str>) -> Result<Option<String>, TextError> {
    let Some(v) = optional(field, value, 500)? else {
        return Ok(None);
    };
    let scheme_ok = v.starts_with("https://") || v.starts_with("http://");
    if !scheme_ok || v.len() < 10 || v.chars().any(char::is_whitespace) {
        return Err(err(field, "must be an absolute http(s) URL"));
    }
    Ok(Some(v))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_trimmed_and_bounded() {
        assert_eq!(optional("donor", Some("  Ana  "), 64).unwrap(), Some("Ana".into()));
        assert_eq!(optional("donor", Some("   "), 64).unwrap(), None);
        assert_eq!(optional("donor", None, 64).unwrap(), None);
        assert!(optional("donor", Some(&"é".repeat(65)), 64).is_err());
        assert!(optional("donor", Some(&"é".repeat(64)), 64).is_ok());
    }

    #[test]
    fn control_and_bidi_characters_are_refused() {
        assert!(optional("donor", Some("a\u{0007}b"), 64).is_err());
        assert!(optional("message", Some("hi\nthere"), 64).is_err());
        assert!(optional("donor", Some("evil\u{202E}gnp.exe"), 64).is_err());
        assert!(optional("donor", Some("Zoë 🎉"), 64).is_ok());
    }

    #[test]
    fn ids_and_platforms() {
        assert!(id("my-live-1").is_ok());
        assert!(id("").is_err());
        assert!(id("Upper").is_err());
        assert!(id(&"a".repeat(65)).is_err());
        assert_eq!(platform(Some("Twitch")).unwrap(), Some("twitch".into()));
        assert!(platform(Some("tik tok")).is_err());
        assert!(url("donate_url", Some("https://dons.example.org/x")).unwrap().is_some());
        assert!(url("donate_url", Some("javascript:alert(1)")).is_err());
    }
}
