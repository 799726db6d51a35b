//! Format recognition by content and the per-format parsers.

pub mod compress;
pub mod numpy;
pub mod pickle;
pub mod sevenz;
pub mod sniff;
pub mod tar;
pub mod torch;
pub mod zip;
