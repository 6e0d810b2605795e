//! subsidy-audit: scan subsidy disbursement ledgers and refer cases of interception and misappropriation.

pub mod error;
pub mod evaluate;
pub mod generate;
pub mod ident;
pub mod money;
pub mod period;
pub mod scheme;
