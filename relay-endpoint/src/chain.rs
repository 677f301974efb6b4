//! What the endpoint knows of the chain: sessions and APIs as of the node's best block, read
//! through a cache that the node refreshes on each new best block, so that an HTTP call costs
//! no runtime call once its session has been seen.

use std::{
	collections::HashMap,
	sync::{
		atomic::{AtomicU32, Ordering},
		Arc,
	},
};

use baton_primitives::{
	sealing::SealedSecret, ApiId, ApiView, GatewayKey, RelaySessionView, SessionId,
};
use parking_lot::RwLock;

/// Accounts in Baton's runtime.
pub type AccountId = sp_runtime::AccountId32;
/// Balances in Baton's runtime.
pub type Balance = u128;
/// Block numbers in Baton's runtime.
pub type BlockNumber = u32;
/// A session as the runtime API serves it.
pub type SessionView = RelaySessionView<AccountId, Balance, BlockNumber>;
/// An API as the runtime API serves it.
pub type Api = ApiView<AccountId, Balance>;

/// Sessions the cache keeps; past this, the ones that are gone from the chain are dropped
/// first, then the rest is read again as calls come.
const MAX_SESSIONS: usize = 4_096;
/// Ids of sessions the chain does not know that the cache remembers within a block, so that a
/// stranger sending random ids costs one runtime call per id per block at most, and no more
/// than this many.
const MAX_UNKNOWN: usize = 1_024;

/// Reads the chain at the node's best block: the runtime APIs, in the node.
pub trait ChainSource: Send + Sync {
	/// The best block's number.
	fn best_number(&self) -> BlockNumber;
	/// A session at the best block.
	fn session(&self, id: SessionId) -> Option<SessionView>;
	/// An API at the best block.
	fn api(&self, id: ApiId) -> Option<Api>;
	/// API `id`'s secret sealed to `operator`, at the best block.
	fn api_secret(&self, id: ApiId, operator: &AccountId) -> Option<SealedSecret>;
	/// The gateway keys in the node's keystore.
	fn local_keys(&self) -> Vec<GatewayKey>;
	/// The key pair of gateway key `key`, from the node's keystore. Called once per key: a
	/// keystore derives the pair from its secret phrase at every use, milliseconds each.
	fn key_pair(&self, key: &GatewayKey) -> Option<sp_core::ed25519::Pair>;
}

/// Sessions, APIs and the node's keys as of the best block.
pub struct ChainCache {
	source: Arc<dyn ChainSource>,
	best: AtomicU32,
	sessions: RwLock<HashMap<SessionId, Option<Arc<SessionView>>>>,
	apis: RwLock<HashMap<ApiId, Option<Arc<Api>>>>,
	secrets: RwLock<HashMap<(ApiId, AccountId), Option<SealedSecret>>>,
	pairs: RwLock<HashMap<GatewayKey, sp_core::ed25519::Pair>>,
}

impl ChainCache {
	/// A cache over `source`, read once now.
	pub fn new(source: Arc<dyn ChainSource>) -> Self {
		let cache = Self {
			best: AtomicU32::new(source.best_number()),
			source,
			sessions: Default::default(),
			apis: Default::default(),
			secrets: Default::default(),
			pairs: Default::default(),
		};
		cache.refresh_keys();
		cache
	}

	/// Loads the pairs of keys new in the keystore, and drops those that left it.
	fn refresh_keys(&self) {
		let keys = self.source.local_keys();
		let known: Vec<GatewayKey> = self.pairs.read().keys().copied().collect();
		let added: Vec<_> = keys
			.iter()
			.filter(|key| !known.contains(key))
			.filter_map(|key| Some((*key, self.source.key_pair(key)?)))
			.collect();
		let mut pairs = self.pairs.write();
		pairs.retain(|key, _| keys.contains(key));
		pairs.extend(added);
	}

	/// The best block's number.
	pub fn best_number(&self) -> BlockNumber {
		self.best.load(Ordering::Relaxed)
	}

	/// Whether this node holds `key`.
	pub fn holds(&self, key: &GatewayKey) -> bool {
		self.pairs.read().contains_key(key)
	}

	/// The pair of `key`, if this node holds it.
	pub fn pair(&self, key: &GatewayKey) -> Option<sp_core::ed25519::Pair> {
		self.pairs.read().get(key).cloned()
	}

	/// Session `id`, read from the chain the first time in a block.
	pub fn session(&self, id: SessionId) -> Option<Arc<SessionView>> {
		if let Some(known) = self.sessions.read().get(&id) {
			return known.clone();
		}
		let read = self.source.session(id).map(Arc::new);
		let mut sessions = self.sessions.write();
		let unknown = sessions.values().filter(|s| s.is_none()).count();
		if read.is_some() || unknown < MAX_UNKNOWN {
			if sessions.len() >= MAX_SESSIONS + MAX_UNKNOWN {
				sessions.retain(|_, s| s.as_ref().is_some_and(|s| s.closed_at.is_none()));
			}
			sessions.insert(id, read.clone());
		}
		read
	}

	/// API `id`, read from the chain the first time in a block.
	pub fn api(&self, id: ApiId) -> Option<Arc<Api>> {
		if let Some(known) = self.apis.read().get(&id) {
			return known.clone();
		}
		let read = self.source.api(id).map(Arc::new);
		self.apis.write().insert(id, read.clone());
		read
	}

	/// API `id`'s secret sealed to `operator`, read from the chain the first time in a block.
	/// Only calls that passed their ticket's checks ask, so strangers cannot fill the cache.
	pub fn api_secret(&self, id: ApiId, operator: &AccountId) -> Option<SealedSecret> {
		let key = (id, operator.clone());
		if let Some(known) = self.secrets.read().get(&key) {
			return known.clone();
		}
		let read = self.source.api_secret(id, operator);
		self.secrets.write().insert(key, read.clone());
		read
	}

	/// Reads again what the cache holds, at the new best block; sessions gone from the chain
	/// (settled) and unknown ids are forgotten.
	pub fn refresh(&self) {
		self.best.store(self.source.best_number(), Ordering::Relaxed);
		self.refresh_keys();
		let ids: Vec<SessionId> = self
			.sessions
			.read()
			.iter()
			.filter_map(|(id, s)| s.is_some().then_some(*id))
			.collect();
		let fresh = ids
			.into_iter()
			.filter_map(|id| Some((id, Some(Arc::new(self.source.session(id)?)))))
			.collect();
		*self.sessions.write() = fresh;
		let api_ids: Vec<ApiId> = self.apis.read().keys().copied().collect();
		let apis = api_ids.into_iter().map(|id| (id, self.source.api(id).map(Arc::new))).collect();
		*self.apis.write() = apis;
		// Secrets change rarely; reading them again as calls come costs a runtime call per
		// (API, operator) and block at most.
		self.secrets.write().clear();
	}
}
