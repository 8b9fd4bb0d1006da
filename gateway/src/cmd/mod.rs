//! The subcommands.

pub mod demo;
pub mod ids;
pub mod serve;
pub mod translate;
