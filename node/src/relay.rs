//! The relay endpoint as a node service: it reads the chain through the runtime API at the
//! best block, keeps vouchers in the node's offchain storage (where the relay pallet's worker
//! claims them), signs receipts with the keystore's gateway keys (their pairs loaded once), and
//! reads the chain again on each new best block.

use std::{net::SocketAddr, sync::Arc};

use baton_primitives::{
	ApiId, ApiView, GatewayApi, GatewayKey, RelayApi, SessionId, GATEWAY_KEY_TYPE,
};
use baton_relay_endpoint::{
	chain::{AccountId, Balance, BlockNumber, SessionView},
	ChainSource, Endpoint, Metrics,
};
use baton_runtime::opaque::Block;
use futures::StreamExt;
use sc_client_api::BlockchainEvents;
use sc_keystore::LocalKeystore;
use sc_service::{error::Error as ServiceError, TaskManager};
use sp_api::ProvideRuntimeApi;
use sp_blockchain::HeaderBackend;
use sp_keystore::Keystore;

/// The chain at the best block, through the runtime API; gateway keys from the node's keystore.
struct RuntimeChain<C> {
	client: Arc<C>,
	keystore: Arc<LocalKeystore>,
}

impl<C> ChainSource for RuntimeChain<C>
where
	C: ProvideRuntimeApi<Block> + HeaderBackend<Block> + Send + Sync,
	C::Api: RelayApi<Block, AccountId, Balance, BlockNumber>
		+ GatewayApi<Block, AccountId, Balance, BlockNumber>,
{
	fn best_number(&self) -> BlockNumber {
		self.client.info().best_number
	}

	fn session(&self, id: SessionId) -> Option<SessionView> {
		let best = self.client.info().best_hash;
		self.client.runtime_api().session(best, id).ok().flatten()
	}

	fn api(&self, id: ApiId) -> Option<ApiView<AccountId, Balance>> {
		let best = self.client.info().best_hash;
		GatewayApi::api(&*self.client.runtime_api(), best, id).ok().flatten()
	}

	fn api_secret(
		&self,
		id: ApiId,
		operator: &AccountId,
	) -> Option<baton_primitives::sealing::SealedSecret> {
		let best = self.client.info().best_hash;
		self.client.runtime_api().api_secret(best, id, operator.clone()).ok().flatten()
	}

	fn local_keys(&self) -> Vec<GatewayKey> {
		self.keystore
			.ed25519_public_keys(GATEWAY_KEY_TYPE)
			.into_iter()
			.map(|key| key.0)
			.collect()
	}

	fn key_pair(&self, key: &GatewayKey) -> Option<sp_core::ed25519::Pair> {
		let public = sp_core::ed25519::Public::from_raw(*key);
		let pair = self
			.keystore
			.key_pair::<baton_primitives::crypto::Pair>(&public.into())
			.ok()??;
		Some(pair.into_inner())
	}
}

/// The seeds of the keystore's `seal` keys, from which the node's encryption keys derive.
pub struct KeystoreSeeds(pub Arc<LocalKeystore>);

impl baton_egress::sealing::SealSeeds for KeystoreSeeds {
	fn public_keys(&self) -> Vec<[u8; 32]> {
		self.0
			.ed25519_public_keys(baton_primitives::sealing::SEAL_KEY_TYPE)
			.into_iter()
			.map(|key| key.0)
			.collect()
	}

	fn seed(&self, public: &[u8; 32]) -> Option<[u8; 32]> {
		let public = sp_core::ed25519::Public::from_raw(*public);
		let pair = self
			.0
			.key_pair::<baton_primitives::sealing::seal_crypto::Pair>(&public.into())
			.ok()??;
		Some(pair.into_inner().seed())
	}
}

/// Starts the relay endpoint on `address`.
pub fn start<C, S>(
	address: SocketAddr,
	client: Arc<C>,
	offchain: Option<S>,
	keystore: Arc<LocalKeystore>,
	egress: baton_egress::EgressClient,
	registry: Option<&substrate_prometheus_endpoint::Registry>,
	task_manager: &TaskManager,
) -> Result<(), ServiceError>
where
	C: ProvideRuntimeApi<Block>
		+ HeaderBackend<Block>
		+ BlockchainEvents<Block>
		+ Send
		+ Sync
		+ 'static,
	C::Api: RelayApi<Block, AccountId, Balance, BlockNumber>
		+ GatewayApi<Block, AccountId, Balance, BlockNumber>,
	S: sp_core::offchain::OffchainStorage + 'static,
{
	let offchain = offchain.ok_or_else(|| {
		ServiceError::Other("the relay endpoint keeps vouchers in the offchain database".into())
	})?;
	let metrics = registry
		.map(Metrics::register)
		.transpose()
		.map_err(|e| ServiceError::Other(format!("relay metrics: {e}")))?;
	let genesis_hash = client.info().genesis_hash.into();
	let source = Arc::new(RuntimeChain { client: client.clone(), keystore });
	let endpoint = Arc::new(Endpoint::new(genesis_hash, source, offchain, egress, metrics));
	let listener = baton_relay_endpoint::listen(address)
		.map_err(|e| ServiceError::Other(format!("relay endpoint on {address}: {e}")))?;
	log::info!("Relay endpoint listening on http://{address}");
	task_manager.spawn_handle().spawn(
		"relay-endpoint",
		None,
		baton_relay_endpoint::serve(listener, endpoint.clone()),
	);
	// Runtime calls block: their own thread, not the endpoint's.
	let mut best_blocks = client
		.import_notification_stream()
		.filter(|n| futures::future::ready(n.is_new_best));
	task_manager
		.spawn_handle()
		.spawn_blocking("relay-chain-cache", None, async move {
			while best_blocks.next().await.is_some() {
				endpoint.on_best_block();
			}
		});
	Ok(())
}
