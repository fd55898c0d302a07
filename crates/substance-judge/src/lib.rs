//! Judge protocols, verdict parsers, importers of recorded judgments, judge metrics, bias probes and
//! bias reports (work in progress).

pub mod diff;
pub mod error;
pub mod import;
pub mod label;
pub mod metrics;
pub mod pair;
pub mod probe;
pub mod protocol;
pub mod py;
pub mod report;

pub use error::{ImportError, JudgeError};
pub use label::{ArenaLabel, Factor, Preference, Side, Verdict};
pub use pair::{JudgedPair, RecordedVerdict};
pub use protocol::{
    FactorRegex, Game, Judge, JudgeInput, JudgeProtocol, LlmBarParsing, Parsed, PromptFamily,
    PromptSet, PromptSource, PromptTemplate, Rendered, SecondTurn,
};
