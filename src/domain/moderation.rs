//! Moderation of donor text on stream: a live's mode (off, delay, manual
//! approval) and its word list, matched case- and accent-insensitively on word
//! boundaries and masked with `*`. Totals never wait for moderation; only the
//! text of a donation does.

use serde::{Deserialize, Serialize};
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
    /// The words in force, normalized.
    pub fn word_list(&self) -> Vec<String> {
        match &self.words {
            Some(w) => w.iter().map(|w| normalize(w)).filter(|w| !w.is_empty()).collect(),
            None => DEFAULT_WORDS.iter().map(|w| normalize(w)).collect(),
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

/// Masks every listed word found on word boundaries with `*`, keeping the
/// text's length and everything else. `None` when nothing matched.
pub fn mask(text: &str, words: &[String]) -> Option<String> {
    let original: Vec<char> = text.chars().collect();
    // Each folded char remembers which original char it came from.
    let mut folded: Vec<(char, usize)> = Vec::with_capacity(original.len());
    for (i, c) in original.iter().enumerate() {
        if c.is_ascii() {
            folded.push((c.to_ascii_lowercase(), i));
        } else {
            folded.extend(fold(*c).map(|f| (f, i)));
        }
    }
    let mut hide = vec![false; original.len()];
    let is_word = |c: char| c.is_alphanumeric();
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
        if words.contains(&token) {
            cover(&folded[start..end]);
        }
        start = end;
    }
    // A word with spaces or signs in it ("fils de pute") is looked for everywhere.
    for w in words.iter().filter(|w| !w.chars().all(is_word)) {
        let w: Vec<char> = w.chars().collect();
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

    fn words(w: &[&str]) -> Vec<String> {
        w.iter().map(|w| normalize(w)).collect()
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
}
