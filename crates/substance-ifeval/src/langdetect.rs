//! A deterministic port of `langdetect` 1.0.9 (the Python port of Shuyo Nakatani's
//! language-detection library), which upstream IFEval calls as `langdetect.detect(text)`.
//!
//! The algorithm is reproduced step by step: URL and e-mail removal, Vietnamese tone-mark
//! composition, space collapsing, the 10,000-character cap, Latin-script cleaning, langdetect's
//! per-character normalisation (CJK ideograph classes, kana, hangul, Arabic yeh…), 1–3-gram
//! extraction that skips all-capital words, then 7 trials of a randomised naive-Bayes update with
//! the 55 shipped profiles, averaged, and the best language above probability 0.1.
//!
//! Upstream never seeds langdetect, so its answer on borderline text changes from run to run. This
//! port seeds the same Mersenne-Twister stream that CPython's `random.Random(0)` produces
//! (`substance_metrics::pyrandom`: seeding, `_randbelow` and `gauss` bit for bit), so it returns what
//! `langdetect` returns after `DetectorFactory.seed = 0`, every time.

use std::collections::HashMap;
use std::sync::OnceLock;

use regex::Regex;
use substance_metrics::pyrandom::PyRandom;

use crate::pystr;

const PROFILES_TSV: &str = include_str!("../data/langdetect_profiles.tsv");
const TABLES_TSV: &str = include_str!("../data/langdetect_tables.tsv");

/// The seed used for every detection (`DetectorFactory.seed = 0`).
pub const LANGDETECT_SEED: u32 = 0;

const ALPHA_DEFAULT: f64 = 0.5;
const ALPHA_WIDTH: f64 = 0.05;
const ITERATION_LIMIT: usize = 1000;
const PROB_THRESHOLD: f64 = 0.1;
const CONV_THRESHOLD: f64 = 0.99999;
const BASE_FREQ: f64 = 10000.0;
const N_TRIAL: usize = 7;
const MAX_TEXT_LENGTH: usize = 10000;

/// Why langdetect could not name a language (upstream raises `LangDetectException`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LangDetectFailure {
    /// The text has no n-gram that any profile knows ("No features in text.").
    NoFeatures,
}

struct Model {
    langs: Vec<String>,
    /// n-gram → sparse list of (language index, probability).
    word_lang_prob: HashMap<String, Vec<(usize, f64)>>,
    latin1_excluded: Vec<char>,
    vi_letters: Vec<char>,
    vi_marks: Vec<char>,
    /// Indexed [mark][letter].
    vi_composed: Vec<Vec<char>>,
    cjk_map: HashMap<char, char>,
    url_re: Regex,
    mail_re: Regex,
}

fn model() -> &'static Model {
    static M: OnceLock<Model> = OnceLock::new();
    M.get_or_init(load_model)
}

fn load_model() -> Model {
    let mut langs = Vec::new();
    let mut n_words: Vec<[f64; 3]> = Vec::new();
    let mut word_lang_prob = HashMap::new();
    let mut section = "";
    for line in PROFILES_TSV.lines() {
        if line.starts_with('#') || line.is_empty() {
            continue;
        }
        if line.starts_with('[') {
            section = line;
            continue;
        }
        let Some((head, rest)) = line.split_once('\t') else {
            continue;
        };
        match section {
            "[languages]" => {
                let nums: Vec<f64> = rest
                    .split('\t')
                    .map(|n| n.parse::<f64>().unwrap_or(0.0))
                    .collect();
                langs.push(head.to_owned());
                n_words.push([
                    nums.first().copied().unwrap_or(0.0),
                    nums.get(1).copied().unwrap_or(0.0),
                    nums.get(2).copied().unwrap_or(0.0),
                ]);
            }
            "[ngrams]" => {
                let len = head.chars().count();
                if !(1..=3).contains(&len) {
                    continue;
                }
                let mut entries = Vec::new();
                for item in rest.split(',') {
                    let Some((l, f)) = item.split_once(':') else {
                        continue;
                    };
                    let (Ok(l), Ok(f)) = (l.parse::<usize>(), f.parse::<f64>()) else {
                        continue;
                    };
                    if let Some(nw) = n_words.get(l) {
                        entries.push((l, f / nw[len - 1]));
                    }
                }
                word_lang_prob.insert(head.to_owned(), entries);
            }
            _ => {}
        }
    }
    let mut tables: HashMap<&str, Vec<char>> = HashMap::new();
    let mut cjk_map = HashMap::new();
    for line in TABLES_TSV.lines() {
        if line.starts_with('#') {
            continue;
        }
        let Some((k, v)) = line.split_once('\t') else {
            continue;
        };
        if k == "CJK" {
            let mut cs = v.chars();
            if let Some(rep) = cs.next() {
                cjk_map.insert(rep, rep);
                for c in cs {
                    cjk_map.insert(c, rep);
                }
            }
        } else {
            tables.insert(k, v.chars().collect());
        }
    }
    let mut take = |k: &str| tables.remove(k).unwrap_or_default();
    let latin1_excluded = take("NGram.LATIN1_EXCLUDE");
    let vi_letters = take("TO_NORMALIZE_VI_CHARS");
    let vi_marks = take("DMARK_CLASS");
    let vi_composed = ["0300", "0301", "0303", "0309", "0323"]
        .iter()
        .map(|m| take(&format!("NORMALIZED_VI_CHARS_{m}")))
        .collect();
    Model {
        langs,
        word_lang_prob,
        latin1_excluded,
        vi_letters,
        vi_marks,
        vi_composed,
        cjk_map,
        url_re: pystr::compile(r"https?://[-_.?&~;+=/#0-9A-Za-z]{1,2076}"),
        mail_re: pystr::compile(r"[-_.0-9A-Za-z]{1,64}@[-_0-9A-Za-z]{1,255}[-_.0-9A-Za-z]{1,255}"),
    }
}

/// Detected language code (`en`, `fr`, `zh-cn`, …) or `"unknown"` when no language reaches
/// probability 0.1, as `langdetect.detect` with `DetectorFactory.seed = 0`.
pub fn detect(text: &str) -> Result<String, LangDetectFailure> {
    let probs = probabilities(text)?;
    Ok(probs
        .into_iter()
        .next()
        .map_or_else(|| "unknown".to_owned(), |(l, _)| l))
}

/// Languages with probability above 0.1, best first (`langdetect.detect_langs`, seeded).
pub fn probabilities(text: &str) -> Result<Vec<(String, f64)>, LangDetectFailure> {
    let m = model();
    let prepared = clean(m, &append(m, text));
    let ngrams = extract_ngrams(m, &prepared);
    if ngrams.is_empty() {
        return Err(LangDetectFailure::NoFeatures);
    }
    let nlang = m.langs.len();
    let mut langprob = vec![0.0f64; nlang];
    let mut rng = PyRandom::new(LANGDETECT_SEED);
    for _ in 0..N_TRIAL {
        let mut prob = vec![1.0 / nlang as f64; nlang];
        let alpha = ALPHA_DEFAULT + rng.gauss() * ALPHA_WIDTH;
        let weight = alpha / BASE_FREQ;
        let mut i = 0usize;
        loop {
            let w = ngrams[rng.randbelow(ngrams.len() as u64) as usize];
            update(&mut prob, weight, w);
            if i % 5 == 0 && (normalize(&mut prob) > CONV_THRESHOLD || i >= ITERATION_LIMIT) {
                break;
            }
            i += 1;
        }
        for (acc, p) in langprob.iter_mut().zip(&prob) {
            *acc += p / N_TRIAL as f64;
        }
    }
    let mut out: Vec<(String, f64)> = m
        .langs
        .iter()
        .zip(langprob)
        .filter(|(_, p)| *p > PROB_THRESHOLD)
        .map(|(l, p)| (l.clone(), p))
        .collect();
    // Python's stable `sort(reverse=True)` keeps the original order of ties.
    out.sort_by(|a, b| b.1.partial_cmp(&a.1).unwrap_or(std::cmp::Ordering::Equal));
    Ok(out)
}

fn update(prob: &mut [f64], weight: f64, probs: &[(usize, f64)]) {
    // prob[i] *= weight + P(w | lang_i); languages without the n-gram have P = 0.
    let mut k = 0;
    for (i, p) in prob.iter_mut().enumerate() {
        let lp = match probs.get(k) {
            Some(&(l, v)) if l == i => {
                k += 1;
                v
            }
            _ => 0.0,
        };
        *p *= weight + lp;
    }
}

fn normalize(prob: &mut [f64]) -> f64 {
    let sum: f64 = prob.iter().sum();
    let mut maxp = 0.0;
    for p in prob.iter_mut() {
        *p /= sum;
        if maxp < *p {
            maxp = *p;
        }
    }
    maxp
}

/// `Detector.append`: URL/e-mail removal, Vietnamese normalisation, space collapsing, length cap.
fn append(m: &Model, text: &str) -> Vec<char> {
    let t = m.url_re.replace_all(text, " ");
    let t = m.mail_re.replace_all(&t, " ");
    let t = normalize_vi(m, &t);
    let mut out = Vec::new();
    let mut pre: Option<char> = None;
    for ch in t.chars().take(MAX_TEXT_LENGTH) {
        if ch != ' ' || pre != Some(' ') {
            out.push(ch);
        }
        pre = Some(ch);
    }
    out
}

fn normalize_vi(m: &Model, text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut cs = text.chars().peekable();
    while let Some(c) = cs.next() {
        if let Some(a) = m.vi_letters.iter().position(|x| *x == c)
            && let Some(&d) = cs.peek()
            && let Some(k) = m.vi_marks.iter().position(|x| *x == d)
            && let Some(&rep) = m.vi_composed.get(k).and_then(|row| row.get(a))
        {
            out.push(rep);
            cs.next();
            continue;
        }
        out.push(c);
    }
    out
}

/// `Detector.cleaning_text`: drop Latin letters when the text is mostly non-Latin.
fn clean(_m: &Model, text: &[char]) -> Vec<char> {
    let mut latin = 0usize;
    let mut non_latin = 0usize;
    for &ch in text {
        if ('A'..='z').contains(&ch) {
            latin += 1;
        } else if ch >= '\u{0300}' {
            // Upstream also compares the block to a string, which is always unequal.
            non_latin += 1;
        }
    }
    if latin * 2 < non_latin {
        text.iter()
            .copied()
            .filter(|ch| !('A'..='z').contains(ch))
            .collect()
    } else {
        text.to_vec()
    }
}

/// `NGram.normalize` for one character.
fn normalize_char(m: &Model, ch: char) -> char {
    let cp = ch as u32;
    match cp {
        0x0000..=0x007F => {
            if ch.is_ascii_alphabetic() {
                ch
            } else {
                ' '
            }
        }
        0x0080..=0x00FF => {
            if m.latin1_excluded.contains(&ch) {
                ' '
            } else {
                ch
            }
        }
        0x0180..=0x024F => match ch {
            '\u{0219}' => '\u{015f}',
            '\u{021b}' => '\u{0163}',
            _ => ch,
        },
        0x2000..=0x206F => ' ',
        0x0600..=0x06FF => {
            if ch == '\u{06cc}' {
                '\u{064a}'
            } else {
                ch
            }
        }
        0x1E00..=0x1EFF => {
            if ch >= '\u{1ea0}' {
                '\u{1ec3}'
            } else {
                ch
            }
        }
        0x3040..=0x309F => '\u{3042}',
        0x30A0..=0x30FF => '\u{30a2}',
        0x3100..=0x312F | 0x31A0..=0x31BF => '\u{3105}',
        0x4E00..=0x9FFF => m.cjk_map.get(&ch).copied().unwrap_or(ch),
        0xAC00..=0xD7AF => '\u{ac00}',
        _ => ch,
    }
}

fn char_is_upper(c: char) -> bool {
    pystr::is_upper(c.encode_utf8(&mut [0; 4]))
}

/// `Detector._extract_ngrams`: the known 1–3-grams, in text order.
fn extract_ngrams<'m>(m: &'m Model, text: &[char]) -> Vec<&'m [(usize, f64)]> {
    let mut result = Vec::new();
    let mut grams: Vec<char> = vec![' '];
    let mut capitalword = false;
    let mut key = String::new();
    for &raw in text {
        // NGram.add_char
        let ch = normalize_char(m, raw);
        let last = grams.last().copied().unwrap_or(' ');
        let mut skip_add = false;
        if last == ' ' {
            grams.clear();
            grams.push(' ');
            capitalword = false;
            if ch == ' ' {
                skip_add = true;
            }
        } else if grams.len() >= 3 {
            grams.remove(0);
        }
        if !skip_add {
            grams.push(ch);
            if char_is_upper(ch) {
                if char_is_upper(last) {
                    capitalword = true;
                }
            } else {
                capitalword = false;
            }
        }
        if capitalword {
            continue;
        }
        for n in 1..=3 {
            if grams.len() < n {
                break;
            }
            let w = &grams[grams.len() - n..];
            if w == [' '] {
                continue;
            }
            key.clear();
            key.extend(w.iter());
            if let Some(p) = m.word_lang_prob.get(key.as_str()) {
                result.push(p.as_slice());
            }
        }
    }
    result
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn detects_common_languages() {
        assert_eq!(
            detect("This is a simple English sentence about the weather.").as_deref(),
            Ok("en")
        );
        assert_eq!(
            detect("Ceci est une phrase simple en français sur la météo.").as_deref(),
            Ok("fr")
        );
        assert_eq!(
            detect("Это простое предложение на русском языке.").as_deref(),
            Ok("ru")
        );
        assert_eq!(detect("これは日本語の文です。").as_deref(), Ok("ja"));
        assert_eq!(detect("12345 !!! ..."), Err(LangDetectFailure::NoFeatures));
    }
}
