//! The built-in chain specs: `dev`, `local` and `testnet`, built from the runtime's genesis
//! presets.

use baton_runtime::{currency, WASM_BINARY};
use sc_service::ChainType;

/// A chain spec of the Baton runtime.
pub type ChainSpec = sc_service::GenericChainSpec;

/// Token symbol, decimals and address format, so wallets show balances right.
fn properties() -> sc_chain_spec::Properties {
	let mut properties = sc_chain_spec::Properties::new();
	properties.insert("tokenSymbol".into(), currency::TOKEN_SYMBOL.into());
	properties.insert("tokenDecimals".into(), currency::TOKEN_DECIMALS.into());
	properties.insert("ss58Format".into(), 42.into());
	properties
}

fn wasm_binary() -> Result<&'static [u8], String> {
	WASM_BINARY
		.ok_or_else(|| "the runtime wasm was not built; rebuild without SKIP_WASM_BUILD".into())
}

/// One validator (Alice) with sudo: for development.
pub fn development_chain_spec() -> Result<ChainSpec, String> {
	Ok(ChainSpec::builder(wasm_binary()?, None)
		.with_name("Baton Development")
		.with_id("baton_dev")
		.with_chain_type(ChainType::Development)
		.with_genesis_config_preset_name(sp_genesis_builder::DEV_RUNTIME_PRESET)
		.with_properties(properties())
		.build())
}

/// Four validators (Alice, Bob, Charlie, Dave), no sudo key: a local test network.
pub fn local_chain_spec() -> Result<ChainSpec, String> {
	Ok(ChainSpec::builder(wasm_binary()?, None)
		.with_name("Baton Local Testnet")
		.with_id("baton_local")
		.with_chain_type(ChainType::Local)
		.with_genesis_config_preset_name(sp_genesis_builder::LOCAL_TESTNET_RUNTIME_PRESET)
		.with_properties(properties())
		.build())
}

/// A public network's template, with no validator, council member or endowment: the input of
/// `scripts/testnet-spec.py`, which puts in the founders' keys (docs/deploy.md). Not a chain to
/// run as it is: nobody could author its blocks.
pub fn testnet_template_chain_spec() -> Result<ChainSpec, String> {
	Ok(ChainSpec::builder(wasm_binary()?, None)
		.with_name("Baton Testnet")
		.with_id("baton_testnet")
		.with_chain_type(ChainType::Live)
		.with_genesis_config_preset_name(
			baton_runtime::genesis_config_presets::TESTNET_RUNTIME_PRESET,
		)
		.with_properties(properties())
		.build())
}
