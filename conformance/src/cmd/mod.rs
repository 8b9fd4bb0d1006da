//! The subcommands, one module each.

pub(crate) mod load;
pub(crate) mod run;
pub(crate) mod sim;
