//! The Baton node.
#![warn(missing_docs)]

mod chain_spec;
mod cli;
mod command;
mod metrics;
mod service;

fn main() -> sc_cli::Result<()> {
	command::run()
}
