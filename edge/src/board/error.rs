//! [`ProfileError`]: every refusal names the file, the line (where the TOML has one) and
//! the field, e.g. `boards/rpi4.toml:23:8: gpio.fault.line: line 17 is already the
//! gpio.trigger.line (line 12)`.

use std::fmt;
use std::ops::Range;
use std::path::PathBuf;

use toml::de::{DeTable, DeValue};
use toml::Spanned;

/// Why a board profile was refused.
#[derive(Debug, thiserror::Error)]
pub enum ProfileError {
    /// The file could not be read.
    #[error("cannot read board profile {}: {source}", path.display())]
    Read {
        /// The profile's path.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// Syntax, type or semantic error at a place in the file.
    #[error("{0}")]
    Invalid(Box<Invalid>),
}

/// A profile error located in its file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Invalid {
    /// The profile's path (as given).
    pub file: PathBuf,
    /// 1-based line, when the place is known.
    pub line: Option<usize>,
    /// 1-based column, when the place is known.
    pub column: Option<usize>,
    /// Dotted field path, e.g. `gpio.reject.line`; `None` for a pure syntax error.
    pub field: Option<String>,
    /// What is wrong and, where possible, how to fix it.
    pub message: String,
}

impl fmt::Display for Invalid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
            if let Some(column) = self.column {
                write!(f, ":{column}")?;
            }
        }
        f.write_str(": ")?;
        if let Some(field) = &self.field {
            write!(f, "{field}: ")?;
        }
        f.write_str(&self.message)
    }
}

impl ProfileError {
    /// The located error, if this is one.
    #[must_use]
    pub fn invalid(&self) -> Option<&Invalid> {
        match self {
            ProfileError::Invalid(i) => Some(i),
            ProfileError::Read { .. } => None,
        }
    }
}

/// 1-based line and column of byte `offset` in `text`.
pub(crate) fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let before = text.get(..offset.min(text.len())).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let column = before
        .rfind('\n')
        .map_or(before, |nl| &before[nl + 1..])
        .chars()
        .count()
        + 1;
    (line, column)
}

/// Spans of a parsed document, to place errors found after deserialisation.
pub(crate) struct SourceMap<'a> {
    pub(crate) file: PathBuf,
    pub(crate) text: &'a str,
    root: Option<Spanned<DeTable<'a>>>,
}

impl<'a> SourceMap<'a> {
    pub(crate) fn new(file: PathBuf, text: &'a str) -> Self {
        let root = DeTable::parse(text).ok();
        Self { file, text, root }
    }

    /// An error at `span` (or nowhere) about `field`.
    pub(crate) fn error_at(
        &self,
        span: Option<Range<usize>>,
        field: Option<String>,
        message: impl Into<String>,
    ) -> ProfileError {
        let (line, column) = match span {
            Some(s) => {
                let (l, c) = line_column(self.text, s.start);
                (Some(l), Some(c))
            }
            None => (None, None),
        };
        ProfileError::Invalid(Box::new(Invalid {
            file: self.file.clone(),
            line,
            column,
            field,
            message: message.into(),
        }))
    }

    /// An error about the field at dotted `path`, placed at its value, or at the nearest
    /// enclosing table present in the file when the field itself is missing.
    pub(crate) fn field_error(&self, path: &str, message: impl Into<String>) -> ProfileError {
        self.error_at(self.span_of(path), Some(path.to_owned()), message)
    }

    /// Line of the field at dotted `path`, if present.
    pub(crate) fn line_of(&self, path: &str) -> Option<usize> {
        self.span_of(path)
            .map(|s| line_column(self.text, s.start).0)
    }

    fn span_of(&self, path: &str) -> Option<Range<usize>> {
        let mut table = self.root.as_ref()?.get_ref();
        let mut span = None;
        for key in path.split('.') {
            let Some(value) = table.get(key) else {
                break;
            };
            span = Some(value.span());
            match value.get_ref() {
                DeValue::Table(t) => table = t,
                _ => break,
            }
        }
        span
    }

    /// Dotted path of the innermost key whose key or value contains byte `offset`.
    pub(crate) fn path_at(&self, offset: usize) -> Option<String> {
        let mut path = Vec::new();
        find(self.root.as_ref()?.get_ref(), offset, &mut path).then(|| path.join("."))
    }
}

/// Depth-first search for `offset`. A `[table]`'s span covers only its header, so every
/// table is searched, not only those whose span contains the offset.
fn find<'t>(table: &'t DeTable<'_>, offset: usize, path: &mut Vec<&'t str>) -> bool {
    let inside = |s: Range<usize>| s.start <= offset && offset < s.end.max(s.start + 1);
    for (key, value) in table.iter() {
        path.push(key.get_ref());
        if let DeValue::Table(child) = value.get_ref() {
            if find(child, offset, path) {
                return true;
            }
        }
        if inside(key.span()) || inside(value.span()) {
            return true;
        }
        path.pop();
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_column_counts_from_one() {
        let text = "a = 1\nbé = 2\n";
        assert_eq!(line_column(text, 0), (1, 1));
        assert_eq!(line_column(text, 6), (2, 1));
        // 'é' is two bytes but one column.
        assert_eq!(line_column(text, 9), (2, 3));
    }
}
