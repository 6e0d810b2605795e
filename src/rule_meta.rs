//! What a rule declares about itself ([`RuleMeta`]: code, name, doc text, severity, columns, reference tables,
//! thresholds), kept apart from the rules: findings ([`Severity`], [`RuleMeta`]) and the reference tables
//! ([`Reference`]) use these types, and the rules ([`crate::rules`], which re-exports them) use findings and
//! reference tables. This module depends on none of them.

use crate::ledger::column::Col;
use serde::Serialize;

/// A reference table a rule may need.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Reference {
    Registry,
    Deaths,
    Officials,
}

impl Reference {
    pub fn name(self) -> &'static str {
        match self {
            Self::Registry => "registry",
            Self::Deaths => "deaths",
            Self::Officials => "officials",
        }
    }
}

/// How serious a finding is. Scores use [`Severity::points`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Low => "low",
            Self::Medium => "medium",
            Self::High => "high",
            Self::Critical => "critical",
        }
    }
    /// Points a case earns for a rule that fired at this severity.
    pub fn points(self) -> f64 {
        match self {
            Self::Low => 1.0,
            Self::Medium => 3.0,
            Self::High => 6.0,
            Self::Critical => 10.0,
        }
    }
}

/// A threshold's value.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(untagged)]
pub enum ParamValue {
    Int(i64),
    Float(f64),
    Bool(bool),
}

impl ParamValue {
    pub(crate) fn from_toml(v: &toml::Value, like: ParamValue) -> Option<Self> {
        match like {
            Self::Int(_) => v.as_integer().map(Self::Int),
            Self::Float(_) => v
                .as_float()
                .or_else(|| v.as_integer().map(|i| i as f64))
                .map(Self::Float),
            Self::Bool(_) => v.as_bool().map(Self::Bool),
        }
    }
    pub(crate) fn type_name(self) -> &'static str {
        match self {
            Self::Int(_) => "an integer",
            Self::Float(_) => "a number",
            Self::Bool(_) => "true or false",
        }
    }
}

/// A threshold a rule declares, with its default.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct ParamSpec {
    pub name: &'static str,
    pub default: ParamValue,
    pub doc: &'static str,
}

/// What a rule is: everything `subsidy-audit rules` and `explain` print.
#[derive(Debug, Serialize)]
pub struct RuleMeta {
    pub code: &'static str,
    pub name: &'static str,
    pub summary: &'static str,
    /// The full text: what it flags, why it signals interception, an example, false positives.
    pub doc: &'static str,
    pub severity: Severity,
    /// Columns the rule cannot run without.
    pub columns: &'static [Col],
    /// Columns it uses when present.
    pub optional_columns: &'static [Col],
    /// Reference tables it cannot run without.
    pub references: &'static [Reference],
    pub params: &'static [ParamSpec],
}
