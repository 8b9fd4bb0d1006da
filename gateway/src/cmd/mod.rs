//! The subcommands.

pub mod ids;
pub mod serve;
pub mod translate;
