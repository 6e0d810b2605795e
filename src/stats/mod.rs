//! Statistics shared by the rules: binomial tails, multiple testing (Benjamini-Hochberg) and Nigrini's digit
//! tests. Pure functions over counts, so the rules keep only tiny count arrays during the scan.

pub mod binomial;
pub mod digits;
pub mod multiple;
