//! Moderation of donor text on stream: a live's mode (off, delay, manual
//! approval) and its word list, matched case- and accent-insensitively on word
//! boundaries and masked with `*`. Totals never wait for moderation; only the
//! text of a donation does.

use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// Text goes on air with the donation (masked by the word list).
    #[default]
    Off,
    /// Text goes on air `delay_seconds` after the donation, unless hidden before.
    Delay,
    /// Text waits until someone approves it.
    Manual,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Moderation {
    pub mode: Mode,
    pub delay_seconds: u32,
    /// `None`: the built-in French and English list.
    pub words: Option<Vec<String>>,
}

impl Default for Moderation {
    fn default() -> Self {
        Moderation { mode: Mode::Off, delay_seconds: 30, words: None }
    }
}

/// The default list: common French and English insults. Editable per live.
pub const DEFAULT_WORDS: &[&str] = &[
    // French
    "connard",
    "connasse",
    "conne",
    "con",
    "salope",
    "salaud",
    "pute",
    "putain",
    "encule",
    "enculer",
    "batard",
    "fdp",
    "ntm",
    "nique",
    "niquer",
    "pd",
    "tapette",
    "merde",
    "bouffon",
    "abruti",
    "debile",
    "mongol",
    // English
    "fuck",
    "fucking",
    "fucker",
    "motherfucker",
    "shit",
    "bitch",
    "bastard",
    "asshole",
    "cunt",
    "dick",
    "whore",
    "slut",
    "retard",
    "faggot",
    "nigger",
];

impl Moderation {
    /// The words in force, normalized and ready for [`mask`].
    pub fn word_list(&self) -> WordList {
        match &self.words {
            Some(w) => WordList::new(w.iter().map(|w| normalize(w))),
            None => WordList::new(DEFAULT_WORDS.iter().map(|w| normalize(w))),
        }
    }

    /// Whether a new donation's text waits (delay or manual).
    pub fn holds_text(&self) -> bool {
        self.mode != Mode::Off
    }
}

/// Lower case without accents: `Enculé` → `encule`.
pub fn normalize(s: &str) -> String {
    s.chars().flat_map(fold).collect()
}

fn fold(c: char) -> impl Iterator<Item = char> {
    c.to_lowercase().flat_map(|l| l.nfd()).filter(|c| !is_combining_mark(*c))
}

/// A live's word list as [`mask`] reads it, built once per change of the list:
/// words of letters and digits in a set, looked up once per word of a text, and
/// the others ("fils de pute", "f*ck"), looked for everywhere.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct WordList {
    words: HashSet<Box<str>>,
    /// The longest of `words`, in bytes: a longer word of a text is not looked up.
    longest: usize,
    phrases: Vec<Phrase>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Phrase {
    text: Box<str>,
    chars: Box<[char]>,
}

fn is_word(c: char) -> bool {
    c.is_alphanumeric()
}

impl WordList {
    /// From normalized words (see [`normalize`]); empty ones are dropped.
    pub fn new(normalized: impl IntoIterator<Item = String>) -> WordList {
        let mut list = WordList::default();
        for w in normalized.into_iter().filter(|w| !w.is_empty()) {
            if w.chars().all(is_word) {
                list.longest = list.longest.max(w.len());
                list.words.insert(w.into_boxed_str());
            } else if !list.phrases.iter().any(|p| *p.text == *w) {
                list.phrases.push(Phrase { chars: w.chars().collect(), text: w.into_boxed_str() });
            }
        }
        list
    }

    fn has_word(&self, token: &str) -> bool {
        token.len() <= self.longest && self.words.contains(token)
    }
}

/// Masks every listed word found on word boundaries with `*`, keeping the
/// text's length and everything else. `None` when nothing matched.
pub fn mask(text: &str, words: &WordList) -> Option<String> {
    if text.is_ascii() { mask_ascii(text, words) } else { mask_chars(text, words) }
}

/// [`mask`] for ASCII text, most donors' names and messages: one char is one
/// byte and folding is lower-casing, so it works on bytes.
fn mask_ascii(text: &str, words: &WordList) -> Option<String> {
    let folded = text.to_ascii_lowercase();
    let b = folded.as_bytes();
    let mut hide: Option<Vec<bool>> = None;
    let mut cover = |from: usize, to: usize| hide.get_or_insert_with(|| vec![false; b.len()])[from..to].fill(true);
    let mut start = 0;
    while start < b.len() {
        if !b[start].is_ascii_alphanumeric() {
            start += 1;
            continue;
        }
        let end = b[start..].iter().position(|c| !c.is_ascii_alphanumeric()).map_or(b.len(), |n| start + n);
        if words.has_word(&folded[start..end]) {
            cover(start, end);
        }
        start = end;
    }
    for p in &words.phrases {
        let mut from = 0;
        while let Some(at) = folded[from..].find(&*p.text) {
            let (start, end) = (from + at, from + at + p.text.len());
            let before = start.checked_sub(1).map(|i| b[i]);
            let after = b.get(end);
            if !before.is_some_and(|c| c.is_ascii_alphanumeric()) && !after.is_some_and(u8::is_ascii_alphanumeric) {
                cover(start, end);
            }
            from = start + 1;
        }
    }
    let hide = hide?;
    Some(text.bytes().zip(&hide).map(|(c, h)| if *h { '*' } else { char::from(c) }).collect())
}

/// [`mask`] for any text: each char is folded (lower case, accents off), and
/// each folded char remembers which char of the text it came from.
fn mask_chars(text: &str, words: &WordList) -> Option<String> {
    let original: Vec<char> = text.chars().collect();
    let mut folded: Vec<(char, usize)> = Vec::with_capacity(original.len());
    for (i, c) in original.iter().enumerate() {
        if c.is_ascii() {
            folded.push((c.to_ascii_lowercase(), i));
        } else {
            folded.extend(fold(*c).map(|f| (f, i)));
        }
    }
    let mut hide = vec![false; original.len()];
    let mut cover = |span: &[(char, usize)]| {
        for (_, i) in span {
            hide[*i] = true;
        }
    };
    // A word of letters and digits only matches a whole run of them.
    let mut token = String::new();
    let mut start = 0;
    while start < folded.len() {
        if !is_word(folded[start].0) {
            start += 1;
            continue;
        }
        let end = folded[start..].iter().position(|(c, _)| !is_word(*c)).map_or(folded.len(), |n| start + n);
        token.clear();
        token.extend(folded[start..end].iter().map(|(c, _)| *c));
        if words.has_word(&token) {
            cover(&folded[start..end]);
        }
        start = end;
    }
    // A word with spaces or signs in it is looked for everywhere.
    for w in words.phrases.iter().map(|p| &p.chars) {
        if w.len() > folded.len() {
            continue;
        }
        for start in 0..=folded.len() - w.len() {
            let end = start + w.len();
            if folded[start..end].iter().map(|(c, _)| *c).ne(w.iter().copied()) {
                continue;
            }
            let before = start.checked_sub(1).map(|i| folded[i].0);
            let after = folded.get(end).map(|(c, _)| *c);
            if before.is_some_and(is_word) || after.is_some_and(is_word) {
                continue;
            }
            cover(&folded[start..end]);
        }
    }
    if !hide.contains(&true) {
        return None;
    }
    Some(original.iter().zip(&hide).map(|(c, h)| if *h { '*' } else { *c }).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(w: &[&str]) -> WordList {
        WordList::new(w.iter().map(|w| normalize(w)))
    }

    #[test]
    fn masks_whole_words_whatever_the_case_and_accents() {
        let w = words(&["encule", "con"]);
        assert_eq!(mask("Espèce d'ENCULÉ !", &w).as_deref(), Some("Espèce d'****** !"));
        assert_eq!(mask("quel con, vraiment", &w).as_deref(), Some("quel ***, vraiment"));
        assert_eq!(mask("un concert génial", &w), None, "only whole words");
        assert_eq!(mask("Bravo à tous", &w), None);
    }

    #[test]
    fn default_list_covers_french_and_english() {
        let m = Moderation::default();
        let w = m.word_list();
        assert_eq!(mask("Fuck this", &w).as_deref(), Some("**** this"));
        assert_eq!(mask("Bâtard", &w).as_deref(), Some("******"));
        assert!(!m.holds_text());
        assert!(Moderation { mode: Mode::Delay, ..m }.holds_text());
    }

    #[test]
    fn words_with_spaces_or_signs_match_across_tokens() {
        let w = words(&["fils de pute", "f*ck", "con"]);
        assert_eq!(mask("Espèce de FILS DE PUTE.", &w).as_deref(), Some("Espèce de ************."));
        assert_eq!(mask("f*ck, con!", &w).as_deref(), Some("****, ***!"));
        assert_eq!(mask("les fils de puterie", &w), None, "still on word boundaries");
        assert_eq!(mask("CON CON con", &w).as_deref(), Some("*** *** ***"));
        assert_eq!(mask("", &w), None);
    }

    #[test]
    fn ascii_text_is_masked_as_any_text_is() {
        let w = words(&["con", "fils de pute", "f*ck", "a a", "x"]);
        for text in [
            "CON con,con;Con",
            "a a a a",
            "fils de pute fils de pute",
            "xx x x1 1x",
            "f*ck!f*ck f*cking",
            "concon con",
            "",
            "   ",
        ] {
            assert_eq!(mask_ascii(text, &w), mask_chars(text, &w), "{text:?}");
        }
        assert_eq!(mask("a a a a", &w).as_deref(), Some("*******"), "overlapping phrases all count");
    }

    proptest::proptest! {
        #[test]
        fn the_ascii_path_agrees_with_the_general_one(text in "[a-cA-C*' ,0-9]{0,40}") {
            let w = words(&["ab", "a b", "c*", "abc", "b'a", "0"]);
            proptest::prop_assert_eq!(mask_ascii(&text, &w), mask_chars(&text, &w));
        }
    }
}
