//! The ledger: which files make it, how their columns map to the canonical ones, and the projected parallel
//! reader that turns row groups into typed [`batch::Batch`]es.

pub mod batch;
pub mod column;
pub mod decode;
pub mod guard;
pub mod hash;
pub mod payees;
pub mod reader;
pub mod source;
