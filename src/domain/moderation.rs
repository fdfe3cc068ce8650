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

/// Lower case without accents: `Enculé` → `encule`. ASCII (most names and
/// messages) folds by lower-casing.
pub fn normalize(s: &str) -> String {
    if s.is_ascii() {
        return s.to_ascii_lowercase();
    }
    let mut folded = String::with_capacity(s.len());
    for c in s.chars() {
        if c.is_ascii() {
            folded.push(c.to_ascii_lowercase());
        } else {
            folded.extend(fold(c));
        }
    }
    folded
}

fn fold(c: char) -> impl Iterator<Item = char> {
    c.to_lowercase().flat_map(|l| l.nfd()).filter(|c| !is_combining_mark(*c))
}

/// A live's word list as [`mask`] reads it, built once per change of the list:
/// words of letters and digits in a set, looked up once per word of a text, and
/// the others ("fils de pute", "f*ck"), looked for everywhere.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct WordList {
    words: HashSet<Box<str>, foldhash::fast::RandomState>,
    /// The longest of `words`, in bytes: a longer word of a text is not looked up.
    longest: usize,
    phrases: Vec<Box<str>>,
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
            } else if !list.phrases.iter().any(|p| **p == *w) {
                list.phrases.push(w.into_boxed_str());
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
///
/// The text is folded once (lower case, accents off) into a string the words are
/// looked for in ([`normalize`]); only when one is found does the text map back
/// to it, char by char.
pub fn mask(text: &str, words: &WordList) -> Option<String> {
    let folded = normalize(text);
    // The folded bytes of every match.
    let mut hide: Option<Vec<bool>> = None;
    let mut cover =
        |start: usize, end: usize| hide.get_or_insert_with(|| vec![false; folded.len()])[start..end].fill(true);
    // A word of letters and digits only matches a whole run of them.
    let mut run = None;
    for (i, c) in folded.char_indices().chain(std::iter::once((folded.len(), ' '))) {
        match (run, is_word(c)) {
            (None, true) => run = Some(i),
            (Some(start), false) => {
                if words.has_word(&folded[start..i]) {
                    cover(start, i);
                }
                run = None;
            }
            _ => {}
        }
    }
    // A word with spaces or signs in it is looked for everywhere.
    for p in &words.phrases {
        let mut at = 0;
        while let Some(found) = folded[at..].find(&**p) {
            let (start, end) = (at + found, at + found + p.len());
            let before = folded[..start].chars().next_back();
            let after = folded[end..].chars().next();
            if !before.is_some_and(is_word) && !after.is_some_and(is_word) {
                cover(start, end);
            }
            at = start + folded[start..].chars().next().map_or(1, char::len_utf8);
        }
    }
    let hide = hide?;
    // Each char of the text is hidden when any byte it folds to is. A mark that
    // folding drops (an accent typed as a char of its own) goes with the char before it.
    let mut at = 0;
    let mut last = false;
    let masked = text.chars().map(|c| {
        let len = if c.is_ascii() { 1 } else { fold(c).map(char::len_utf8).sum() };
        last = if len == 0 { last } else { hide[at..at + len].contains(&true) };
        at += len;
        if last { '*' } else { c }
    });
    Some(masked.collect())
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
    fn folding_keeps_each_mask_on_its_own_char() {
        let w = words(&["con", "fils de pute", "f*ck", "a a", "x", "ecole"]);
        for (text, masked) in [
            ("CON con,con;Con", Some("*** ***,***;***")),
            ("a a a a", Some("*******")),
            ("xx x x1 1x", Some("xx * x1 1x")),
            ("f*ck!f*ck f*cking", Some("****!**** f*cking")),
            ("concon con", Some("concon ***")),
            ("École, ÉCOLE, e\u{301}cole !", Some("*****, *****, ****** !")),
            ("İx ß con", Some("İx ß ***")),
            ("Fils de PUTÉ", Some("************")),
            ("", None),
            ("   ", None),
        ] {
            assert_eq!(mask(text, &w).as_deref(), masked, "{text:?}");
        }
    }

    /// The first way of masking, char by char: what [`mask`] must agree with.
    fn reference(text: &str, words: &WordList) -> Option<String> {
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
        for w in words.phrases.iter().map(|p| p.chars().collect::<Vec<char>>()) {
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
        // A char that folds to nothing goes with the char before it.
        let mut last = false;
        let out = original.iter().zip(&hide).map(|(c, &h)| {
            last = h || (last && fold(*c).next().is_none());
            if last { '*' } else { *c }
        });
        Some(out.collect())
    }

    proptest::proptest! {
        #[test]
        fn masking_agrees_with_the_char_by_char_way(text in "[a-cA-CéÉàÀ\u{301}İß*' ,0-9]{0,40}") {
            let w = words(&["ab", "a b", "c*", "abc", "b'a", "0", "éa", "àb c", "ß"]);
            proptest::prop_assert_eq!(mask(&text, &w), reference(&text, &w));
        }
    }
}
