//! One error type for the library. Every variant says where: the file, the row group, the column, the key.
//! Bad *values* in rows are not errors (they are data-quality counts); these are the failures that stop a run
//! with exit code 2.

use std::path::PathBuf;

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{}: no such file or folder", path.display())]
    NotFound { path: PathBuf },

    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },

    #[error("{}: folder holds no Parquet file (*.parquet)", path.display())]
    NoParquet { path: PathBuf },

    #[error("{}: not a readable Parquet file: {detail}", path.display())]
    NotParquet { path: PathBuf, detail: String },

    #[error("{}{}: cannot decode Parquet data: {detail}", path.display(), row_group.map(|g| format!(" (row group {g})")).unwrap_or_default())]
    Decode {
        path: PathBuf,
        row_group: Option<usize>,
        detail: String,
    },

    #[error("{}: column {} is not in the file; columns found: {found}", path.display(), column_label(column, canonical))]
    MissingColumn {
        path: PathBuf,
        column: String,
        canonical: String,
        found: String,
    },

    #[error("{}: column `{column}` has type {found}, expected {expected}", path.display())]
    ColumnType {
        path: PathBuf,
        column: String,
        found: String,
        expected: String,
    },

    #[error("{}: column `{column}` is missing here but present in {other}; the files of one ledger must agree", path.display())]
    InconsistentColumn {
        path: PathBuf,
        column: String,
        other: String,
    },

    #[error("config {}: {key}: {message}", path.display())]
    Config {
        path: PathBuf,
        key: String,
        message: String,
    },

    #[error("{table} table {}: {message}", path.display())]
    Reference {
        table: String,
        path: PathBuf,
        message: String,
    },

    #[error("unknown rule code or prefix `{code}` (see `subsidy-audit rules`)")]
    UnknownRule { code: String },

    #[error("{0}")]
    Usage(String),

    /// A CSV, TSV or workbook that `import` cannot convert; `line` is the file's line or sheet row.
    #[error("{}{}: {message}", path.display(), line.map(|l| format!(": line {l}")).unwrap_or_default())]
    Import {
        path: PathBuf,
        line: Option<u64>,
        message: String,
    },

    /// A partial state's bytes that this build cannot take: another format version, another plan, corrupt.
    #[error("partial state{}: {message}", source_name.as_deref().map(|s| format!(" {s}")).unwrap_or_default())]
    Partial {
        source_name: Option<String>,
        message: String,
    },

    #[error("cannot write {}: {detail}", path.display())]
    Output { path: PathBuf, detail: String },
}

/// A column as an error names it: "`amount`" when the file's name is the canonical one, "`金额` (mapped to
/// `amount` in the config)" otherwise.
pub fn column_label(column: &str, canonical: &str) -> String {
    if column == canonical {
        format!("`{column}`")
    } else {
        format!("`{column}` (mapped to `{canonical}` in the config)")
    }
}

impl Error {
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        let path = path.into();
        if source.kind() == std::io::ErrorKind::NotFound {
            Self::NotFound { path }
        } else {
            Self::Io { path, source }
        }
    }

    pub fn config(
        path: impl Into<PathBuf>,
        key: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Self::Config {
            path: path.into(),
            key: key.into(),
            message: message.into(),
        }
    }

    pub fn output(path: impl Into<PathBuf>, detail: impl ToString) -> Self {
        Self::Output {
            path: path.into(),
            detail: detail.to_string(),
        }
    }
}
