//! The 25 IFEval instructions: typed arguments, parsing from `(id, kwargs)`, and the checks.

use std::sync::OnceLock;

use regex::Regex;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::error::IfevalError;
use crate::{langdetect, punkt, pyjson, pystr, treebank};

/// The comparison relations IFEval uses (`"less than"`, `"at least"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Relation {
    /// `"less than"`: actual < threshold.
    #[serde(rename = "less than")]
    LessThan,
    /// `"at least"`: actual >= threshold.
    #[serde(rename = "at least")]
    AtLeast,
}

impl Relation {
    fn holds(self, actual: i64, threshold: i64) -> bool {
        match self {
            Relation::LessThan => actual < threshold,
            Relation::AtLeast => actual >= threshold,
        }
    }
}

/// The 30 ISO 639-1 codes `language:response_language` accepts (`LANGUAGE_CODES` upstream).
pub const LANGUAGE_CODES: [&str; 30] = [
    "en", "es", "pt", "ar", "hi", "fr", "ru", "de", "ja", "it", "bn", "uk", "th", "ur", "ta", "te",
    "bg", "ko", "pl", "he", "fa", "vi", "ne", "sw", "kn", "mr", "gu", "pa", "ml", "fi",
];

/// Every instruction id, in upstream registry order.
pub const INSTRUCTION_IDS: [&str; 25] = [
    "keywords:existence",
    "keywords:frequency",
    "keywords:forbidden_words",
    "keywords:letter_frequency",
    "language:response_language",
    "length_constraints:number_sentences",
    "length_constraints:number_paragraphs",
    "length_constraints:number_words",
    "length_constraints:nth_paragraph_first_word",
    "detectable_content:number_placeholders",
    "detectable_content:postscript",
    "detectable_format:number_bullet_lists",
    "detectable_format:constrained_response",
    "detectable_format:number_highlighted_sections",
    "detectable_format:multiple_sections",
    "detectable_format:json_format",
    "detectable_format:title",
    "combination:two_responses",
    "combination:repeat_prompt",
    "startend:end_checker",
    "change_case:capital_word_frequency",
    "change_case:english_capital",
    "change_case:english_lowercase",
    "punctuation:no_comma",
    "startend:quotation",
];

/// One IFEval instruction with its typed arguments (after upstream's normalisation: strings that
/// upstream strips are stored stripped, `first_word` and `letter` lower-cased).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "id")]
pub enum Check {
    /// `keywords:existence`: every keyword (a Python regex) is found, case-insensitively.
    #[serde(rename = "keywords:existence")]
    KeywordsExistence {
        /// Keywords (regular expressions).
        keywords: Vec<String>,
    },
    /// `keywords:frequency`: number of case-insensitive matches of `keyword` vs `frequency`.
    #[serde(rename = "keywords:frequency")]
    KeywordsFrequency {
        /// Keyword (a regular expression), stripped.
        keyword: String,
        /// Threshold.
        frequency: i64,
        /// Comparison.
        relation: Relation,
    },
    /// `keywords:forbidden_words`: no `\bword\b` match, case-insensitively.
    #[serde(rename = "keywords:forbidden_words")]
    KeywordsForbiddenWords {
        /// Forbidden words.
        forbidden_words: Vec<String>,
    },
    /// `keywords:letter_frequency`: count of `letter` in the lower-cased response.
    #[serde(rename = "keywords:letter_frequency")]
    KeywordsLetterFrequency {
        /// The character counted (lower-cased).
        letter: String,
        /// Threshold.
        let_frequency: i64,
        /// Comparison.
        let_relation: Relation,
    },
    /// `language:response_language`: langdetect names `language`.
    #[serde(rename = "language:response_language")]
    LanguageResponseLanguage {
        /// ISO 639-1 code, one of [`LANGUAGE_CODES`].
        language: String,
    },
    /// `length_constraints:number_sentences`: Punkt sentence count vs threshold.
    #[serde(rename = "length_constraints:number_sentences")]
    LengthConstraintsNumberSentences {
        /// Threshold.
        num_sentences: i64,
        /// Comparison.
        relation: Relation,
    },
    /// `length_constraints:number_paragraphs`: exactly N `***`-separated paragraphs.
    #[serde(rename = "length_constraints:number_paragraphs")]
    LengthConstraintsNumberParagraphs {
        /// Required count.
        num_paragraphs: i64,
    },
    /// `length_constraints:number_words`: `\w+` token count vs threshold.
    #[serde(rename = "length_constraints:number_words")]
    LengthConstraintsNumberWords {
        /// Threshold.
        num_words: i64,
        /// Comparison.
        relation: Relation,
    },
    /// `length_constraints:nth_paragraph_first_word`: `\n\n`-separated paragraphs.
    #[serde(rename = "length_constraints:nth_paragraph_first_word")]
    LengthConstraintsNthParagraphFirstWord {
        /// Required paragraph count.
        num_paragraphs: i64,
        /// 1-based paragraph whose first word is checked.
        nth_paragraph: i64,
        /// Required first word (lower-cased).
        first_word: String,
    },
    /// `detectable_content:number_placeholders`: at least N `[...]`.
    #[serde(rename = "detectable_content:number_placeholders")]
    DetectableContentNumberPlaceholders {
        /// Minimum count.
        num_placeholders: i64,
    },
    /// `detectable_content:postscript`: a line starting with the marker.
    #[serde(rename = "detectable_content:postscript")]
    DetectableContentPostscript {
        /// Marker (stripped), e.g. `P.S.` or `P.P.S`.
        postscript_marker: String,
    },
    /// `detectable_format:number_bullet_lists`: exactly N `*`/`-` bullet lines.
    #[serde(rename = "detectable_format:number_bullet_lists")]
    DetectableFormatNumberBulletLists {
        /// Required count.
        num_bullets: i64,
    },
    /// `detectable_format:constrained_response`: "My answer is yes./no./maybe.".
    #[serde(rename = "detectable_format:constrained_response")]
    DetectableFormatConstrainedResponse,
    /// `detectable_format:number_highlighted_sections`: at least N `*highlighted*` sections.
    #[serde(rename = "detectable_format:number_highlighted_sections")]
    DetectableFormatNumberHighlightedSections {
        /// Minimum count.
        num_highlights: i64,
    },
    /// `detectable_format:multiple_sections`: at least N `<splitter> <number>` section marks.
    #[serde(rename = "detectable_format:multiple_sections")]
    DetectableFormatMultipleSections {
        /// Section keyword (stripped; used as a regular expression like upstream).
        section_spliter: String,
        /// Minimum count.
        num_sections: i64,
    },
    /// `detectable_format:json_format`: the response (minus a Markdown fence) is valid JSON.
    #[serde(rename = "detectable_format:json_format")]
    DetectableFormatJsonFormat,
    /// `detectable_format:title`: a non-empty `<<title>>`.
    #[serde(rename = "detectable_format:title")]
    DetectableFormatTitle,
    /// `combination:two_responses`: two different responses separated by `******`.
    #[serde(rename = "combination:two_responses")]
    CombinationTwoResponses,
    /// `combination:repeat_prompt`: the response starts with the request, case-insensitively.
    #[serde(rename = "combination:repeat_prompt")]
    CombinationRepeatPrompt {
        /// The request to repeat.
        prompt_to_repeat: String,
    },
    /// `startend:end_checker`: the response ends with the phrase.
    #[serde(rename = "startend:end_checker")]
    StartendEndChecker {
        /// The phrase (stripped).
        end_phrase: String,
    },
    /// `change_case:capital_word_frequency`: all-capital `word_tokenize` tokens vs threshold.
    #[serde(rename = "change_case:capital_word_frequency")]
    ChangeCaseCapitalWordFrequency {
        /// Threshold.
        capital_frequency: i64,
        /// Comparison.
        capital_relation: Relation,
    },
    /// `change_case:english_capital`: all upper case and English.
    #[serde(rename = "change_case:english_capital")]
    ChangeCaseEnglishCapital,
    /// `change_case:english_lowercase`: all lower case and English.
    #[serde(rename = "change_case:english_lowercase")]
    ChangeCaseEnglishLowercase,
    /// `punctuation:no_comma`: no `,`.
    #[serde(rename = "punctuation:no_comma")]
    PunctuationNoComma,
    /// `startend:quotation`: wrapped in double quotes.
    #[serde(rename = "startend:quotation")]
    StartendQuotation,
}

/// Reads one instruction's kwargs, tracking which keys were used.
struct Args<'a> {
    index: usize,
    id: &'a str,
    map: Map<String, Value>,
}

impl<'a> Args<'a> {
    fn new(index: usize, id: &'a str, kwargs: &Value) -> Result<Self, IfevalError> {
        let map = match kwargs {
            Value::Null => Map::new(),
            Value::Object(m) => m
                .iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
            other => {
                return Err(IfevalError::KwargsNotObject {
                    index,
                    id: id.to_owned(),
                    found: json_type(other).to_owned(),
                });
            }
        };
        Ok(Args { index, id, map })
    }

    fn invalid(&self, field: &str, message: impl Into<String>) -> IfevalError {
        IfevalError::InvalidKwarg {
            index: self.index,
            id: self.id.to_owned(),
            field: field.to_owned(),
            message: message.into(),
        }
    }

    fn take(&mut self, field: &str) -> Result<Value, IfevalError> {
        self.map
            .remove(field)
            .ok_or_else(|| IfevalError::MissingKwarg {
                index: self.index,
                id: self.id.to_owned(),
                field: field.to_owned(),
            })
    }

    fn string(&mut self, field: &str) -> Result<String, IfevalError> {
        match self.take(field)? {
            Value::String(s) => Ok(s),
            other => Err(self.invalid(
                field,
                format!("expected a string, found {}", json_type(&other)),
            )),
        }
    }

    fn strings(&mut self, field: &str) -> Result<Vec<String>, IfevalError> {
        let v = self.take(field)?;
        let Value::Array(items) = v else {
            return Err(self.invalid(
                field,
                format!("expected a list of strings, found {}", json_type(&v)),
            ));
        };
        let mut out = Vec::with_capacity(items.len());
        for (k, item) in items.into_iter().enumerate() {
            match item {
                Value::String(s) => out.push(s),
                other => {
                    return Err(self.invalid(
                        &format!("{field}[{k}]"),
                        format!("expected a string, found {}", json_type(&other)),
                    ));
                }
            }
        }
        if out.is_empty() {
            // Upstream draws random words for an empty list.
            return Err(self.invalid(field, "must not be empty"));
        }
        Ok(out)
    }

    fn int(&mut self, field: &str) -> Result<i64, IfevalError> {
        let v = self.take(field)?;
        let n = match &v {
            Value::Number(n) => n.as_i64().or_else(|| {
                n.as_f64()
                    .filter(|f| f.fract() == 0.0 && f.abs() < 9.0e15)
                    .map(|f| f as i64)
            }),
            _ => None,
        };
        n.ok_or_else(|| self.invalid(field, format!("expected an integer, found {v}")))
    }

    /// A count upstream replaces by a random value when negative.
    fn count(&mut self, field: &str) -> Result<i64, IfevalError> {
        let n = self.int(field)?;
        if n < 0 {
            return Err(self.invalid(field, format!("must be ≥ 0, found {n}")));
        }
        Ok(n)
    }

    fn relation(&mut self, field: &str) -> Result<Relation, IfevalError> {
        let s = self.string(field)?;
        match s.as_str() {
            "less than" => Ok(Relation::LessThan),
            "at least" => Ok(Relation::AtLeast),
            _ => Err(self.invalid(
                field,
                format!("must be \"less than\" or \"at least\", found {s:?}"),
            )),
        }
    }

    fn finish(self) -> Result<(), IfevalError> {
        match self.map.keys().next() {
            Some(k) => Err(IfevalError::UnexpectedKwarg {
                index: self.index,
                id: self.id.to_owned(),
                field: k.clone(),
            }),
            None => Ok(()),
        }
    }
}

fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

impl Check {
    /// Parse instruction `index` of a prompt from its id and IFEval `kwargs` (null-valued kwargs
    /// are dropped first, as IFEval's data loaders do).
    pub fn from_kwargs(index: usize, id: &str, kwargs: &Value) -> Result<Check, IfevalError> {
        let mut a = Args::new(index, id, kwargs)?;
        let check = match id {
            "keywords:existence" => Check::KeywordsExistence {
                keywords: a.strings("keywords")?,
            },
            "keywords:frequency" => {
                let keyword = pystr::strip(&a.string("keyword")?).to_owned();
                if keyword.is_empty() {
                    return Err(a.invalid("keyword", "must not be empty"));
                }
                Check::KeywordsFrequency {
                    keyword,
                    frequency: a.count("frequency")?,
                    relation: a.relation("relation")?,
                }
            }
            "keywords:forbidden_words" => Check::KeywordsForbiddenWords {
                forbidden_words: a.strings("forbidden_words")?,
            },
            "keywords:letter_frequency" => {
                let raw = a.string("letter")?;
                let mut cs = raw.chars();
                let (Some(c), None) = (cs.next(), cs.next()) else {
                    return Err(
                        a.invalid("letter", format!("must be one character, found {raw:?}"))
                    );
                };
                let letter = if c.is_ascii_alphabetic() {
                    c.to_ascii_lowercase().to_string()
                } else {
                    pystr::lower(&raw)
                };
                Check::KeywordsLetterFrequency {
                    letter,
                    let_frequency: a.count("let_frequency")?,
                    let_relation: a.relation("let_relation")?,
                }
            }
            "language:response_language" => {
                let language = a.string("language")?;
                if !LANGUAGE_CODES.contains(&language.as_str()) {
                    return Err(a.invalid(
                        "language",
                        format!("{language:?} is not one of IFEval's 30 language codes"),
                    ));
                }
                Check::LanguageResponseLanguage { language }
            }
            "length_constraints:number_sentences" => Check::LengthConstraintsNumberSentences {
                num_sentences: a.count("num_sentences")?,
                relation: a.relation("relation")?,
            },
            "length_constraints:number_paragraphs" => Check::LengthConstraintsNumberParagraphs {
                num_paragraphs: a.count("num_paragraphs")?,
            },
            "length_constraints:number_words" => Check::LengthConstraintsNumberWords {
                num_words: a.count("num_words")?,
                relation: a.relation("relation")?,
            },
            "length_constraints:nth_paragraph_first_word" => {
                let num_paragraphs = a.count("num_paragraphs")?;
                let nth_paragraph = a.int("nth_paragraph")?;
                if nth_paragraph <= 0 || nth_paragraph > num_paragraphs {
                    return Err(a.invalid(
                        "nth_paragraph",
                        format!("must be in 1..={num_paragraphs}, found {nth_paragraph}"),
                    ));
                }
                let first_word = pystr::lower(&a.string("first_word")?);
                Check::LengthConstraintsNthParagraphFirstWord {
                    num_paragraphs,
                    nth_paragraph,
                    first_word,
                }
            }
            "detectable_content:number_placeholders" => {
                Check::DetectableContentNumberPlaceholders {
                    num_placeholders: a.count("num_placeholders")?,
                }
            }
            "detectable_content:postscript" => Check::DetectableContentPostscript {
                postscript_marker: pystr::strip(&a.string("postscript_marker")?).to_owned(),
            },
            "detectable_format:number_bullet_lists" => Check::DetectableFormatNumberBulletLists {
                num_bullets: a.count("num_bullets")?,
            },
            "detectable_format:constrained_response" => Check::DetectableFormatConstrainedResponse,
            "detectable_format:number_highlighted_sections" => {
                Check::DetectableFormatNumberHighlightedSections {
                    num_highlights: a.count("num_highlights")?,
                }
            }
            "detectable_format:multiple_sections" => Check::DetectableFormatMultipleSections {
                section_spliter: pystr::strip(&a.string("section_spliter")?).to_owned(),
                num_sections: a.count("num_sections")?,
            },
            "detectable_format:json_format" => Check::DetectableFormatJsonFormat,
            "detectable_format:title" => Check::DetectableFormatTitle,
            "combination:two_responses" => Check::CombinationTwoResponses,
            "combination:repeat_prompt" => {
                let prompt_to_repeat = a.string("prompt_to_repeat")?;
                if prompt_to_repeat.is_empty() {
                    return Err(a.invalid("prompt_to_repeat", "must not be empty"));
                }
                Check::CombinationRepeatPrompt { prompt_to_repeat }
            }
            "startend:end_checker" => Check::StartendEndChecker {
                end_phrase: pystr::strip(&a.string("end_phrase")?).to_owned(),
            },
            "change_case:capital_word_frequency" => Check::ChangeCaseCapitalWordFrequency {
                capital_frequency: a.int("capital_frequency")?,
                capital_relation: a.relation("capital_relation")?,
            },
            "change_case:english_capital" => Check::ChangeCaseEnglishCapital,
            "change_case:english_lowercase" => Check::ChangeCaseEnglishLowercase,
            "punctuation:no_comma" => Check::PunctuationNoComma,
            "startend:quotation" => Check::StartendQuotation,
            _ => {
                return Err(IfevalError::UnknownInstruction {
                    index,
                    id: id.to_owned(),
                });
            }
        };
        // Regex-valued arguments must compile (upstream would raise `re.error` when checking).
        if let Err((field, message)) = Prepared::new(&check) {
            return Err(a.invalid(&field, message));
        }
        a.finish()?;
        Ok(check)
    }

    /// The IFEval instruction id (`keywords:existence`, …).
    pub fn id(&self) -> &'static str {
        let i = match self {
            Check::KeywordsExistence { .. } => 0,
            Check::KeywordsFrequency { .. } => 1,
            Check::KeywordsForbiddenWords { .. } => 2,
            Check::KeywordsLetterFrequency { .. } => 3,
            Check::LanguageResponseLanguage { .. } => 4,
            Check::LengthConstraintsNumberSentences { .. } => 5,
            Check::LengthConstraintsNumberParagraphs { .. } => 6,
            Check::LengthConstraintsNumberWords { .. } => 7,
            Check::LengthConstraintsNthParagraphFirstWord { .. } => 8,
            Check::DetectableContentNumberPlaceholders { .. } => 9,
            Check::DetectableContentPostscript { .. } => 10,
            Check::DetectableFormatNumberBulletLists { .. } => 11,
            Check::DetectableFormatConstrainedResponse => 12,
            Check::DetectableFormatNumberHighlightedSections { .. } => 13,
            Check::DetectableFormatMultipleSections { .. } => 14,
            Check::DetectableFormatJsonFormat => 15,
            Check::DetectableFormatTitle => 16,
            Check::CombinationTwoResponses => 17,
            Check::CombinationRepeatPrompt { .. } => 18,
            Check::StartendEndChecker { .. } => 19,
            Check::ChangeCaseCapitalWordFrequency { .. } => 20,
            Check::ChangeCaseEnglishCapital => 21,
            Check::ChangeCaseEnglishLowercase => 22,
            Check::PunctuationNoComma => 23,
            Check::StartendQuotation => 24,
        };
        INSTRUCTION_IDS[i]
    }

    /// Upstream's `check_following(response)` alone (without the non-empty test that the strict
    /// and loose evaluations add).
    pub fn check_following(&self, response: &str) -> bool {
        match Prepared::new(self) {
            Ok(p) => p.check_following(self, response),
            Err(_) => false,
        }
    }
}

/// Regexes compiled from an instruction's arguments.
pub(crate) struct Prepared {
    regexes: Vec<Matcher>,
}

enum Matcher {
    Plain(Regex),
    /// A literal word that must sit between Python word boundaries.
    BoundedLiteral(Regex),
}

fn compile_user(pattern: &str) -> Result<Regex, String> {
    Regex::new(pattern).map_err(|e| format!("not a supported regular expression: {e}"))
}

impl Prepared {
    pub(crate) fn new(check: &Check) -> Result<Prepared, (String, String)> {
        let mut regexes = Vec::new();
        match check {
            Check::KeywordsExistence { keywords } => {
                for (k, kw) in keywords.iter().enumerate() {
                    let re = compile_user(&format!("(?i){kw}"))
                        .map_err(|m| (format!("keywords[{k}]"), m))?;
                    regexes.push(Matcher::Plain(re));
                }
            }
            Check::KeywordsFrequency { keyword, .. } => {
                let re = compile_user(&format!("(?i){keyword}"))
                    .map_err(|m| ("keyword".to_owned(), m))?;
                regexes.push(Matcher::Plain(re));
            }
            Check::KeywordsForbiddenWords { forbidden_words } => {
                for (k, w) in forbidden_words.iter().enumerate() {
                    let field = || format!("forbidden_words[{k}]");
                    if regex::escape(w) == *w {
                        let re = compile_user(&format!("(?i){w}")).map_err(|m| (field(), m))?;
                        regexes.push(Matcher::BoundedLiteral(re));
                    } else {
                        let re =
                            compile_user(&format!(r"(?i)\b{w}\b")).map_err(|m| (field(), m))?;
                        regexes.push(Matcher::Plain(re));
                    }
                }
            }
            Check::DetectableContentPostscript { postscript_marker } => {
                let s = pystr::PY_S;
                let pattern = match postscript_marker.as_str() {
                    "P.P.S" => format!(r"(?m){s}*p\.{s}?p\.{s}?s.*$"),
                    "P.S." => format!(r"(?m){s}*p\.{s}?s\..*$"),
                    m => format!(r"(?m){s}*{}.*$", pystr::lower(m)),
                };
                let re = compile_user(&pattern).map_err(|m| ("postscript_marker".to_owned(), m))?;
                regexes.push(Matcher::Plain(re));
            }
            Check::DetectableFormatMultipleSections {
                section_spliter, ..
            } => {
                let s = pystr::PY_S;
                let re = compile_user(&format!(r"{s}?{section_spliter}{s}?\d+{s}?"))
                    .map_err(|m| ("section_spliter".to_owned(), m))?;
                regexes.push(Matcher::Plain(re));
            }
            _ => {}
        }
        Ok(Prepared { regexes })
    }

    fn plain(&self, k: usize) -> Option<&Regex> {
        match self.regexes.get(k) {
            Some(Matcher::Plain(re)) => Some(re),
            _ => None,
        }
    }

    /// Upstream `check_following`.
    pub(crate) fn check_following(&self, check: &Check, value: &str) -> bool {
        match check {
            Check::KeywordsExistence { .. } => self.regexes.iter().all(|m| match m {
                Matcher::Plain(re) | Matcher::BoundedLiteral(re) => re.is_match(value),
            }),
            Check::KeywordsFrequency {
                frequency,
                relation,
                ..
            } => {
                let n = self.plain(0).map_or(0, |re| re.find_iter(value).count());
                relation.holds(to_i64(n), *frequency)
            }
            Check::KeywordsForbiddenWords { .. } => !self.regexes.iter().any(|m| match m {
                Matcher::Plain(re) => re.is_match(value),
                Matcher::BoundedLiteral(re) => bounded_search(re, value),
            }),
            Check::KeywordsLetterFrequency {
                letter,
                let_frequency,
                let_relation,
            } => {
                let lowered = pystr::lower(value);
                let n = match single_char(letter) {
                    Some(c) => lowered.chars().filter(|x| *x == c).count(),
                    None => 0,
                };
                let_relation.holds(to_i64(n), *let_frequency)
            }
            Check::LanguageResponseLanguage { language } => match langdetect::detect(value) {
                Ok(l) => l == *language,
                Err(_) => true,
            },
            Check::LengthConstraintsNumberSentences {
                num_sentences,
                relation,
            } => relation.holds(to_i64(punkt::count_sentences(value)), *num_sentences),
            Check::LengthConstraintsNumberParagraphs { num_paragraphs } => {
                let paragraphs: Vec<&str> = statics().paragraph_split.split(value).collect();
                let last = paragraphs.len() - 1;
                let mut n = paragraphs.len();
                for (i, p) in paragraphs.iter().enumerate() {
                    if pystr::strip(p).is_empty() {
                        if i == 0 || i == last {
                            n -= 1;
                        } else {
                            return false;
                        }
                    }
                }
                to_i64(n) == *num_paragraphs
            }
            Check::LengthConstraintsNumberWords {
                num_words,
                relation,
            } => relation.holds(to_i64(count_words(value)), *num_words),
            Check::LengthConstraintsNthParagraphFirstWord {
                num_paragraphs,
                nth_paragraph,
                first_word,
            } => nth_paragraph_first_word(value, *num_paragraphs, *nth_paragraph, first_word),
            Check::DetectableContentNumberPlaceholders { num_placeholders } => {
                to_i64(statics().placeholder.find_iter(value).count()) >= *num_placeholders
            }
            Check::DetectableContentPostscript { .. } => {
                let lowered = pystr::lower(value);
                self.plain(0).is_some_and(|re| re.is_match(&lowered))
            }
            Check::DetectableFormatNumberBulletLists { num_bullets } => {
                let st = statics();
                let n = st.bullet_star.find_iter(value).count()
                    + st.bullet_dash.find_iter(value).count();
                to_i64(n) == *num_bullets
            }
            Check::DetectableFormatConstrainedResponse => {
                let v = pystr::strip(value);
                [
                    "My answer is yes.",
                    "My answer is no.",
                    "My answer is maybe.",
                ]
                .iter()
                .any(|o| v.contains(o))
            }
            Check::DetectableFormatNumberHighlightedSections { num_highlights } => {
                let st = statics();
                let mut n = 0i64;
                for m in st.highlight.find_iter(value) {
                    if !pystr::strip(m.as_str().trim_matches('*')).is_empty() {
                        n += 1;
                    }
                }
                for m in st.double_highlight.find_iter(value) {
                    let inner = m.as_str();
                    let inner = inner.strip_prefix("**").unwrap_or(inner);
                    let inner = inner.strip_suffix("**").unwrap_or(inner);
                    if !pystr::strip(inner).is_empty() {
                        n += 1;
                    }
                }
                n >= *num_highlights
            }
            Check::DetectableFormatMultipleSections { num_sections, .. } => {
                let Some(re) = self.plain(0) else {
                    return false;
                };
                // `re.split` returns pieces plus every capture group of every match.
                let per_match = re.captures_len();
                let parts = 1 + re.find_iter(value).count() * per_match;
                to_i64(parts) > *num_sections
            }
            Check::DetectableFormatJsonFormat => {
                let v = pystr::strip(value);
                let v = v.strip_prefix("```json").unwrap_or(v);
                let v = v.strip_prefix("```Json").unwrap_or(v);
                let v = v.strip_prefix("```JSON").unwrap_or(v);
                let v = v.strip_prefix("```").unwrap_or(v);
                let v = v.strip_suffix("```").unwrap_or(v);
                pyjson::python_json_loads_ok(pystr::strip(v))
            }
            Check::DetectableFormatTitle => statics().title.find_iter(value).any(|m| {
                let t = m.as_str().trim_start_matches('<').trim_end_matches('>');
                !pystr::strip(t).is_empty()
            }),
            Check::CombinationTwoResponses => two_responses(value),
            Check::CombinationRepeatPrompt { prompt_to_repeat } => {
                pystr::lower(pystr::strip(value))
                    .starts_with(&pystr::lower(pystr::strip(prompt_to_repeat)))
            }
            Check::StartendEndChecker { end_phrase } => {
                let v = pystr::lower(pystr::strip(value).trim_matches('"'));
                v.ends_with(&pystr::lower(pystr::strip(end_phrase)))
            }
            Check::ChangeCaseCapitalWordFrequency {
                capital_frequency,
                capital_relation,
            } => {
                let n = treebank::word_tokenize(value)
                    .iter()
                    .filter(|w| pystr::is_upper(w))
                    .count();
                capital_relation.holds(to_i64(n), *capital_frequency)
            }
            Check::ChangeCaseEnglishCapital => {
                pystr::is_upper(value) && langdetect::detect(value).is_none_or_en()
            }
            Check::ChangeCaseEnglishLowercase => {
                pystr::is_lower(value) && langdetect::detect(value).is_none_or_en()
            }
            Check::PunctuationNoComma => !value.contains(','),
            Check::StartendQuotation => {
                let v = pystr::strip(value);
                v.chars().count() > 1 && v.starts_with('"') && v.ends_with('"')
            }
        }
    }
}

/// "Detection failed (counts as followed) or detected English".
trait EnglishOrFailure {
    fn is_none_or_en(&self) -> bool;
}

impl EnglishOrFailure for Result<String, langdetect::LangDetectFailure> {
    fn is_none_or_en(&self) -> bool {
        match self {
            Ok(l) => l == "en",
            Err(_) => true,
        }
    }
}

fn to_i64(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

fn single_char(s: &str) -> Option<char> {
    let mut cs = s.chars();
    match (cs.next(), cs.next()) {
        (Some(c), None) => Some(c),
        _ => None,
    }
}

/// `re.search(r"\b" + word + r"\b", value, re.I)` for a literal word, with Python's `\b`.
fn bounded_search(re: &Regex, value: &str) -> bool {
    let mut from = 0;
    while from <= value.len() {
        let Some(m) = re.find_at(value, from) else {
            return false;
        };
        if pystr::is_word_boundary(value, m.start()) && pystr::is_word_boundary(value, m.end()) {
            return true;
        }
        match value[m.start()..].chars().next() {
            Some(c) => from = m.start() + c.len_utf8(),
            None => return false,
        }
    }
    false
}

/// `RegexpTokenizer(r"\w+")` token count with Python's `\w`.
pub(crate) fn count_words(value: &str) -> usize {
    statics().words.find_iter(value).count()
}

fn nth_paragraph_first_word(value: &str, num_paragraphs: i64, nth: i64, first_word: &str) -> bool {
    let paragraphs: Vec<&str> = value.split("\n\n").collect();
    let n = paragraphs.len()
        - paragraphs
            .iter()
            .filter(|p| pystr::strip(p).is_empty())
            .count();
    let Ok(nth) = usize::try_from(nth) else {
        return false;
    };
    if nth == 0 || nth > n {
        return false;
    }
    let Some(paragraph) = paragraphs.get(nth - 1).map(|p| pystr::strip(p)) else {
        return false;
    };
    if paragraph.is_empty() {
        return false;
    }
    let Some(word) = pystr::split_whitespace(paragraph).next() else {
        return false;
    };
    let word = pystr::strip(word)
        .trim_start_matches('\'')
        .trim_start_matches('"');
    let mut got = String::new();
    for c in word.chars() {
        if matches!(c, '.' | ',' | '?' | '!' | '\'' | '"') {
            break;
        }
        got.extend(c.to_lowercase());
    }
    to_i64(n) == num_paragraphs && got == first_word
}

fn two_responses(value: &str) -> bool {
    let parts: Vec<&str> = value.split("******").collect();
    let last = parts.len() - 1;
    let mut valid = Vec::new();
    for (i, p) in parts.iter().enumerate() {
        if pystr::strip(p).is_empty() {
            if i != 0 && i != last {
                return false;
            }
        } else {
            valid.push(*p);
        }
    }
    valid.len() == 2 && pystr::strip(valid[0]) != pystr::strip(valid[1])
}

/// The crate's own fixed patterns.
struct Statics {
    paragraph_split: Regex,
    words: Regex,
    placeholder: Regex,
    bullet_star: Regex,
    bullet_dash: Regex,
    highlight: Regex,
    double_highlight: Regex,
    title: Regex,
}

fn statics() -> &'static Statics {
    static S: OnceLock<Statics> = OnceLock::new();
    S.get_or_init(|| {
        let s = pystr::PY_S;
        let c = pystr::compile;
        Statics {
            paragraph_split: c(&format!(r"{s}?\*\*\*{s}?")),
            words: c(&format!("{}+", pystr::PY_W)),
            placeholder: c(r"\[.*?\]"),
            bullet_star: c(&format!(r"(?m)^{s}*\*[^*].*$")),
            bullet_dash: c(&format!(r"(?m)^{s}*-.*$")),
            highlight: c(r"\*[^\n*]*\*"),
            double_highlight: c(r"\*\*[^\n*]*\*\*"),
            title: c(r"<<[^\n]+>>"),
        }
    })
}

/// Parse a prompt's instructions (ids and kwargs) into typed checks.
pub fn parse_instructions(
    instructions: &[substance_core::Instruction],
) -> Result<Vec<Check>, IfevalError> {
    instructions
        .iter()
        .enumerate()
        .map(|(i, ins)| Check::from_kwargs(i, &ins.id, &ins.kwargs))
        .collect()
}
