//! The canonical ledger columns (see `ledger-schema.md`), what kind of value each holds, and whether a null
//! is normal (optional data) or a data-quality problem.

use serde::{Deserialize, Serialize};

/// What a column holds; decides which Arrow types are accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Utf8, LargeUtf8, Utf8View, Binary read as UTF-8 (or a dictionary of them).
    Text,
    /// Text, or an integer written as text (`txn_id`).
    TextOrInt,
    /// `YYYY`, `YYYY-MM`, `YYYYMM`, `YYYY-Qn` as text, or an integer `YYYY` / `YYYYMM`.
    Period,
    /// Date32, Date64, Timestamp, or ISO `YYYY-MM-DD` text.
    Date,
    /// Any integer, float or decimal, or decimal text (`"1,234.50"`).
    Number,
}

impl Kind {
    pub fn describe(self) -> &'static str {
        match self {
            Self::Text => "text (Utf8, LargeUtf8, Utf8View, or Binary read as UTF-8)",
            Self::TextOrInt => "text or integer",
            Self::Period => {
                "period text (YYYY, YYYY-MM, YYYYMM, YYYY-Qn) or integer (YYYY, YYYYMM)"
            }
            Self::Date => "date (Date32, Date64, Timestamp or ISO text)",
            Self::Number => "number (integer, float, decimal, or decimal text such as \"12.50\")",
        }
    }
}

macro_rules! columns {
    ($($variant:ident => $name:literal, $kind:ident, $nullable:literal;)*) => {
        /// A canonical ledger column.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum Col { $($variant),* }

        impl Col {
            pub const ALL: &'static [Col] = &[$(Col::$variant),*];

            /// The canonical name.
            pub fn name(self) -> &'static str {
                match self { $(Col::$variant => $name),* }
            }

            pub fn kind(self) -> Kind {
                match self { $(Col::$variant => Kind::$kind),* }
            }

            /// Whether a null is normal here (optional data) rather than a data-quality problem.
            pub fn is_nullable(self) -> bool {
                match self { $(Col::$variant => $nullable),* }
            }
        }
    };
}

columns! {
    TxnId => "txn_id", TextOrInt, false;
    Scheme => "scheme", Text, false;
    Period => "period", Period, false;
    PayDate => "pay_date", Date, true;
    Region => "region", Text, false;
    PayeeId => "payee_id", Text, false;
    PayeeName => "payee_name", Text, false;
    Account => "account", Text, true;
    Amount => "amount", Number, false;
    Quantity => "quantity", Number, true;
    OfficerId => "officer_id", Text, true;
    Status => "status", Text, true;
    BirthDate => "birth_date", Date, true;
    Address => "address", Text, true;
    Phone => "phone", Text, true;
    HouseholdId => "household_id", Text, true;
    County => "county", Text, true;
    Township => "township", Text, true;
}

impl Col {
    pub fn from_name(name: &str) -> Option<Col> {
        Col::ALL.iter().copied().find(|c| c.name() == name)
    }

    pub fn names() -> Vec<&'static str> {
        Col::ALL.iter().map(|c| c.name()).collect()
    }

    /// Position in [`Col::ALL`], for per-column arrays.
    pub fn index(self) -> usize {
        self as usize
    }
}

impl std::fmt::Display for Col {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// A set of columns as a bit mask.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct ColSet(u32);

impl ColSet {
    pub fn of(cols: &[Col]) -> Self {
        cols.iter().fold(Self(0), |s, c| s.with(*c))
    }
    #[must_use]
    pub fn with(self, c: Col) -> Self {
        Self(self.0 | (1 << c.index()))
    }
    #[must_use]
    pub fn union(self, o: Self) -> Self {
        Self(self.0 | o.0)
    }
    pub fn contains(self, c: Col) -> bool {
        self.0 & (1 << c.index()) != 0
    }
    pub fn iter(self) -> impl Iterator<Item = Col> {
        Col::ALL.iter().copied().filter(move |c| self.contains(*c))
    }
}
