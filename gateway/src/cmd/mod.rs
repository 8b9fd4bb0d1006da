//! The subcommands.

pub mod ids;
pub mod translate;
