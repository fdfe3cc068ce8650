//! Moderation of donor text on stream: a live's mode (off, delay, manual
//! approval) and its word list, matched case- and accent-insensitively on word
//! boundaries and masked with `*`, as are links and e-mail addresses unless the
//! live allows them. Totals never wait for moderation; only the text of a
//! donation does.

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
    /// Links (`https://…`, `www.…`, `site.fr/…`) and e-mail addresses masked
    /// like listed words: a donor's address or a scam link never goes on air.
    /// On unless the live allows them (settings from before it was one: on).
    #[serde(default = "masks_links")]
    pub links: bool,
}

fn masks_links() -> bool {
    true
}

impl Default for Moderation {
    fn default() -> Self {
        Moderation { mode: Mode::Off, delay_seconds: 30, words: None, links: true }
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
        let list = match &self.words {
            Some(w) => WordList::new(w.iter().map(|w| normalize(w))),
            None => WordList::new(DEFAULT_WORDS.iter().map(|w| normalize(w))),
        };
        WordList { links: self.links, ..list }
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
    /// Links and e-mail addresses masked too ([`is_link`]).
    links: bool,
}

/// The endings of the addresses people type without `https://` or `www.`:
/// `twitch.tv/ana`, `discord.gg/x`, `bit.ly/x`, `boutique.fr`. A word such as
/// `ok.merci` or `3.50` ends in none of them.
const TLDS: &[&str] = &[
    "app", "be", "biz", "ca", "cc", "ch", "club", "co", "com", "de", "dev", "es", "eu", "fm", "fr", "gd", "gg", "gl",
    "info", "io", "it", "li", "link", "live", "ly", "me", "net", "nl", "online", "org", "ru", "shop", "site", "store",
    "stream", "to", "tv", "uk", "us", "xyz",
];

/// Whether a word of a folded text (cut at spaces, its surrounding
/// punctuation off) is a link or an e-mail address.
fn is_link(token: &str) -> bool {
    if token.contains("://") || token.starts_with("www.") {
        return true;
    }
    // An address: what follows `@`; a link: what comes before its path.
    let host = token.rsplit_once('@').map_or(token, |(_, h)| h);
    let host = host.split(['/', '?', '#', ':']).next().unwrap_or_default();
    let Some((_, tld)) = host.rsplit_once('.') else { return false };
    TLDS.contains(&tld)
        && host.split('.').all(|l| !l.is_empty() && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'))
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
    // Links and addresses: each run of non-spaces, its surrounding punctuation off.
    if words.links {
        let mut at = 0;
        for token in folded.split(char::is_whitespace) {
            let start = at;
            at += token.len() + folded[at + token.len()..].chars().next().map_or(0, char::len_utf8);
            let edge = |c: char| !(c.is_alphanumeric() || c == '/');
            let core = token.trim_start_matches(edge);
            let lead = token.len() - core.len();
            let core = core.trim_end_matches(edge);
            if is_link(core) {
                cover(start + lead, start + lead + core.len());
            }
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
    fn links_and_addresses_are_masked_unless_allowed() {
        let on = Moderation::default().word_list();
        for (text, masked) in [
            ("Va voir https://arnaque.example/gagne !", "Va voir ***************************** !"),
            ("follow twitch.tv/Ana_Dessine plz", "follow ********************* plz"),
            ("(www.ma-boutique.fr).", "(******************)."),
            ("Écris-moi : léa.martin@gmail.com", "Écris-moi : ********************"),
            ("rejoins discord.gg/abc, bit.ly/x", "rejoins **************, ********"),
        ] {
            assert_eq!(mask(text, &on).as_deref(), Some(masked), "{text}");
        }
        // Words with a dot that are no address, amounts, and a listed word beside a link.
        for text in ["ok.merci à tous", "3.50 de plus", "Bravo...", "1.000 € !", "a.b.c"] {
            assert_eq!(mask(text, &on), None, "{text}");
        }
        assert_eq!(mask("fuck site.fr", &on).as_deref(), Some("**** *******"));
        let off = Moderation { links: false, ..Moderation::default() }.word_list();
        assert_eq!(mask("Va voir https://arnaque.example/gagne !", &off), None);
        assert_eq!(mask("fuck site.fr", &off).as_deref(), Some("**** site.fr"));
        // Settings written before links were masked read as masking them.
        let old: Moderation = serde_json::from_str(r#"{"mode":"off","delay_seconds":30,"words":null}"#).unwrap();
        assert!(old.links);
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
