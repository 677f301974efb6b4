//! The Baton node.
#![warn(missing_docs)]
#![allow(
	clippy::result_large_err,
	reason = "`sc_cli::Error` is the SDK's error type, returned as the SDK's commands return it"
)]

mod chain_spec;
mod cli;
mod command;
mod metrics;
mod operator_metrics;
mod relay;
mod service;

fn main() -> sc_cli::Result<()> {
	command::run()
}
