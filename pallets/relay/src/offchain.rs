//! The offchain worker of an operator's node: claims what the node's relay endpoint served.
//!
//! The endpoint keeps, for each (session, operator) it served, the best voucher and the calls
//! it answered ([`relay_voucher_key`], listed in [`RELAY_VOUCHER_INDEX_KEY`]). Once a session
//! is closed, and while its claim window is open, this worker claims each voucher that pays
//! for more calls than the chain has paid, signed by the operator's gateway key; it sends the
//! claim again if it has not landed after [`RESEND_AFTER`] blocks. One claim per operator per
//! session, whatever the number of calls.

use alloc::vec::Vec;
use baton_primitives::{
	offchain::{
		keys::{relay_claim_storage_key, relay_voucher_key, RELAY_VOUCHER_INDEX_KEY},
		signer::{LocalKey, LocalSigner},
	},
	GatewayKeys, ServedVoucher, SessionId,
};
use frame_system::pallet_prelude::BlockNumberFor;
use sp_runtime::{offchain::storage::StorageValueRef, traits::Saturating, RuntimeAppPublic};

use crate::{BalanceOf, Call, Config, Pallet, SessionStatus, Sessions, LOG_TARGET};

/// Blocks after which a claim that has not landed is sent again.
pub const RESEND_AFTER: u32 = 5;

type PublicOf<T> = LocalKey<T, <T as Config>::AuthorityId>;

impl<T: Config> Pallet<T> {
	/// Claims every voucher the endpoint kept whose session is closed and still takes claims.
	pub(crate) fn claim_served(now: BlockNumberFor<T>) {
		let index = StorageValueRef::persistent(RELAY_VOUCHER_INDEX_KEY);
		let served: Vec<(SessionId, T::AccountId)> = index.get().ok().flatten().unwrap_or_default();
		if served.is_empty() {
			return;
		}
		for (session_id, operator) in served {
			let Some(session) = Sessions::<T>::get(session_id) else { continue };
			if session.status == SessionStatus::Open || now > Self::claims_until(&session) {
				continue;
			}
			let Some(claimed) = session
				.operators
				.iter()
				.find(|o| o.operator == operator)
				.map(|o| o.claimed_calls)
			else {
				continue;
			};
			let Some(kept) = StorageValueRef::persistent(&relay_voucher_key(session_id, &operator))
				.get::<ServedVoucher<BalanceOf<T>, T::TicketSignature>>()
				.ok()
				.flatten()
			else {
				continue;
			};
			let payable = Self::payable_calls(&session, kept.voucher.calls, kept.voucher.amount);
			if payable <= claimed {
				continue;
			}
			let sent_key = relay_claim_storage_key(session_id, &operator);
			let sent = StorageValueRef::persistent(&sent_key);
			let last: Option<(u64, BlockNumberFor<T>)> = sent.get().ok().flatten();
			if last.is_some_and(|(calls, at)| {
				calls == payable && now < at.saturating_add(RESEND_AFTER.into())
			}) {
				continue;
			}
			let Some(gateway_key) = T::Operators::gateway_key(&operator) else { continue };
			let Some(key) =
				PublicOf::<T>::all().into_iter().find(|k| k.to_raw_vec() == gateway_key)
			else {
				continue;
			};
			let call = Call::claim { session_id, voucher: kept.voucher };
			if LocalSigner::<T, T::AuthorityId>::new(key).send(call) {
				sent.set(&(payable, now));
				log::debug!(target: LOG_TARGET, "claimed {payable} calls of session {session_id}");
			} else {
				log::warn!(target: LOG_TARGET, "claim of session {session_id} not submitted");
			}
		}
	}
}
