//! Prometheus gauges of the operators whose gateway keys are in this node's keystore, read from
//! the chain at each new best block: what an operator's alerts need to warn before the chain
//! acts (a key account too poor to sign reports, heartbeats not landing, assignments near
//! capacity, a jail). docs/operations.md has the alert rules and the Grafana dashboard.

use std::sync::Arc;

use baton_primitives::{OperatorApi, GATEWAY_KEY_TYPE};
use baton_runtime::{
	currency::UNIT, opaque::Block, AccountId, Balance, BlockNumber, Nonce, Runtime,
};
use codec::Decode;
use futures::StreamExt;
use sc_client_api::{BlockchainEvents, StorageKey, StorageProvider};
use sc_keystore::LocalKeystore;
use sp_api::ProvideRuntimeApi;
use sp_blockchain::HeaderBackend;
use sp_core::crypto::Ss58Codec;
use sp_keystore::Keystore;
use substrate_prometheus_endpoint::{register, GaugeVec, Opts, PrometheusError, Registry, F64};

use crate::service::{FullBackend, FullClient};

/// One gauge per fact, labelled by the operator's address.
struct Gauges {
	key_balance: GaugeVec<F64>,
	bonded: GaugeVec<F64>,
	online: GaugeVec<F64>,
	jailed: GaugeVec<F64>,
	blocks_since_heartbeat: GaugeVec<F64>,
	open_assignments: GaugeVec<F64>,
	capacity: GaugeVec<F64>,
	score: GaugeVec<F64>,
}

fn gauge(registry: &Registry, name: &str, help: &str) -> Result<GaugeVec<F64>, PrometheusError> {
	register(GaugeVec::new(Opts::new(name, help), &["operator"])?, registry)
}

impl Gauges {
	fn register(registry: &Registry) -> Result<Self, PrometheusError> {
		Ok(Self {
			key_balance: gauge(
				registry,
				"baton_operator_key_balance",
				"Free balance of the gateway key's account, in BTN: reports need it to exist",
			)?,
			bonded: gauge(registry, "baton_operator_bonded", "Stake bonded, in BTN")?,
			online: gauge(registry, "baton_operator_online", "1 while its heartbeats are on time")?,
			jailed: gauge(registry, "baton_operator_jailed", "1 while jailed")?,
			blocks_since_heartbeat: gauge(
				registry,
				"baton_operator_blocks_since_heartbeat",
				"Blocks since its last heartbeat landed (or its bond or activation)",
			)?,
			open_assignments: gauge(
				registry,
				"baton_operator_open_assignments",
				"Requests assigned and not yet reported, plus open relay sessions",
			)?,
			capacity: gauge(
				registry,
				"baton_operator_capacity",
				"Concurrent requests it may take: declared capacity limited by stake",
			)?,
			score: gauge(
				registry,
				"baton_operator_reputation_score",
				"Reputation: the mean of its Beta score, 0 to 1",
			)?,
		})
	}

	fn all(&self) -> [&GaugeVec<F64>; 8] {
		[
			&self.key_balance,
			&self.bonded,
			&self.online,
			&self.jailed,
			&self.blocks_since_heartbeat,
			&self.open_assignments,
			&self.capacity,
			&self.score,
		]
	}
}

/// A balance in BTN, for a gauge: precise to far below what an alert compares.
fn btn(balance: Balance) -> f64 {
	balance as f64 / UNIT as f64
}

/// A storage value at block `at`, decoded; none if absent or unreadable.
fn read<T: Decode>(
	client: &FullClient,
	at: <Block as sp_runtime::traits::Block>::Hash,
	key: Vec<u8>,
) -> Option<T> {
	let data =
		StorageProvider::<Block, FullBackend>::storage(client, at, &StorageKey(key)).ok()??;
	T::decode(&mut &data.0[..]).ok()
}

/// Sets the gauges from the chain at the best block, for every gateway key in the keystore
/// whose account an operator bound; the gauges of keys no longer bound are dropped.
fn update(gauges: &Gauges, client: &FullClient, keystore: &LocalKeystore) {
	let info = client.info();
	let at = info.best_hash;
	gauges.all().iter().for_each(|g| g.reset());
	for key in keystore.ed25519_public_keys(GATEWAY_KEY_TYPE) {
		let key_account = AccountId::from(key.0);
		let owner_key = pallet_operator_staking::KeyOwners::<Runtime>::hashed_key_for(&key_account);
		let Some(operator) = read::<AccountId>(client, at, owner_key) else { continue };
		let Ok(Some(view)) = OperatorApi::<Block, AccountId, Balance, BlockNumber>::operator(
			&*client.runtime_api(),
			at,
			operator.clone(),
		) else {
			continue;
		};
		let account =
			read::<frame_system::AccountInfo<Nonce, pallet_balances::AccountData<Balance>>>(
				client,
				at,
				frame_system::Account::<Runtime>::hashed_key_for(&key_account),
			)
			.unwrap_or_default();
		let load =
			read::<u32>(client, at, pallet_gateway::Load::<Runtime>::hashed_key_for(&operator))
				.unwrap_or_default();
		let jailed = view.jailed_until.is_some_and(|until| until > info.best_number);
		let address = operator.to_ss58check();
		let set =
			|g: &GaugeVec<F64>, value: f64| g.with_label_values(&[address.as_str()]).set(value);
		set(&gauges.key_balance, btn(account.data.free));
		set(&gauges.bonded, btn(view.bonded));
		set(&gauges.online, f64::from(u8::from(view.online)));
		set(&gauges.jailed, f64::from(u8::from(jailed)));
		set(
			&gauges.blocks_since_heartbeat,
			f64::from(info.best_number.saturating_sub(view.last_heartbeat)),
		);
		set(&gauges.open_assignments, f64::from(load));
		set(&gauges.capacity, f64::from(view.capacity));
		set(&gauges.score, f64::from(view.reputation.score.deconstruct()) / 1e9);
	}
}

/// Registers the gauges and returns the task that sets them at each new best block.
pub fn task(
	registry: &Registry,
	client: Arc<FullClient>,
	keystore: Arc<LocalKeystore>,
) -> Result<impl std::future::Future<Output = ()>, PrometheusError> {
	let gauges = Gauges::register(registry)?;
	let mut best_blocks = client
		.import_notification_stream()
		.filter(|n| futures::future::ready(n.is_new_best));
	Ok(async move {
		while best_blocks.next().await.is_some() {
			update(&gauges, &client, &keystore);
		}
	})
}
