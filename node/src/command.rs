//! What each subcommand does.

use baton_runtime::opaque::Block;
use sc_cli::SubstrateCli;
use sc_service::PartialComponents;

use crate::{
	chain_spec,
	cli::{Cli, Subcommand},
	service,
};

impl SubstrateCli for Cli {
	fn impl_name() -> String {
		"Baton Node".into()
	}

	fn impl_version() -> String {
		env!("SUBSTRATE_CLI_IMPL_VERSION").into()
	}

	fn description() -> String {
		env!("CARGO_PKG_DESCRIPTION").into()
	}

	fn author() -> String {
		env!("CARGO_PKG_AUTHORS").into()
	}

	fn support_url() -> String {
		"https://baton.invalid/issues".into()
	}

	fn copyright_start_year() -> i32 {
		2026
	}

	fn load_spec(&self, id: &str) -> Result<Box<dyn sc_service::ChainSpec>, String> {
		Ok(match id {
			"dev" => Box::new(chain_spec::development_chain_spec()?),
			"" | "local" => Box::new(chain_spec::local_chain_spec()?),
			"testnet" => Box::new(chain_spec::testnet_template_chain_spec()?),
			path => {
				Box::new(chain_spec::ChainSpec::from_json_file(std::path::PathBuf::from(path))?)
			},
		})
	}
}

/// Parses the command line and runs what it asks for.
pub fn run() -> sc_cli::Result<()> {
	let cli = Cli::from_args_with_baton_defaults();

	match &cli.subcommand {
		Some(Subcommand::Key(cmd)) => cmd.run(&cli),
		#[allow(
			deprecated,
			reason = "our scripts still call build-spec, which we mark deprecated for users"
		)]
		Some(Subcommand::BuildSpec(cmd)) => {
			let runner = cli.create_runner(cmd)?;
			runner.sync_run(|config| cmd.run(config.chain_spec, config.network))
		},
		Some(Subcommand::ExportChainSpec(cmd)) => {
			let chain_spec = cli.load_spec(&cmd.chain)?;
			cmd.run(chain_spec)
		},
		Some(Subcommand::CheckBlock(cmd)) => {
			let runner = cli.create_runner(cmd)?;
			runner.async_run(|config| {
				let PartialComponents { client, task_manager, import_queue, .. } =
					service::new_partial(&config)?;
				Ok((cmd.run(client, import_queue), task_manager))
			})
		},
		Some(Subcommand::ExportBlocks(cmd)) => {
			let runner = cli.create_runner(cmd)?;
			runner.async_run(|config| {
				let PartialComponents { client, task_manager, .. } = service::new_partial(&config)?;
				Ok((cmd.run(client, config.database), task_manager))
			})
		},
		Some(Subcommand::ExportState(cmd)) => {
			let runner = cli.create_runner(cmd)?;
			runner.async_run(|config| {
				let PartialComponents { client, task_manager, .. } = service::new_partial(&config)?;
				Ok((cmd.run(client, config.chain_spec), task_manager))
			})
		},
		Some(Subcommand::ImportBlocks(cmd)) => {
			let runner = cli.create_runner(cmd)?;
			runner.async_run(|config| {
				let PartialComponents { client, task_manager, import_queue, .. } =
					service::new_partial(&config)?;
				Ok((cmd.run(client, import_queue), task_manager))
			})
		},
		Some(Subcommand::PurgeChain(cmd)) => {
			let runner = cli.create_runner(cmd)?;
			runner.sync_run(|config| cmd.run(config.database))
		},
		Some(Subcommand::Revert(cmd)) => {
			let runner = cli.create_runner(cmd)?;
			runner.async_run(|config| {
				let PartialComponents { client, task_manager, backend, .. } =
					service::new_partial(&config)?;
				let aux_revert = Box::new(|client, _, blocks| {
					sc_consensus_grandpa::revert(client, blocks)?;
					Ok(())
				});
				Ok((cmd.run(client, backend, Some(aux_revert)), task_manager))
			})
		},
		#[cfg(feature = "runtime-benchmarks")]
		Some(Subcommand::Benchmark(cmd)) => {
			use frame_benchmarking_cli::BenchmarkCmd;
			let runner = cli.create_runner(cmd)?;
			runner.sync_run(|config| {
				match cmd {
				// The runtime imports the egress host function, which the CLI's executor lacks.
				BenchmarkCmd::Pallet(cmd) => cmd
					.run_with_spec::<
						sp_runtime::traits::HashingFor<Block>,
						baton_primitives::egress::upstream::HostFunctions,
					>(Some(config.chain_spec)),
				BenchmarkCmd::Machine(cmd) =>
					cmd.run(&config, frame_benchmarking_cli::SUBSTRATE_REFERENCE_HARDWARE.clone()),
				// The base weights of a block and of an extrinsic, from blocks of remarks.
				BenchmarkCmd::Overhead(cmd) =>
					cmd.run_with_default_builder_and_spec::<
						Block,
						baton_primitives::egress::upstream::HostFunctions,
					>(Some(config.chain_spec)),
				_ => Err("baton-node supports `benchmark pallet`, `overhead` and `machine`".into()),
			}
			})
		},
		Some(Subcommand::ChainInfo(cmd)) => {
			let runner = cli.create_runner(cmd)?;
			runner.sync_run(|config| cmd.run::<Block>(&config))
		},
		None => {
			let runner = cli.create_runner(&cli.run)?;
			let gateway = service::GatewayOptions {
				egress: baton_egress::Policy::allow_hosts(cli.gateway_allow_hosts.clone()),
				relay: cli.relay_address(),
			};
			runner.run_node_until_exit(|config| async move {
				use sc_network::config::NetworkBackendType;
				type Hash = <Block as sp_runtime::traits::Block>::Hash;
				match config.network.network_backend {
					NetworkBackendType::Libp2p => {
						service::new_full::<sc_network::NetworkWorker<Block, Hash>>(config, gateway)
					},
					NetworkBackendType::Litep2p => {
						service::new_full::<sc_network::Litep2pNetworkBackend>(config, gateway)
					},
				}
				.map_err(sc_cli::Error::Service)
			})
		},
	}
}
