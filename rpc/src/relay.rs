//! The `relay_*` methods: relay sessions, their operators and what each has been paid for.

use std::{marker::PhantomData, sync::Arc};

use baton_primitives::{RelayApi, RelaySessionView, SessionId};
use baton_runtime::{opaque::Block, AccountId, Balance, BlockNumber};
use jsonrpsee::{core::RpcResult, proc_macros::rpc};
use serde::Serialize;
use sp_api::ProvideRuntimeApi;
use sp_blockchain::HeaderBackend;
use sp_runtime::traits::Block as BlockT;

use crate::gateway::{address, hex, runtime_error};

type Hash = <Block as BlockT>::Hash;

/// A relay session, until it settles. Balances are decimal strings in the smallest unit.
#[derive(Serialize, Clone)]
#[serde(rename_all = "camelCase")]
pub struct SessionJson {
	id: SessionId,
	client: String,
	api_id: baton_primitives::ApiId,
	/// Paid to the operator per call.
	price_per_call: String,
	/// Paid to the treasury per call.
	protocol_fee: String,
	/// What one call costs the client: the two above.
	cost: String,
	/// What each operator may be paid at most, protocol fees included.
	allowance: String,
	/// In the order routing ranked them.
	operators: Vec<SessionOperatorJson>,
	opened_at: BlockNumber,
	/// Last block calls are served in.
	expires_at: BlockNumber,
	/// `open` or `closed`.
	status: &'static str,
	closed_at: Option<BlockNumber>,
	/// Last block claims are taken in, once closed.
	claims_until: Option<BlockNumber>,
}

/// One of a session's operators.
#[derive(Serialize, Clone)]
#[serde(rename_all = "camelCase")]
pub struct SessionOperatorJson {
	operator: String,
	/// The gateway key (hex) its receipts are signed with; null once it is no longer bonded.
	gateway_key: Option<String>,
	/// Calls it has been paid for.
	claimed_calls: u64,
}

/// Baton's relay methods.
#[rpc(server, namespace = "relay")]
pub trait RelayRpc {
	/// A relay session, until it settles.
	#[method(name = "session")]
	fn session(&self, id: SessionId, at: Option<Hash>) -> RpcResult<Option<SessionJson>>;

	/// A client's sessions, until they settle.
	#[method(name = "sessions")]
	fn sessions(&self, client: AccountId, at: Option<Hash>) -> RpcResult<Vec<SessionJson>>;
}

/// The relay methods over a client.
pub struct Relay<C> {
	client: Arc<C>,
	_block: PhantomData<Block>,
}

impl<C> Relay<C> {
	/// Serves from `client`'s runtime API.
	pub fn new(client: Arc<C>) -> Self {
		Self { client, _block: PhantomData }
	}
}

fn session_json(view: RelaySessionView<AccountId, Balance, BlockNumber>) -> SessionJson {
	SessionJson {
		id: view.id,
		client: address(&view.client),
		api_id: view.api_id,
		price_per_call: view.price_per_call.to_string(),
		protocol_fee: view.protocol_fee.to_string(),
		cost: view.price_per_call.saturating_add(view.protocol_fee).to_string(),
		allowance: view.allowance.to_string(),
		operators: view
			.operators
			.into_iter()
			.map(|o| SessionOperatorJson {
				operator: address(&o.operator),
				gateway_key: o.gateway_key.map(|key| hex(&key)),
				claimed_calls: o.claimed_calls,
			})
			.collect(),
		opened_at: view.opened_at,
		expires_at: view.expires_at,
		status: if view.closed_at.is_some() { "closed" } else { "open" },
		closed_at: view.closed_at,
		claims_until: view.claims_until,
	}
}

impl<C> RelayRpcServer for Relay<C>
where
	C: ProvideRuntimeApi<Block> + HeaderBackend<Block> + Send + Sync + 'static,
	C::Api: RelayApi<Block, AccountId, Balance, BlockNumber>,
{
	fn session(&self, id: SessionId, at: Option<Hash>) -> RpcResult<Option<SessionJson>> {
		let at = at.unwrap_or_else(|| self.client.info().best_hash);
		let view = self.client.runtime_api().session(at, id).map_err(runtime_error)?;
		Ok(view.map(session_json))
	}

	fn sessions(&self, client: AccountId, at: Option<Hash>) -> RpcResult<Vec<SessionJson>> {
		let at = at.unwrap_or_else(|| self.client.info().best_hash);
		let views = self.client.runtime_api().sessions(at, client).map_err(runtime_error)?;
		Ok(views.into_iter().map(session_json).collect())
	}
}
