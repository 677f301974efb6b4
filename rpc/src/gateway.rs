//! The `gateway_*` methods: requests, responses with their receipts, quotes and operators.
//! State comes from the runtime APIs; response bodies from the node's offchain index.

use std::{marker::PhantomData, sync::Arc};

use baton_primitives::{
	offchain::keys::response_storage_key, receipt_message, sealing::sealed_response_hash, ApiId,
	GatewayApi, HandoverReason, OperatorApi, OperatorView, QuoteError, RequestId, RequestStatus,
	RequestView, ResponseView, ResultStatus,
};
use baton_runtime::{opaque::Block, AccountId, Balance, BlockNumber};
use jsonrpsee::{
	core::RpcResult,
	proc_macros::rpc,
	types::{error::ErrorObject, ErrorObjectOwned},
};
use serde::Serialize;
use sp_api::ProvideRuntimeApi;
use sp_blockchain::HeaderBackend;
use sp_core::{crypto::Ss58Codec, offchain::OffchainStorage};
use sp_runtime::traits::Block as BlockT;

type Hash = <Block as BlockT>::Hash;

/// A request: where it stands, its operators and their reports.
#[derive(Serialize, Clone)]
#[serde(rename_all = "camelCase")]
pub struct RequestJson {
	id: RequestId,
	api_id: ApiId,
	client: String,
	method: String,
	path: String,
	/// The hash of the request's content (hex), which receipts bind.
	request_hash: String,
	/// `pending`, `completed` or `refunded`.
	status: &'static str,
	/// blake2-256 of the winning response, once completed.
	response_hash: Option<String>,
	/// Block it was settled in.
	settled_at: Option<BlockNumber>,
	/// Fee held in escrow at submission, in the smallest unit (a decimal string).
	fee: String,
	submitted_at: BlockNumber,
	deadline: BlockNumber,
	assigned: Vec<String>,
	backups: Vec<String>,
	/// Backups armed beside assigned operators that had not reported by the end of the backup
	/// grace: each executes and reports too.
	armed: Vec<ArmedJson>,
	reports: Vec<ReportJson>,
	/// Handovers, oldest first.
	handovers: Vec<HandoverJson>,
}

/// A backup armed beside an assigned operator.
#[derive(Serialize, Clone)]
#[serde(rename_all = "camelCase")]
pub struct ArmedJson {
	backup: String,
	/// The assigned operator it is armed beside.
	beside: String,
}

/// One handover of a request.
#[derive(Serialize, Clone)]
#[serde(rename_all = "camelCase")]
pub struct HandoverJson {
	from: String,
	to: String,
	/// `timeout`, `voluntary`, `offline` or `fraud`.
	reason: HandoverReason,
	block: BlockNumber,
	checkpoint: Option<CheckpointJson>,
}

/// The checkpoint of a voluntary handover.
#[derive(Serialize, Clone)]
#[serde(rename_all = "camelCase")]
pub struct CheckpointJson {
	completed_steps: u32,
	state_hash: String,
	/// The content hash (hex) of the request the checkpoint is bound to.
	request_hash: String,
	signature: String,
}

/// One operator's report.
#[derive(Serialize, Clone)]
#[serde(rename_all = "camelCase")]
pub struct ReportJson {
	operator: String,
	status: ResultStatus,
	response_hash: String,
	latency_ms: u32,
	at: BlockNumber,
}

/// The winning response of a completed request with its receipt.
#[derive(Serialize, Clone)]
#[serde(rename_all = "camelCase")]
pub struct ResponseJson {
	request_id: RequestId,
	/// The hash of the request's content (hex), which the receipt binds.
	request_hash: String,
	/// The genesis hash of the chain (hex), which the receipt binds.
	genesis_hash: String,
	operator: String,
	/// The operator's gateway key (hex), which signed the receipt.
	gateway_key: String,
	status: ResultStatus,
	response_hash: String,
	/// ed25519 signature (hex) over SCALE("baton/receipt", genesis hash, request id, request
	/// hash, response hash, status, operator).
	signature: String,
	/// The body as text (bodies are UTF-8), or null if this node has not indexed it or the
	/// request is sealed.
	body: Option<String>,
	/// A sealed request's body as its operator sealed it to the client (hex: HPKE's
	/// encapsulated key, then the ciphertext), or null.
	sealed_body: Option<String>,
	/// A sealed request's plaintext hash (hex), which `response_hash` binds with the sealed
	/// body's hash; the client checks it once it opened the body.
	plaintext_hash: Option<String>,
	/// Whether the body hashes to `response_hash` (a sealed body with the plaintext hash) and
	/// the signature verifies with the gateway key — checked by this node with ed25519-dalek
	/// before serving.
	verified: bool,
}

/// What a request costs now.
#[derive(Serialize, Clone)]
#[serde(rename_all = "camelCase")]
pub struct QuoteJson {
	price_per_operator: String,
	protocol_fee: String,
	total: String,
	eligible_operators: u32,
}

/// An operator serving an API, with its reputation.
#[derive(Serialize, Clone)]
#[serde(rename_all = "camelCase")]
pub struct OperatorJson {
	operator: String,
	gateway_key: String,
	bonded: String,
	available: bool,
	online: bool,
	capacity: u32,
	region: String,
	endpoint: String,
	/// Reputation: mean of Beta(α, β) in parts per billion, α and β in millionths, latency.
	score_ppb: u32,
	alpha_micros: u64,
	beta_micros: u64,
	latency_ms: u32,
}

/// Baton's gateway methods.
#[rpc(server, namespace = "gateway")]
pub trait GatewayRpc {
	/// A request while it is kept: status, operators, reports.
	#[method(name = "request")]
	fn request(&self, id: RequestId, at: Option<Hash>) -> RpcResult<Option<RequestJson>>;

	/// The winning response of a completed request: body, hash, operator and verified receipt.
	#[method(name = "response")]
	fn response(&self, id: RequestId, at: Option<Hash>) -> RpcResult<Option<ResponseJson>>;

	/// What a request to `api_id` with `redundancy` operators (0: the API's default) costs.
	#[method(name = "quote")]
	fn quote(&self, api_id: ApiId, redundancy: u32, at: Option<Hash>) -> RpcResult<QuoteJson>;

	/// The operators that declared they serve `api_id`, with their reputation.
	#[method(name = "operators")]
	fn operators(&self, api_id: ApiId, at: Option<Hash>) -> RpcResult<Vec<OperatorJson>>;
}

/// The gateway methods over a client and the node's offchain storage.
pub struct Gateway<C, S> {
	client: Arc<C>,
	offchain: Option<S>,
	_block: PhantomData<Block>,
}

impl<C, S> Gateway<C, S> {
	/// Serves from `client`; bodies from `offchain` (None if the node keeps no offchain db).
	pub fn new(client: Arc<C>, offchain: Option<S>) -> Self {
		Self { client, offchain, _block: PhantomData }
	}
}

pub(crate) fn runtime_error(error: impl std::fmt::Display) -> ErrorObjectOwned {
	ErrorObject::owned(1, format!("runtime API failed: {error}"), None::<()>)
}

pub(crate) fn hex(bytes: &[u8]) -> String {
	format!("0x{}", ::hex::encode(bytes))
}

pub(crate) fn address(account: &AccountId) -> String {
	account.to_ss58check()
}

/// Whether `body` is the response `receipt` names and its signature by its gateway key covers
/// it, on the chain of `genesis_hash`, for request `request_id`. A sealed request's `body` is
/// the sealed bytes, named with the receipt's plaintext hash.
pub fn verify_receipt(
	genesis_hash: &Hash,
	request_id: RequestId,
	receipt: &ResponseView<AccountId>,
	body: &[u8],
) -> bool {
	let body_hash = sp_crypto_hashing::blake2_256(body);
	let named = match &receipt.plaintext_hash {
		Some(plaintext_hash) => sealed_response_hash(plaintext_hash, &body_hash),
		None => body_hash,
	};
	if named != receipt.response_hash {
		return false;
	}
	let Ok(key) = ed25519_dalek::VerifyingKey::from_bytes(&receipt.gateway_key) else {
		return false;
	};
	let message = receipt_message(
		genesis_hash,
		request_id,
		&receipt.request_hash,
		&receipt.response_hash,
		&receipt.status,
		&receipt.operator,
	);
	key.verify_strict(&message, &ed25519_dalek::Signature::from_bytes(&receipt.signature))
		.is_ok()
}

fn request_json(view: RequestView<AccountId, Balance, BlockNumber>) -> RequestJson {
	let (status, response_hash, settled_at) = match view.status {
		RequestStatus::Pending => ("pending", None, None),
		RequestStatus::Completed { response_hash, at } => {
			("completed", Some(hex(&response_hash)), Some(at))
		},
		RequestStatus::Refunded { at } => ("refunded", None, Some(at)),
	};
	RequestJson {
		id: view.id,
		api_id: view.api_id,
		client: address(&view.client),
		method: String::from_utf8_lossy(&view.method).into_owned(),
		path: String::from_utf8_lossy(&view.path).into_owned(),
		request_hash: hex(&view.request_hash),
		status,
		response_hash,
		settled_at,
		fee: view.fee.to_string(),
		submitted_at: view.submitted_at,
		deadline: view.deadline,
		assigned: view.assigned.iter().map(address).collect(),
		backups: view.backups.iter().map(address).collect(),
		armed: view
			.armed
			.iter()
			.map(|(backup, beside)| ArmedJson { backup: address(backup), beside: address(beside) })
			.collect(),
		reports: view
			.reports
			.into_iter()
			.map(|r| ReportJson {
				operator: address(&r.operator),
				status: r.status,
				response_hash: hex(&r.response_hash),
				latency_ms: r.latency_ms,
				at: r.at,
			})
			.collect(),
		handovers: view
			.handovers
			.into_iter()
			.map(|h| HandoverJson {
				from: address(&h.from),
				to: address(&h.to),
				reason: h.reason,
				block: h.block,
				checkpoint: h.checkpoint.map(|c| CheckpointJson {
					completed_steps: c.completed_steps,
					state_hash: hex(&c.state_hash),
					request_hash: hex(&c.request_hash),
					signature: hex(&c.signature),
				}),
			})
			.collect(),
	}
}

fn operator_json(view: OperatorView<AccountId, Balance, BlockNumber>) -> OperatorJson {
	OperatorJson {
		operator: address(&view.operator),
		gateway_key: hex(&view.gateway_key),
		bonded: view.bonded.to_string(),
		available: view.available,
		online: view.online,
		capacity: view.capacity,
		region: String::from_utf8_lossy(&view.region).into_owned(),
		endpoint: String::from_utf8_lossy(&view.endpoint).into_owned(),
		score_ppb: view.reputation.score.deconstruct(),
		alpha_micros: view.reputation.alpha_micros,
		beta_micros: view.reputation.beta_micros,
		latency_ms: view.reputation.latency_ms,
	}
}

impl<C, S> GatewayRpcServer for Gateway<C, S>
where
	C: ProvideRuntimeApi<Block> + HeaderBackend<Block> + Send + Sync + 'static,
	C::Api: GatewayApi<Block, AccountId, Balance, BlockNumber>
		+ OperatorApi<Block, AccountId, Balance, BlockNumber>,
	S: OffchainStorage + 'static,
{
	fn request(&self, id: RequestId, at: Option<Hash>) -> RpcResult<Option<RequestJson>> {
		let at = at.unwrap_or_else(|| self.client.info().best_hash);
		let view = self.client.runtime_api().request(at, id).map_err(runtime_error)?;
		Ok(view.map(request_json))
	}

	fn response(&self, id: RequestId, at: Option<Hash>) -> RpcResult<Option<ResponseJson>> {
		let at = at.unwrap_or_else(|| self.client.info().best_hash);
		let Some(view) = self.client.runtime_api().response(at, id).map_err(runtime_error)? else {
			return Ok(None);
		};
		let body = self.offchain.as_ref().and_then(|db| {
			db.get(sp_core::offchain::STORAGE_PREFIX, &response_storage_key(id, &view.operator))
		});
		let genesis_hash = self.client.info().genesis_hash;
		let verified =
			body.as_ref().is_some_and(|body| verify_receipt(&genesis_hash, id, &view, body));
		Ok(Some(ResponseJson {
			request_id: id,
			request_hash: hex(&view.request_hash),
			genesis_hash: hex(genesis_hash.as_ref()),
			operator: address(&view.operator),
			gateway_key: hex(&view.gateway_key),
			status: view.status,
			response_hash: hex(&view.response_hash),
			signature: hex(&view.signature),
			body: body
				.as_ref()
				.filter(|_| view.plaintext_hash.is_none())
				.map(|b| String::from_utf8_lossy(b).into_owned()),
			sealed_body: body.as_ref().filter(|_| view.plaintext_hash.is_some()).map(|b| hex(b)),
			plaintext_hash: view.plaintext_hash.as_ref().map(|hash| hex(hash)),
			verified,
		}))
	}

	fn quote(&self, api_id: ApiId, redundancy: u32, at: Option<Hash>) -> RpcResult<QuoteJson> {
		let at = at.unwrap_or_else(|| self.client.info().best_hash);
		let quote =
			self.client.runtime_api().quote(at, api_id, redundancy).map_err(runtime_error)?;
		let quote = quote.map_err(|error| {
			let message = match error {
				QuoteError::UnknownApi => "no API has this id",
				QuoteError::ApiPaused => "the API is paused",
				QuoteError::InvalidRedundancy => {
					"redundancy is above the runtime's maximum or the eligible operators"
				},
			};
			ErrorObject::owned(2, message, None::<()>)
		})?;
		Ok(QuoteJson {
			price_per_operator: quote.price_per_operator.to_string(),
			protocol_fee: quote.protocol_fee.to_string(),
			total: quote.total.to_string(),
			eligible_operators: quote.eligible_operators,
		})
	}

	fn operators(&self, api_id: ApiId, at: Option<Hash>) -> RpcResult<Vec<OperatorJson>> {
		let at = at.unwrap_or_else(|| self.client.info().best_hash);
		let operators = self.client.runtime_api().operators(at, api_id).map_err(runtime_error)?;
		Ok(operators.into_iter().map(operator_json).collect())
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use ed25519_dalek::Signer;

	/// Request 5's receipt on chain `0x0303…`, signed with key `[7; 32]` over `response_hash`.
	fn signed_receipt(
		response_hash: [u8; 32],
		plaintext_hash: Option<[u8; 32]>,
	) -> (Hash, ResponseView<AccountId>) {
		let key = ed25519_dalek::SigningKey::from_bytes(&[7; 32]);
		let operator = AccountId::new([1; 32]);
		let (genesis, request_hash) = (Hash::repeat_byte(3), [4; 32]);
		let status = ResultStatus::Response { code: 200 };
		let message =
			receipt_message(&genesis, 5, &request_hash, &response_hash, &status, &operator);
		let receipt = ResponseView {
			operator,
			request_hash,
			gateway_key: key.verifying_key().to_bytes(),
			status,
			response_hash,
			signature: key.sign(&message).to_bytes(),
			plaintext_hash,
		};
		(genesis, receipt)
	}

	#[test]
	fn a_receipt_verifies_only_for_its_body_request_chain_and_key() {
		let body = br#"{"price":7.25}"#;
		let (genesis, receipt) = signed_receipt(sp_crypto_hashing::blake2_256(body), None);
		assert!(verify_receipt(&genesis, 5, &receipt, body));
		assert!(!verify_receipt(&genesis, 6, &receipt, body));
		assert!(!verify_receipt(&Hash::repeat_byte(9), 5, &receipt, body));
		assert!(!verify_receipt(&genesis, 5, &receipt, b"{}"));
		for forged in [
			ResponseView { request_hash: [5; 32], ..receipt.clone() },
			ResponseView { status: ResultStatus::Timeout, ..receipt.clone() },
			ResponseView {
				gateway_key: ed25519_dalek::SigningKey::from_bytes(&[8; 32])
					.verifying_key()
					.to_bytes(),
				..receipt.clone()
			},
		] {
			assert!(!verify_receipt(&genesis, 5, &forged, body));
		}
	}

	#[test]
	fn a_sealed_receipt_verifies_for_its_sealed_body_and_plaintext_hash() {
		let (sealed, plaintext_hash) = (b"encapped and ciphertext", [6; 32]);
		let response_hash =
			sealed_response_hash(&plaintext_hash, &sp_crypto_hashing::blake2_256(sealed));
		let (genesis, receipt) = signed_receipt(response_hash, Some(plaintext_hash));
		assert!(verify_receipt(&genesis, 5, &receipt, sealed));
		assert!(!verify_receipt(&genesis, 5, &receipt, b"other sealed bytes"));
		let other_plaintext = ResponseView { plaintext_hash: Some([9; 32]), ..receipt.clone() };
		assert!(!verify_receipt(&genesis, 5, &other_plaintext, sealed));
	}
}
