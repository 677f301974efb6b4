//! Baton's JSON-RPC: the standard account-nonce and fee methods, the `gateway_*` methods
//! backed by runtime APIs and the offchain index, and the `relay_*` methods.
#![warn(missing_docs)]

pub mod gateway;
pub mod relay;

use std::sync::Arc;

use baton_runtime::{opaque::Block, AccountId, Balance, Nonce};
use jsonrpsee::RpcModule;
use sc_transaction_pool_api::TransactionPool;
use sp_api::ProvideRuntimeApi;
use sp_block_builder::BlockBuilder;
use sp_blockchain::{Error as BlockChainError, HeaderBackend, HeaderMetadata};

/// What the RPC methods need from the node.
pub struct FullDeps<C, P, S> {
	/// The client, to call runtime APIs.
	pub client: Arc<C>,
	/// The transaction pool, to find the next nonce of an account.
	pub pool: Arc<P>,
	/// The offchain database, where indexed response bodies are kept.
	pub offchain: Option<S>,
}

/// Builds the RPC module with every Baton method.
pub fn create_full<C, P, S>(
	deps: FullDeps<C, P, S>,
) -> Result<RpcModule<()>, Box<dyn std::error::Error + Send + Sync>>
where
	C: ProvideRuntimeApi<Block>
		+ HeaderBackend<Block>
		+ HeaderMetadata<Block, Error = BlockChainError>
		+ Send
		+ Sync
		+ 'static,
	C::Api: substrate_frame_rpc_system::AccountNonceApi<Block, AccountId, Nonce>
		+ pallet_transaction_payment_rpc::TransactionPaymentRuntimeApi<Block, Balance>
		+ BlockBuilder<Block>
		+ baton_primitives::GatewayApi<Block, AccountId, Balance, baton_runtime::BlockNumber>
		+ baton_primitives::OperatorApi<Block, AccountId, Balance, baton_runtime::BlockNumber>
		+ baton_primitives::RelayApi<Block, AccountId, Balance, baton_runtime::BlockNumber>,
	P: TransactionPool + 'static,
	S: sp_core::offchain::OffchainStorage + 'static,
{
	use gateway::{Gateway, GatewayRpcServer};
	use pallet_transaction_payment_rpc::{TransactionPayment, TransactionPaymentApiServer};
	use relay::{Relay, RelayRpcServer};
	use substrate_frame_rpc_system::{System, SystemApiServer};

	let mut module = RpcModule::new(());
	let FullDeps { client, pool, offchain } = deps;

	module.merge(System::new(client.clone(), pool).into_rpc())?;
	module.merge(TransactionPayment::new(client.clone()).into_rpc())?;
	module.merge(Gateway::new(client.clone(), offchain).into_rpc())?;
	module.merge(Relay::new(client).into_rpc())?;

	Ok(module)
}
