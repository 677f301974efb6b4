//! Command-line interface of `baton-node`.

use clap::{parser::ValueSource, CommandFactory, FromArgMatches};
use sc_cli::{RunCmd, SubstrateCli};

/// The node's subcommands.
#[derive(Debug, clap::Subcommand)]
#[allow(
	clippy::large_enum_variant,
	reason = "parsed once at start-up; boxing the SDK's commands would change nothing measurable"
)]
pub enum Subcommand {
	/// Key management: generate, inspect, and `insert` (e.g. the operator's `gate` key).
	#[command(subcommand)]
	Key(sc_cli::KeySubcommand),

	/// Build a chain specification.
	#[deprecated(note = "build-spec will be removed; use export-chain-spec")]
	BuildSpec(sc_cli::BuildSpecCmd),

	/// Export the chain specification.
	ExportChainSpec(sc_cli::ExportChainSpecCmd),

	/// Validate blocks.
	CheckBlock(sc_cli::CheckBlockCmd),

	/// Export blocks.
	ExportBlocks(sc_cli::ExportBlocksCmd),

	/// Export the state of a given block into a chain spec.
	ExportState(sc_cli::ExportStateCmd),

	/// Import blocks.
	ImportBlocks(sc_cli::ImportBlocksCmd),

	/// Remove the whole chain.
	PurgeChain(sc_cli::PurgeChainCmd),

	/// Revert the chain to a previous state.
	Revert(sc_cli::RevertCmd),

	/// Runtime benchmarks: `benchmark pallet` generates the weights of Baton's pallets. Built
	/// with `--features runtime-benchmarks` only (scripts/benchmark-weights.sh).
	#[cfg(feature = "runtime-benchmarks")]
	#[command(subcommand)]
	Benchmark(frame_benchmarking_cli::BenchmarkCmd),

	/// Db meta columns information.
	ChainInfo(sc_cli::ChainInfoCmd),
}

/// The command line of `baton-node`.
#[derive(Debug, clap::Parser)]
pub struct Cli {
	/// A subcommand; without one the node runs.
	#[command(subcommand)]
	pub subcommand: Option<Subcommand>,

	/// Options of the running node.
	#[clap(flatten)]
	pub run: RunCmd,

	/// Hosts the gateway's offchain worker may call although they are not public addresses,
	/// comma-separated names or IP literals (e.g. `127.0.0.2,localhost`), for development and
	/// tests. Every other destination must resolve to a public address.
	#[arg(long, value_delimiter = ',', value_name = "HOSTS")]
	pub gateway_allow_hosts: Vec<String>,

	/// Port of the relay endpoint, where clients of relay sessions send their calls
	/// (docs/relay.md). Off unless given; 9955 with `--dev`.
	#[arg(long, value_name = "PORT")]
	pub relay_port: Option<u16>,

	/// Serve the relay endpoint on all interfaces, not only on 127.0.0.1.
	#[arg(long)]
	pub relay_external: bool,
}

/// The relay endpoint's port with `--dev` when none is given.
const DEV_RELAY_PORT: u16 = 9955;

impl Cli {
	/// Parses the command line, with Baton's defaults where the user said nothing: offchain
	/// indexing is on (the gateway keeps response bodies through it).
	pub fn from_args_with_baton_defaults() -> Cli {
		let command = <Cli as SubstrateCli>::setup_command(<Cli as CommandFactory>::command());
		let matches = command.get_matches();
		let mut cli = Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
		if matches.value_source("indexing_enabled") != Some(ValueSource::CommandLine) {
			cli.run.offchain_worker_params.indexing_enabled = true;
		}
		if cli.relay_port.is_none() && cli.run.shared_params.dev {
			cli.relay_port = Some(DEV_RELAY_PORT);
		}
		cli
	}

	/// Where the relay endpoint listens, if it is on.
	pub fn relay_address(&self) -> Option<std::net::SocketAddr> {
		let ip = if self.relay_external {
			std::net::Ipv4Addr::UNSPECIFIED
		} else {
			std::net::Ipv4Addr::LOCALHOST
		};
		self.relay_port.map(|port| (ip, port).into())
	}
}
