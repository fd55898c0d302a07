//! The typed error of this crate. Every variant that comes from input names the file (`origin`) and,
//! where it is known, the 1-based line and the field, so a person can go straight to the mistake.

use substance_core::{CoreError, InputError};
use thiserror::Error;

/// Errors raised while reading, writing, importing or rendering a suite.
#[derive(Debug, Error)]
pub enum SuiteError {
    /// Reading or writing a file failed.
    #[error("{file}: {source}")]
    Io {
        /// The file.
        file: String,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The file (or one line of it) is not well-formed: bad UTF-8, TOML or JSON syntax, a broken CSV row.
    #[error("{file}{}: {message}", at_line(*.line))]
    Syntax {
        /// The file.
        file: String,
        /// 1-based line, when known.
        line: Option<usize>,
        /// What is wrong.
        message: String,
    },
    /// A field is missing, unknown, or holds a value of the wrong type or outside its domain.
    #[error("{file}{}: field `{field}`: {message}", at_line(*.line))]
    Field {
        /// The file.
        file: String,
        /// 1-based line, when known.
        line: Option<usize>,
        /// The field (a dotted path such as `prompt.template`, a JSON path such as `gold[0]`, or a CSV column).
        field: String,
        /// What is wrong with it.
        message: String,
    },
    /// The assembled suite breaks an invariant checked by [`substance_core::Suite::validate`].
    #[error("{file}: {source}")]
    Invalid {
        /// The file (or folder) the suite came from.
        file: String,
        /// The core validation error (it names the item and the field).
        #[source]
        source: CoreError,
    },
    /// A prompt cannot be built for one item (an unknown template placeholder, a too-small few-shot pool…).
    #[error("suite `{suite}`, item `{item}`: field `{field}`: {message}")]
    Prompt {
        /// Suite name.
        suite: String,
        /// Item id (or few-shot example id).
        item: String,
        /// The spec or item field at fault (`prompt.template`, `fewshot.n`, `gold`…).
        field: String,
        /// What is wrong.
        message: String,
    },
    /// An item index past the end of the suite.
    #[error("suite `{suite}`: item index {index} is out of range ({len} items)")]
    IndexOutOfRange {
        /// Suite name.
        suite: String,
        /// The index asked for.
        index: usize,
        /// Number of items.
        len: usize,
    },
    /// A suite could not be serialised (a value TOML or JSON cannot represent).
    #[error("cannot serialise {what}: {message}")]
    Serialise {
        /// What was being written.
        what: String,
        /// The serialiser's message.
        message: String,
    },
    /// No importer of that name.
    #[error("unknown import format `{format}` (known: {known})")]
    UnknownFormat {
        /// The name asked for.
        format: String,
        /// The known names, comma-separated.
        known: String,
    },
}

fn at_line(line: Option<usize>) -> String {
    match line {
        Some(l) => format!(":{l}"),
        None => String::new(),
    }
}

impl SuiteError {
    /// The file the error is about, when it is about one.
    pub fn file(&self) -> Option<&str> {
        match self {
            Self::Io { file, .. }
            | Self::Syntax { file, .. }
            | Self::Field { file, .. }
            | Self::Invalid { file, .. } => Some(file),
            _ => None,
        }
    }

    /// The 1-based line the error is about, when known.
    pub fn line(&self) -> Option<usize> {
        match self {
            Self::Syntax { line, .. } | Self::Field { line, .. } => *line,
            _ => None,
        }
    }

    /// The field the error is about, when known.
    pub fn field(&self) -> Option<&str> {
        match self {
            Self::Field { field, .. } | Self::Prompt { field, .. } => Some(field),
            Self::Invalid {
                source: CoreError::Invalid { field, .. },
                ..
            } => Some(field),
            _ => None,
        }
    }

    pub(crate) fn syntax(file: &str, line: Option<usize>, message: impl Into<String>) -> Self {
        Self::Syntax {
            file: file.to_owned(),
            line,
            message: message.into(),
        }
    }

    pub(crate) fn field_error(
        file: &str,
        line: Option<usize>,
        field: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Self::Field {
            file: file.to_owned(),
            line,
            field: field.into(),
            message: message.into(),
        }
    }
}

impl From<InputError> for SuiteError {
    fn from(e: InputError) -> Self {
        match e {
            InputError::Io { file, message } => SuiteError::Syntax {
                file,
                line: None,
                message: format!("cannot read: {message}"),
            },
            InputError::Utf8 { file, line, offset } => SuiteError::Syntax {
                file,
                line: Some(line),
                message: format!("not valid UTF-8 (byte {offset} of the file)"),
            },
            InputError::Empty { file, what } => SuiteError::Syntax {
                file,
                line: None,
                message: format!("no records ({what})"),
            },
            InputError::Syntax {
                file,
                line,
                message,
            } => SuiteError::Syntax {
                file,
                line: Some(line),
                message,
            },
            InputError::Field {
                file,
                line,
                field,
                message,
            } => SuiteError::Field {
                file,
                line: Some(line),
                field,
                message,
            },
            InputError::Member { file, line, key } => SuiteError::Field {
                file,
                line: Some(line),
                message: format!("JSON object member `{key}` given twice in one record"),
                field: key,
            },
            InputError::Duplicate {
                file,
                line,
                first_line,
                what,
                key,
            } => SuiteError::Field {
                file,
                line: Some(line),
                message: format!("duplicate {what} `{key}` (first at line {first_line})"),
                field: what,
            },
        }
    }
}
