//! # Configuration errors
//!
//! [`ConfigError`] names the offending key, the [`Source`] that set it and what
//! was expected, so an operator can fix the right file or variable.

use std::fmt;
use std::path::PathBuf;

/// Where a configuration value came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// The defaults embedded in the binary (`config/defaults.yaml`).
    Defaults,
    /// A `--config` file.
    File(PathBuf),
    /// A `RAMPART_*` environment variable (its name).
    Env(String),
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Defaults => f.write_str("built-in defaults"),
            Source::File(path) => write!(f, "config file `{}`", path.display()),
            Source::Env(name) => write!(f, "environment variable `{name}`"),
        }
    }
}

/// Why the configuration could not be loaded.
///
/// `Display` and `std::error::Error` are implemented by hand rather than with
/// `thiserror`, because `thiserror` would treat the `source` fields (a [`Source`],
/// not an error) as the error's cause.
#[derive(Debug)]
pub enum ConfigError {
    /// A config file could not be read.
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        error: std::io::Error,
    },
    /// A config file is not valid YAML.
    Syntax {
        /// The file.
        path: PathBuf,
        /// 1-based line of the error, when known.
        line: Option<usize>,
        /// The parser's message.
        message: String,
    },
    /// A config file sets a key that does not exist.
    UnknownKey {
        /// Dotted key path, e.g. `Database.Postgres.Hots`.
        key: String,
        /// The file that set it.
        source: Source,
        /// A close known key at the same level (just its last segment).
        suggestion: Option<String>,
    },
    /// A `RAMPART_*` environment variable names no configuration key.
    UnknownEnv {
        /// The variable's name.
        name: String,
        /// A close known variable name.
        suggestion: Option<String>,
    },
    /// A config file puts a scalar where a mapping belongs, or the reverse.
    Shape {
        /// Dotted key path (`<root>` for the whole document).
        key: String,
        /// The file that set it.
        source: Source,
        /// What belongs there, e.g. `a mapping of keys`.
        expected: String,
    },
    /// A value has the wrong type or an invalid value.
    InvalidValue {
        /// Dotted key path, e.g. `Database.Postgres.Port`.
        key: String,
        /// The source that last set the key.
        source: Source,
        /// What was wrong and what was expected.
        message: String,
    },
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigError::Read { path, error } => {
                write!(f, "cannot read config file `{}`: {error}", path.display())
            }
            ConfigError::Syntax {
                path,
                line,
                message,
            } => {
                write!(f, "invalid YAML in config file `{}`", path.display())?;
                // libyaml's messages already say "at line L column C".
                if let Some(line) = line.filter(|_| !message.contains(" at line ")) {
                    write!(f, " at line {line}")?;
                }
                write!(f, ": {message}")
            }
            ConfigError::UnknownKey {
                key,
                source,
                suggestion,
            } => {
                write!(f, "unknown configuration key `{key}` in {source}")?;
                if let Some(s) = suggestion {
                    write!(f, "; did you mean `{s}`?")?;
                }
                Ok(())
            }
            ConfigError::UnknownEnv { name, suggestion } => {
                write!(
                    f,
                    "unknown environment variable `{name}`: it names no configuration key"
                )?;
                if let Some(s) = suggestion {
                    write!(f, "; did you mean `{s}`?")?;
                }
                Ok(())
            }
            ConfigError::Shape {
                key,
                source,
                expected,
            } => write!(
                f,
                "invalid configuration key `{key}` in {source}: expected {expected}"
            ),
            ConfigError::InvalidValue {
                key,
                source,
                message,
            } => write!(
                f,
                "invalid value for configuration key `{key}` (set by {source}): {message}"
            ),
        }
    }
}

impl std::error::Error for ConfigError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ConfigError::Read { error, .. } => Some(error),
            _ => None,
        }
    }
}

/// The candidate closest to `word` (case-insensitively), if it is close enough to
/// be a plausible typo.
pub(crate) fn suggest<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<String> {
    let word = word.to_lowercase();
    let limit = (word.chars().count() / 3).max(1);
    candidates
        .into_iter()
        .map(|c| (edit_distance(&word, &c.to_lowercase()), c))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c.to_owned())
}

/// Edit distance between two strings, by characters, counting an adjacent
/// transposition (`Hots` → `Host`) as one edit (optimal string alignment).
fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(d[i - 2][j - 2] + 1);
            }
            d[i][j] = best;
        }
    }
    d[a.len()][b.len()]
}
