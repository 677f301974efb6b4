//! `baton request <api> <METHOD> <path>`: a settled request, signed with the client's account key.
//! With `--wait` it follows the request to its end and prints the upstream's body once its
//! receipt verifies in the program: the operator's bonded gateway key signed this chain's
//! genesis hash, the hash of what this program asked (computed here), and the body's hash, which
//! is also the hash the chain settled on. With `--sealed` its headers and body go sealed to the
//! operators routing chose (its path too, if the API keeps paths confidential), and the answer
//! comes back sealed to a key this program makes for it (docs/confidential.md).

use baton_egress::sealing;
use baton_primitives::{
	egress::is_valid_path,
	receipt_message,
	sealing::{
		sealed_call_info, sealed_response_hash, sealed_response_info, SealTerms, SealedCall,
	},
	ApiId, OperatorView, RequestId, RequestStatus, RequestView, ResponseView,
};
use baton_runtime::{AccountId, Balance, BlockNumber, Runtime, RuntimeCall, RuntimeEvent};
use pallet_gateway::{ApiSpec, NewRequest, Request};
use serde_json::json;
use sp_core::{crypto::Ss58Codec, ed25519, Pair};

use crate::{chain::Chain, output::Output, sessions::format_btn, transactions::Signer};

/// Blocks `--wait` follows a request past its deadline before it gives up: settlement of a
/// missed deadline hands the request on and extends it.
const WAIT_PAST_DEADLINE: u32 = 40;
/// How often `--wait` asks again.
const POLL: std::time::Duration = std::time::Duration::from_millis(500);

/// `Name: value` as a header.
pub fn header(text: &str) -> Result<(String, String), String> {
	let (name, value) = text
		.split_once(':')
		.ok_or_else(|| format!("{text}: a header is \"Name: value\""))?;
	Ok((name.trim().to_owned(), value.trim().to_owned()))
}

/// What `baton request` asks for.
pub struct Ask {
	pub api_id: ApiId,
	pub request: NewRequest<Runtime>,
	/// For a sealed request: its call, and the key its answer is sealed to.
	pub sealed: Option<(SealedCall, sealing::PrivateKey)>,
}

impl Ask {
	/// A request of `method` `path` with `headers` and `body`, on `redundancy` operators (0: the
	/// API's default), for at most `max_fee`, due by block `deadline`.
	pub fn new(
		api_id: ApiId,
		method: &str,
		path: &str,
		headers: Vec<(String, String)>,
		body: Vec<u8>,
		(redundancy, max_fee, deadline): (u32, Balance, BlockNumber),
	) -> Result<Self, String> {
		let too_long = |what: &str| format!("{what}: longer than the chain allows");
		// Checked here, as the chain would: a sealed path the chain cannot see would be refused
		// by every operator, the fee spent.
		if !is_valid_path(path.as_bytes()) {
			return Err(format!(
				"the path {path:?}: it must start with / and hold no spaces or control characters"
			));
		}
		let headers = headers
			.into_iter()
			.map(|(name, value)| {
				Ok((
					name.into_bytes().try_into().map_err(|_| too_long("a header's name"))?,
					value.into_bytes().try_into().map_err(|_| too_long("a header's value"))?,
				))
			})
			.collect::<Result<Vec<_>, String>>()?;
		let request = NewRequest {
			method: crate::apis::method(method)?,
			path: path.as_bytes().to_vec().try_into().map_err(|_| too_long("the path"))?,
			headers: headers
				.try_into()
				.map_err(|_| "more headers than the chain allows".to_owned())?,
			body: body.try_into().map_err(|_| too_long("the body"))?,
			redundancy,
			max_fee,
			deadline,
			sealed: None,
		};
		Ok(Self { api_id, request, sealed: None })
	}

	/// This request as API `spec` takes it: sealed if `sealed`. A plain request to an API that
	/// keeps its paths confidential is refused here, since its transaction would publish the
	/// path even though the chain refuses it.
	pub fn for_api(self, spec: &ApiSpec<Runtime>, sealed: bool) -> Result<Self, String> {
		match (sealed, spec.confidential_path) {
			(true, confidential) => Ok(self.sealed(confidential)),
			(false, true) => Err(format!(
				"gateway.ConfidentialPath: API {} keeps its paths confidential and takes sealed \
				 requests only; a plain one would publish the path. What to do: {}.",
				self.api_id,
				crate::transactions::hint("gateway", "ConfidentialPath").unwrap_or_default()
			)),
			(false, false) => Ok(self),
		}
	}

	/// This request sealed: its headers and body (and its path, if its API keeps paths
	/// confidential) move into the call its client seals to each operator, and its answer is
	/// sealed to a fresh key.
	fn sealed(mut self, confidential_path: bool) -> Self {
		let path = if confidential_path {
			core::mem::take(&mut self.request.path).into_inner()
		} else {
			Vec::new()
		};
		let call = SealedCall {
			path,
			headers: core::mem::take(&mut self.request.headers)
				.into_iter()
				.map(|(name, value)| (name.into_inner(), value.into_inner()))
				.collect(),
			body: core::mem::take(&mut self.request.body).into_inner(),
		};
		let (secret, client_key) = sealing::derive_key(&ed25519::Pair::generate().1);
		self.request.sealed = Some(SealTerms { client_key, content_hash: call.content_hash() });
		self.sealed = Some((call, secret));
		self
	}
}

/// The quote's total for `redundancy` operators on `api_id`: what a request costs now.
pub async fn quote(chain: &Chain, api_id: ApiId, redundancy: u32) -> Result<Balance, String> {
	let quote = chain.call("gateway_quote", json!([api_id, redundancy])).await?;
	quote["total"]
		.as_str()
		.and_then(|total| total.parse().ok())
		.ok_or_else(|| format!("gateway_quote: no total in {quote}"))
}

/// Submits `ask` as `signer`; with `wait`, follows it to the end and prints the verified
/// response and its receipt. Returns whether the request completed (or, without `wait`, was
/// accepted).
pub async fn request(
	chain: &Chain,
	signer: &Signer,
	ask: Ask,
	wait: bool,
	out: Output,
) -> Result<bool, String> {
	let r = &ask.request;
	let call = RuntimeCall::Gateway(match r.sealed {
		None => pallet_gateway::Call::submit_request {
			api_id: ask.api_id,
			method: r.method,
			path: r.path.clone(),
			headers: r.headers.clone(),
			body: r.body.clone(),
			redundancy: r.redundancy,
			max_fee: r.max_fee,
			deadline: r.deadline,
		},
		Some(seal) => pallet_gateway::Call::submit_sealed_request {
			api_id: ask.api_id,
			method: r.method,
			path: r.path.clone(),
			seal,
			redundancy: r.redundancy,
			max_fee: r.max_fee,
			deadline: r.deadline,
		},
	});
	let included = chain.submit(signer, call, |step| out.progress(step)).await?;
	let (id, fee, assigned) = included
		.events
		.iter()
		.find_map(|event| match event {
			RuntimeEvent::Gateway(pallet_gateway::Event::RequestSubmitted {
				request_id,
				fee,
				assigned,
				..
			}) => Some((*request_id, *fee, assigned.clone())),
			_ => None,
		})
		.ok_or("the transaction succeeded without submitting a request")?;
	let assigned: Vec<String> = assigned.iter().map(|a| a.to_ss58check()).collect();
	if let Some((call, _)) = &ask.sealed {
		seal(chain, signer, id, call, out).await?;
	}
	if !wait {
		out.result(
			|| format!("request {id}: {} in escrow, assigned to {}", format_btn(fee), assigned.join(", ")),
			json!({ "requestId": id, "fee": fee.to_string(), "assigned": assigned, "block": included.block }),
		);
		return Ok(true);
	}
	out.progress(&format!(
		"request {id}: {} in escrow, assigned to {}",
		format_btn(fee),
		assigned.join(", ")
	));
	// The hash of what this program asked, with the terms and price the chain fixed for it.
	let stored: Request<Runtime> = chain
		.storage(&pallet_gateway::Requests::<Runtime>::hashed_key_for(id))
		.await?
		.ok_or_else(|| format!("request {id} is not stored"))?;
	let asked = pallet_gateway::request_hash::<Runtime>(
		&signer.account(),
		ask.api_id,
		r,
		&stored.terms,
		stored.price,
	);
	let view = settle(chain, id, r.deadline, out).await?;
	match view.status {
		RequestStatus::Completed { response_hash, at } => {
			let opener = ask.sealed.as_ref().map(|(_, secret)| secret);
			let (body, receipt) = verified(chain, id, &asked, &response_hash, opener).await?;
			let operator = receipt.operator.to_ss58check();
			let status = serde_json::to_value(receipt.status).map_err(|e| e.to_string())?;
			out.result(
				|| {
					format!(
						"request {id} completed in block #{at}\n{body}\nreceipt: {status} signed by {operator}'s \
						 gateway key 0x{}, verified here (request 0x{}, response 0x{})",
						hex::encode(receipt.gateway_key),
						hex::encode(receipt.request_hash),
						hex::encode(receipt.response_hash),
					)
				},
				json!({
					"requestId": id, "status": "completed", "settledAt": at, "body": body,
					"fee": fee.to_string(),
					"receipt": {
						"operator": operator, "gatewayKey": format!("0x{}", hex::encode(receipt.gateway_key)),
						"status": status, "requestHash": format!("0x{}", hex::encode(receipt.request_hash)),
						"responseHash": format!("0x{}", hex::encode(receipt.response_hash)),
						"signature": format!("0x{}", hex::encode(receipt.signature)), "verified": true,
					},
				}),
			);
			Ok(true)
		},
		RequestStatus::Refunded { at } => {
			let reports: Vec<_> = view
				.reports
				.iter()
				.map(|report| serde_json::to_value(report.status).unwrap_or_default())
				.collect();
			out.result(
				|| format!("request {id} refunded in block #{at}: reports {reports:?}"),
				json!({ "requestId": id, "status": "refunded", "settledAt": at, "reports": reports }),
			);
			Ok(false)
		},
		RequestStatus::Pending => Err(format!("request {id} is still pending")),
	}
}

/// Seals sealed request `id`'s `call` to each operator and backup routing chose, each to its
/// encryption key, in one `seal_request`.
async fn seal(
	chain: &Chain,
	signer: &Signer,
	id: RequestId,
	call: &SealedCall,
	out: Output,
) -> Result<(), String> {
	let stored: Request<Runtime> = chain
		.storage(&pallet_gateway::Requests::<Runtime>::hashed_key_for(id))
		.await?
		.ok_or_else(|| format!("request {id} is not stored"))?;
	let genesis = chain.genesis_hash().await?;
	let mut envelopes = Vec::new();
	for operator in stored.assigned.iter().chain(stored.backups.iter()) {
		let bonded: Option<pallet_operator_staking::Operator<Runtime>> = chain
			.storage(&pallet_operator_staking::Operators::<Runtime>::hashed_key_for(operator))
			.await?;
		let key = bonded
			.and_then(|bonded| bonded.profile.encryption_key)
			.ok_or_else(|| format!("{}: no encryption key to seal to", operator.to_ss58check()))?
			.key;
		let info = sealed_call_info(&genesis, id, &stored.request_hash, operator);
		let envelope = sealing::seal_call(&key, &info, call).map_err(|e| e.to_string())?;
		envelopes.push((operator.clone(), envelope));
	}
	out.progress(&format!("request {id}: sealing to {} operators", envelopes.len()));
	let envelopes = envelopes
		.try_into()
		.map_err(|_| "more operators than a request has".to_owned())?;
	let call = pallet_gateway::Call::seal_request { request_id: id, envelopes };
	chain
		.submit(signer, RuntimeCall::Gateway(call), |step| out.progress(step))
		.await?;
	Ok(())
}

/// Follows request `id` block by block until it is settled, printing where it stands.
async fn settle(
	chain: &Chain,
	id: RequestId,
	deadline: BlockNumber,
	out: Output,
) -> Result<RequestView<AccountId, Balance, BlockNumber>, String> {
	let mut seen = 0;
	loop {
		let view: Option<RequestView<AccountId, Balance, BlockNumber>> =
			chain.runtime_call("GatewayApi_request", id).await?;
		let view = view.ok_or_else(|| format!("request {id} is no longer kept"))?;
		if view.status != RequestStatus::Pending {
			return Ok(view);
		}
		let best = chain.best_number().await?;
		if best > view.deadline.max(deadline) + WAIT_PAST_DEADLINE {
			return Err(format!(
				"request {id} still pending at #{best}, past its deadline #{}",
				view.deadline
			));
		}
		if best != seen {
			seen = best;
			out.progress(&format!(
				"#{best}: pending, {} of {} reported",
				view.reports.len(),
				view.assigned.len()
			));
		}
		tokio::time::sleep(POLL).await;
	}
}

/// The completed request's body and receipt, once both check out: the body hashes to the
/// settled hash (a sealed one opens with `opener`, and its plaintext's and its own hash make
/// the settled hash), the receipt is for what was asked, and the operator's bonded gateway key
/// signed it on this chain.
async fn verified(
	chain: &Chain,
	id: RequestId,
	asked: &[u8; 32],
	settled: &[u8; 32],
	opener: Option<&sealing::PrivateKey>,
) -> Result<(String, ResponseView<AccountId>), String> {
	let receipt: Option<ResponseView<AccountId>> =
		chain.runtime_call("GatewayApi_response", id).await?;
	let receipt = receipt.ok_or_else(|| format!("request {id}: no receipt kept"))?;
	let served = chain.call("gateway_response", json!([id])).await?;
	let refused = |why: &str| Err(format!("request {id}: the receipt does not verify: {why}"));
	let unindexed = || format!("request {id}: the node has not indexed the body");
	let (body, body_hash) = match opener {
		None => {
			let body = served["body"].as_str().ok_or_else(unindexed)?.to_owned();
			let hash = sp_crypto_hashing::blake2_256(body.as_bytes());
			(body.into_bytes(), hash)
		},
		Some(secret) => {
			let sealed = served["sealedBody"].as_str().ok_or_else(unindexed)?;
			let sealed = hex::decode(sealed.trim_start_matches("0x")).map_err(|e| e.to_string())?;
			let info = sealed_response_info(
				&chain.genesis_hash().await?,
				id,
				&receipt.request_hash,
				&receipt.operator,
			);
			let Some(body) = sealing::open_response(secret, &info, &sealed) else {
				return refused("the sealed body does not open with this request's key");
			};
			let hash = sealed_response_hash(
				&sp_crypto_hashing::blake2_256(&body),
				&sp_crypto_hashing::blake2_256(&sealed),
			);
			(body, hash)
		},
	};
	if body_hash != *settled || receipt.response_hash != *settled {
		return refused("the body is not the one the chain settled on");
	}
	let body =
		String::from_utf8(body).map_err(|_| format!("request {id}: the body is not UTF-8"))?;
	if receipt.request_hash != *asked {
		return refused("it is for another request than the one sent");
	}
	let bonded: Option<OperatorView<AccountId, Balance, BlockNumber>> =
		chain.runtime_call("OperatorApi_operator", &receipt.operator).await?;
	if bonded.map(|view| view.gateway_key) != Some(receipt.gateway_key) {
		return refused("the key is not the operator's bonded gateway key");
	}
	let message = receipt_message(
		&chain.genesis_hash().await?,
		id,
		&receipt.request_hash,
		&receipt.response_hash,
		&receipt.status,
		&receipt.operator,
	);
	let signature = ed25519::Signature::from_raw(receipt.signature);
	if !ed25519::Pair::verify(&signature, &message, &ed25519::Public::from_raw(receipt.gateway_key))
	{
		return refused("the signature");
	}
	Ok((body, receipt))
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn a_request_is_checked_against_the_chains_bounds_before_it_is_sent() {
		assert_eq!(
			header("Accept:  application/json "),
			Ok(("Accept".into(), "application/json".into()))
		);
		assert!(header("no colon").unwrap_err().contains("Name: value"));
		let ask = |path: &str, body: usize| {
			Ask::new(
				0,
				"get",
				path,
				vec![("Accept".into(), "*/*".into())],
				vec![b'x'; body],
				(1, 10, 20),
			)
		};
		let ok = ask("/price?coin=dot", 10).unwrap();
		assert_eq!(ok.request.method, pallet_gateway::HttpMethod::Get);
		assert_eq!(ok.request.headers.len(), 1);
		assert!(ask(&"/x".repeat(10_000), 0).err().unwrap().contains("the path"));
		assert!(ask("/", 10_000_000).err().unwrap().contains("the body"));
		assert!(Ask::new(0, "TRACE", "/", vec![], vec![], (1, 10, 20))
			.err()
			.unwrap()
			.contains("TRACE"));
		for path in ["account", "/a b", ""] {
			assert!(ask(path, 0).err().unwrap().contains("must start with /"), "{path}");
		}
	}

	#[test]
	fn a_sealed_request_carries_its_call_only_in_what_it_seals() {
		let ask = || {
			Ask::new(
				0,
				"get",
				"/account",
				vec![("X-Account".into(), "42".into())],
				b"hi".to_vec(),
				(1, 10, 20),
			)
			.unwrap()
		};
		let spec = |confidential_path| ApiSpec::<Runtime> {
			base_url: b"https://api.example".to_vec().try_into().unwrap(),
			methods: vec![pallet_gateway::HttpMethod::Get].try_into().unwrap(),
			price_per_call: 1,
			max_response_bytes: 1_024,
			timeout_ms: 2_000,
			default_redundancy: 1,
			min_reputation: Default::default(),
			ignored_fields: Default::default(),
			confidential_path,
		};
		// Where the API keeps paths confidential, the path moves into the sealed call too, and
		// a plain request is refused before it could publish it.
		let hidden = ask().for_api(&spec(true), true).unwrap();
		assert!(hidden.request.path.is_empty());
		assert_eq!(hidden.sealed.as_ref().unwrap().0.path, b"/account");
		let plain = ask().for_api(&spec(true), false).err().unwrap();
		assert!(plain.starts_with("gateway.ConfidentialPath: API 0 keeps its paths confidential"));
		assert!(plain.ends_with("What to do: send it sealed: --sealed --wait."), "{plain}");
		assert!(ask().for_api(&spec(false), false).unwrap().sealed.is_none());

		let ask = ask().for_api(&spec(false), true).unwrap();
		assert!(ask.request.headers.is_empty() && ask.request.body.is_empty());
		assert_eq!(&ask.request.path[..], b"/account");
		let (call, secret) = ask.sealed.as_ref().unwrap();
		assert!(call.path.is_empty());
		assert_eq!(call.headers, vec![(b"X-Account".to_vec(), b"42".to_vec())]);
		assert_eq!(call.body, b"hi");
		let terms = ask.request.sealed.unwrap();
		assert_eq!(terms.content_hash, call.content_hash());
		// The answer sealed to the request's key opens with the secret it kept.
		let sealed = sealing::seal_response(&terms.client_key, b"info", b"answer").unwrap();
		assert_eq!(sealing::open_response(secret, b"info", &sealed).unwrap(), b"answer");
	}
}
