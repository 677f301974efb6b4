//! Transactions the program signs with the user's account key and sends to the node: built with
//! the runtime's own types, signed as its transaction extensions require, followed until their
//! block is finalized, and their events and errors read with the runtime's metadata.

use baton_runtime::{
	AccountId, Hash, Nonce, Runtime, RuntimeCall, RuntimeEvent, SignedPayload, UncheckedExtrinsic,
};
use codec::{Decode, Encode};
use frame_system::{EventRecord, Phase};
use serde_json::json;
use sp_core::{crypto::Ss58Codec, sr25519, Pair};
use sp_runtime::{DispatchError, MultiAddress, MultiSignature};

use crate::{
	chain::{unhex, Chain},
	output::Waiting,
};

/// The user's account key.
pub struct Signer {
	pair: sr25519::Pair,
}

impl Signer {
	/// The key a secret URI names (`//Alice`, a mnemonic, a hex seed, with a derivation path).
	pub fn from_suri(suri: &str) -> Result<Self, String> {
		sr25519::Pair::from_string(suri, None)
			.map(|pair| Self { pair })
			.map_err(|error| format!("the secret URI is no sr25519 key: {error:?}"))
	}

	/// The account it signs as.
	pub fn account(&self) -> AccountId {
		AccountId::from(self.pair.public())
	}

	/// Its signature over `message`, as the runtime's `MultiSignature` (a relay ticket's).
	pub fn sign(&self, message: &[u8]) -> MultiSignature {
		MultiSignature::Sr25519(self.pair.sign(message))
	}
}

/// A transaction in a block, and what it did there.
pub struct Included {
	/// The block's number.
	pub block: u32,
	/// The events it emitted, in order.
	pub events: Vec<RuntimeEvent>,
}

/// How often the node is asked again while a transaction waits for its block.
const POLL: std::time::Duration = std::time::Duration::from_millis(500);

/// Blocks a transaction may wait for inclusion before the program gives up on it.
const INCLUSION_BLOCKS: u32 = 20;

/// Blocks authored after a transaction's block without finalizing it before the program gives
/// up waiting (finality stalls when too few validators are up).
const FINALITY_BLOCKS: u32 = 60;

/// How far a transaction is followed before `submit` returns.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Wait {
	/// Until a block includes it.
	InBlock,
	/// Until that block is finalized.
	Finalized,
}

impl Chain {
	/// Signs `call` as `signer` (immortal, no tip), sends it, and waits until the block that
	/// includes it is finalized, telling `progress` of each step. Fails with the runtime's
	/// name of the error when the call failed (`relay.UnknownSession: …`).
	pub async fn submit(
		&self,
		signer: &Signer,
		call: RuntimeCall,
		progress: impl Fn(&str),
	) -> Result<Included, String> {
		self.submit_until(signer, call, Wait::Finalized, progress).await
	}

	/// [`Chain::submit`], followed as far as `wait` says.
	pub async fn submit_until(
		&self,
		signer: &Signer,
		call: RuntimeCall,
		wait: Wait,
		progress: impl Fn(&str),
	) -> Result<Included, String> {
		let (extrinsic, from) = self.send(signer, call, &progress).await?;
		let included = self.wait_for(&extrinsic, from).await?;
		progress(&format!("in block #{}", included.block));
		if wait == Wait::InBlock {
			return Ok(included);
		}
		let mut waiting = Waiting::start();
		loop {
			let finalized = self.finalized_number().await?;
			if finalized >= included.block {
				break;
			}
			let best = self.best_number().await?;
			if best > included.block + FINALITY_BLOCKS {
				return Err(format!(
					"in block #{} but not finalized by #{best}: is finality stalled?",
					included.block
				));
			}
			waiting.show(&format!(
				"waiting for #{} to be finalized (finalized #{finalized})",
				included.block
			));
			tokio::time::sleep(POLL).await;
		}
		waiting.clear();
		progress(&format!("finalized #{}", included.block));
		Ok(included)
	}

	/// Signs and sends `call`; returns the extrinsic and the best block before it was sent.
	/// Sends of one `Chain` go one at a time, so that each reads the nonce the last one left.
	async fn send(
		&self,
		signer: &Signer,
		call: RuntimeCall,
		progress: &impl Fn(&str),
	) -> Result<(Vec<u8>, u32), String> {
		let _one_at_a_time = self.sending.lock().await;
		let genesis = Hash::from(self.genesis_hash().await?);
		let version = self.call("state_getRuntimeVersion", json!([])).await?;
		let spec = version["specVersion"]
			.as_u64()
			.ok_or("state_getRuntimeVersion: no specVersion")?;
		let tx = version["transactionVersion"]
			.as_u64()
			.ok_or("state_getRuntimeVersion: no transactionVersion")?;
		let account = signer.account();
		let nonce = self.call("system_accountNextIndex", json!([account.to_ss58check()])).await?;
		let nonce = nonce.as_u64().ok_or("system_accountNextIndex: not a number")? as Nonce;

		let extension = baton_runtime::immortal_tx_extension(nonce);
		// What each extension adds to the signed bytes without sending them.
		let implicit = ((), spec as u32, tx as u32, genesis, genesis, (), (), (), None, ());
		let payload = SignedPayload::from_raw(call.clone(), extension.clone(), implicit);
		let signature = payload.using_encoded(|bytes| signer.pair.sign(bytes));
		let extrinsic = UncheckedExtrinsic::new_signed(
			call,
			MultiAddress::Id(account),
			MultiSignature::Sr25519(signature),
			extension,
		)
		.encode();

		let from = self.best_number().await?;
		let hash = self
			.call("author_submitExtrinsic", json!([format!("0x{}", hex::encode(&extrinsic))]))
			.await
			.map_err(pool_refusal)?;
		progress(&format!("sent {}", hash.as_str().unwrap_or("?")));
		Ok((extrinsic, from))
	}

	/// The best block's number.
	pub async fn best_number(&self) -> Result<u32, String> {
		let header = self.call("chain_getHeader", json!([])).await?;
		number(&header["number"])
	}

	/// The last finalized block's number.
	async fn finalized_number(&self) -> Result<u32, String> {
		let head = self.call("chain_getFinalizedHead", json!([])).await?;
		let header = self.call("chain_getHeader", json!([head])).await?;
		number(&header["number"])
	}

	/// Looks for `extrinsic` in the blocks after `from` until it is in one; returns that block
	/// and the events it emitted there, or the runtime's name of its error.
	async fn wait_for(&self, extrinsic: &[u8], from: u32) -> Result<Included, String> {
		let wanted = format!("0x{}", hex::encode(extrinsic));
		let mut next = from + 1;
		let mut waiting = Waiting::start();
		loop {
			if next > from + INCLUSION_BLOCKS {
				return Err(format!("not in any of the {INCLUSION_BLOCKS} blocks after #{from}"));
			}
			if self.best_number().await? < next {
				waiting.show(&format!("waiting for block #{next} to include it"));
				tokio::time::sleep(POLL).await;
				continue;
			}
			let hash = self.call("chain_getBlockHash", json!([next])).await?;
			let block = self.call("chain_getBlock", json!([hash])).await?;
			let extrinsics = block["block"]["extrinsics"].as_array().cloned().unwrap_or_default();
			if let Some(index) = extrinsics.iter().position(|x| x.as_str() == Some(&wanted)) {
				let events = self.events(&hash, index as u32).await?;
				return Included::of(next, events);
			}
			next += 1;
		}
	}

	/// The events of extrinsic `index` in block `hash`.
	async fn events(
		&self,
		hash: &serde_json::Value,
		index: u32,
	) -> Result<Vec<RuntimeEvent>, String> {
		// frame-system's `Events`: the pallet's and the item's names, each twox-128 hashed.
		let key = [sp_crypto_hashing::twox_128(b"System"), sp_crypto_hashing::twox_128(b"Events")];
		let key = format!("0x{}", hex::encode(key.concat()));
		let stored = self.call("state_getStorage", json!([key, hash])).await?;
		let bytes = stored.as_str().map(unhex).transpose()?.unwrap_or_default();
		let records = Vec::<EventRecord<RuntimeEvent, Hash>>::decode(&mut &bytes[..])
			.map_err(|error| format!("the block's events do not decode: {error}"))?;
		Ok(records
			.into_iter()
			.filter(|record| record.phase == Phase::ApplyExtrinsic(index))
			.map(|record| record.event)
			.collect())
	}
}

impl Included {
	/// What the extrinsic in block `block` that emitted `events` did: it succeeded, or failed
	/// with the error its `ExtrinsicFailed` names.
	fn of(block: u32, events: Vec<RuntimeEvent>) -> Result<Self, String> {
		for event in &events {
			if let RuntimeEvent::System(frame_system::Event::ExtrinsicFailed {
				dispatch_error,
				..
			}) = event
			{
				return Err(error_name(dispatch_error));
			}
		}
		Ok(Self { block, events })
	}
}

/// A dispatch error as `pallet.Error` with its documentation, from the runtime's metadata, and
/// what to do about it where a user can do something.
pub fn error_name(error: &DispatchError) -> String {
	use frame_metadata::RuntimeMetadata;
	use scale_info::TypeDef;
	let DispatchError::Module(module) = error else { return format!("{error:?}") };
	// Building the metadata reads a storage value or two: an empty state serves.
	let metadata = sp_io::TestExternalities::default().execute_with(Runtime::metadata);
	let RuntimeMetadata::V14(metadata) = metadata.1 else {
		return format!("{error:?}");
	};
	let Some(pallet) = metadata.pallets.iter().find(|p| p.index == module.index) else {
		return format!("{error:?}");
	};
	let variant = pallet.error.as_ref().and_then(|e| metadata.types.resolve(e.ty.id)).and_then(
		|ty| match &ty.type_def {
			TypeDef::Variant(def) => def.variants.iter().find(|v| v.index == module.error[0]),
			_ => None,
		},
	);
	let pallet_name = lower_first(&pallet.name);
	match variant {
		Some(v) => {
			let named = format!("{pallet_name}.{}: {}", v.name, v.docs.join(" "));
			match hint(&pallet_name, &v.name) {
				Some(hint) => format!("{named} What to do: {hint}."),
				None => named,
			}
		},
		None => format!("{pallet_name}: error {}", module.error[0]),
	}
}

/// The pool's refusal of a transaction (it reached no block, so no fee was paid), with what to
/// do where the user can do something.
fn pool_refusal(refusal: String) -> String {
	// The texts of sp-runtime's `InvalidTransaction` and the pool's own errors.
	let hint = if refusal.contains("Inability to pay some fees") {
		"the signing account needs BTN for the fee: send it some"
	} else if refusal.contains("Transaction is outdated") || refusal.contains("Priority is too low")
	{
		"another transaction of this account took its nonce: wait for it to land and try again"
	} else if refusal.contains("exhaust the block limits") {
		"the call is too big for a block: send less at once (fewer requests, a smaller body)"
	} else {
		return refusal;
	};
	format!("{refusal}. What to do: {hint}.")
}

/// What a user of this program can do about `pallet`'s `error`, for the refusals a flag or
/// another command answers.
pub fn hint(pallet: &str, error: &str) -> Option<String> {
	use frame_support::traits::Get;
	let earliest: u32 = <<Runtime as pallet_gateway::Config>::MinDeadline as Get<u32>>::get();
	let latest: u32 = <<Runtime as pallet_gateway::Config>::MaxDeadline as Get<u32>>::get();
	let hint = match (pallet, error) {
		// The deadline counts from the best block; the chain, from the block that includes it.
		("gateway", "DeadlineOutOfRange") =>
			format!("give --deadline-in from {} to {latest} blocks", earliest + 1),
		("gateway", "DeadlineTooSoon") =>
			"give a larger --deadline-in: the API's timeout (`baton api show`) and a block must fit \
			 before it"
				.into(),
		("gateway", "FeeAboveMax") =>
			"raise --max-fee, or leave it out to pay the quote of the moment".into(),
		("gateway", "NotEnoughOperators") =>
			"ask for a lower --redundancy; gateway_quote's eligibleOperators says how many serve \
			 the API (for --sealed, only those with an encryption key count)"
				.into(),
		("gateway", "ConfidentialPath") => "send it sealed: --sealed --wait".into(),
		("gateway", "ApiPaused") => "its owner resumes it with `baton api pause <id> --resume`".into(),
		("gateway", "MethodNotAllowed") => "`baton api show <id>` lists the methods it takes".into(),
		("gateway", "NotApiOwner") =>
			"sign with the account that registered it (`baton api show <id>` names it)".into(),
		("operatorStaking", "GatewayKeyInUse") =>
			"each operator needs a gateway key of its own: give another --gateway-suri".into(),
		("operatorStaking", "BadKeyProof") =>
			"the proof is signed by --gateway-suri's key over the bonding account: check both".into(),
		("operatorStaking", "StillJailed") =>
			"`baton operator status` says until which block; activate after it".into(),
		("operatorStaking", "NothingToWithdraw") =>
			"unbonded stake is withdrawable once its chunk unlocks (`baton operator status`)".into(),
		("relay", "AllowanceTooSmall") => "raise --allowance".into(),
		_ => return None,
	};
	Some(hint)
}

/// `name` with its first letter lower-case, as polkadot.js names pallets.
fn lower_first(name: &str) -> String {
	let mut chars = name.chars();
	chars
		.next()
		.map(|c| c.to_lowercase().chain(chars).collect())
		.unwrap_or_default()
}

fn number(value: &serde_json::Value) -> Result<u32, String> {
	let text = value.as_str().ok_or("a block number is hex text")?;
	u32::from_str_radix(text.trim_start_matches("0x"), 16).map_err(|e| format!("{text}: {e}"))
}

#[cfg(test)]
mod tests {
	use super::*;
	use sp_runtime::ModuleError;

	#[test]
	fn a_refusal_of_the_pool_says_what_to_do_when_the_user_can() {
		assert_eq!(
			pool_refusal(
				"author_submitExtrinsic: Invalid Transaction: Inability to pay some fees (e.g. \
				 account balance too low)"
					.into()
			),
			"author_submitExtrinsic: Invalid Transaction: Inability to pay some fees (e.g. account \
			 balance too low). What to do: the signing account needs BTN for the fee: send it some."
		);
		let unknown =
			"author_submitExtrinsic: Invalid Transaction: Transaction call is not expected";
		assert_eq!(pool_refusal(unknown.into()), unknown);
	}

	#[test]
	fn a_module_error_is_named_by_its_pallet_variant_and_docs() {
		let relay = <baton_runtime::Relay as frame_support::traits::PalletInfoAccess>::index();
		let encoded = pallet_relay::Error::<Runtime>::UnknownSession.encode();
		let mut error = [0; 4];
		error[..encoded.len()].copy_from_slice(&encoded);
		let module = ModuleError { index: relay as u8, error, message: None };
		assert_eq!(
			error_name(&DispatchError::Module(module)),
			"relay.UnknownSession: No session has this id."
		);
		assert_eq!(error_name(&DispatchError::BadOrigin), "BadOrigin");

		// A refusal a flag answers says which.
		let gateway = <baton_runtime::Gateway as frame_support::traits::PalletInfoAccess>::index();
		let encoded = pallet_gateway::Error::<Runtime>::FeeAboveMax.encode();
		error[..encoded.len()].copy_from_slice(&encoded);
		let module = ModuleError { index: gateway as u8, error, message: None };
		assert_eq!(
			error_name(&DispatchError::Module(module)),
			"gateway.FeeAboveMax: The fee is above the client's `max_fee`. What to do: raise \
			 --max-fee, or leave it out to pay the quote of the moment."
		);
	}
}
