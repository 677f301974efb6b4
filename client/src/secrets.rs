//! Sealed secrets from the command line: `baton api secret` seals an API's key to the operators
//! that serve it, and an operator's profile publishes the encryption key its node opens them
//! with. The secret's value is read from `BATON_API_SECRET`, never from the command line, where
//! other users of the machine could read it.

use baton_egress::sealing;
use baton_primitives::{
	sealing::{api_secret_info, encryption_key_message, ApiSecret, BoundEncryptionKey, Envelope},
	ApiId,
};
use baton_runtime::{AccountId, Runtime, RuntimeCall};
use pallet_operator_staking::Operator;
use serde_json::json;
use sp_core::{crypto::Ss58Codec, ed25519, Pair};

use crate::{chain::Chain, output::Output, transactions::Signer};

/// Operators read to find those that serve an API: the chain's `MaxOperators`, which is also
/// the most keys a node lists at once.
const OPERATORS_SCANNED: u32 = 1_000;

/// Where the secret goes in each upstream call.
pub enum Placement {
	/// A header of this name.
	Header(String),
	/// A query parameter of this name.
	Query(String),
}

/// The secret `placement` names, its value from `BATON_API_SECRET`.
pub fn secret_from_env(placement: Placement) -> Result<ApiSecret, String> {
	let value = std::env::var("BATON_API_SECRET")
		.ok()
		.filter(|value| !value.is_empty())
		.ok_or("give the secret's value in BATON_API_SECRET")?
		.into_bytes();
	Ok(match placement {
		Placement::Header(name) => {
			let token = !name.is_empty() && name.bytes().all(|c| c.is_ascii_graphic() && c != b':');
			if !token {
				return Err(format!("{name}: not a header name"));
			}
			ApiSecret::Header { name: name.into_bytes(), value }
		},
		Placement::Query(name) if name.is_empty() => return Err("an empty query name".into()),
		Placement::Query(name) => ApiSecret::Query { name: name.into_bytes(), value },
	})
}

/// The operators of the best block that serve `api_id` and published an encryption key.
async fn serving_operators(
	chain: &Chain,
	api_id: ApiId,
) -> Result<Vec<(AccountId, [u8; 32])>, String> {
	let prefix = pallet_operator_staking::Operators::<Runtime>::map_storage_final_prefix();
	let operators: Vec<(Vec<u8>, Operator<Runtime>)> =
		chain.storage_pairs(&prefix, OPERATORS_SCANNED).await?;
	Ok(operators
		.into_iter()
		.filter(|(_, operator)| operator.profile.apis.contains(&api_id))
		.filter_map(|(key, operator)| {
			// Blake2_128Concat: the account is the key's last 32 bytes.
			let account: [u8; 32] = key[key.len().checked_sub(32)?..].try_into().ok()?;
			Some((AccountId::from(account), operator.profile.encryption_key?.key))
		})
		.collect())
}

/// `secret` sealed to `operator`'s encryption key `key`, for API `api_id` on this chain.
async fn seal_for(
	chain: &Chain,
	api_id: ApiId,
	operator: &AccountId,
	key: &[u8; 32],
	secret: &ApiSecret,
) -> Result<Envelope, String> {
	let info = api_secret_info(&chain.genesis_hash().await?, api_id, operator);
	sealing::seal_api_secret(key, &info, secret).map_err(|error| error.to_string())
}

/// Seals `secret` to every operator serving `api_id` with an encryption key (or to `operator`
/// alone, granted beside those that hold it), or, with no secret, removes the API's secret.
pub async fn set(
	chain: &Chain,
	signer: &Signer,
	api_id: ApiId,
	secret: Option<ApiSecret>,
	only: Option<AccountId>,
	out: Output,
) -> Result<(), String> {
	let mut holders = serving_operators(chain, api_id).await?;
	if let Some(only) = &only {
		holders.retain(|(operator, _)| operator == only);
		if holders.is_empty() {
			return Err(format!(
				"{}: not an operator serving API {api_id} with an encryption key",
				only.to_ss58check()
			));
		}
	}
	let call = match (&secret, only) {
		(None, _) => pallet_gateway::Call::set_api_secret { api_id, envelopes: Default::default() },
		(Some(secret), Some(operator)) => {
			let envelope = seal_for(chain, api_id, &operator, &holders[0].1, secret).await?;
			pallet_gateway::Call::grant_api_secret { api_id, operator, envelope }
		},
		(Some(secret), None) => {
			if holders.is_empty() {
				return Err(format!(
					"no operator serving API {api_id} has published an encryption key"
				));
			}
			let mut envelopes = Vec::new();
			for (operator, key) in &holders {
				envelopes.push((
					operator.clone(),
					seal_for(chain, api_id, operator, key, secret).await?,
				));
			}
			let envelopes = envelopes
				.try_into()
				.map_err(|_| "more operators serve this API than a secret is sealed to")?;
			pallet_gateway::Call::set_api_secret { api_id, envelopes }
		},
	};
	let included = chain
		.submit(signer, RuntimeCall::Gateway(call), |step| out.progress(step))
		.await?;
	let sealed_to: Vec<String> = match secret {
		Some(_) => holders.iter().map(|(operator, _)| operator.to_ss58check()).collect(),
		None => Vec::new(),
	};
	out.result(
		|| match sealed_to.len() {
			0 => format!("API {api_id} has no secret now (#{})", included.block),
			n => format!(
				"API {api_id}'s secret sealed to {n} operator(s) (#{}): {}",
				included.block,
				sealed_to.join(", ")
			),
		},
		json!({ "apiId": api_id, "sealedTo": sealed_to, "block": included.block }),
	);
	Ok(())
}

/// The encryption key of the `seal` key `seal_suri` names (the node derives the same from its
/// keystore), bound to `operator` on this chain by its gateway key.
pub async fn bound_encryption_key(
	chain: &Chain,
	operator: &AccountId,
	gateway: &ed25519::Pair,
	seal_suri: &str,
) -> Result<BoundEncryptionKey, String> {
	let seal = ed25519::Pair::from_string(seal_suri, None)
		.map_err(|error| format!("the seal key's secret URI is no ed25519 key: {error:?}"))?;
	let key = sealing::encryption_key(&seal.seed());
	let message = encryption_key_message(operator, &chain.genesis_hash().await?, &key);
	Ok(BoundEncryptionKey { key, proof: gateway.sign(&message).0 })
}
