//! What the endpoint has served, per (session, operator): the best voucher, the calls
//! answered, the sequence numbers seen. The first two are written to the node's offchain
//! storage before a call is answered, where the relay pallet's worker finds them to claim.

use std::collections::{BTreeSet, HashMap};

use baton_primitives::{
	offchain::keys::{relay_claim_storage_key, relay_voucher_key, RELAY_VOUCHER_INDEX_KEY},
	RelayTicket, ServedVoucher, SessionId, Voucher,
};
use codec::{Decode, Encode};
use parking_lot::Mutex;
use sp_core::offchain::{OffchainStorage, STORAGE_PREFIX};
use sp_runtime::MultiSignature;

use crate::{
	chain::{AccountId, Balance, SessionView},
	Refusal,
};

/// Sequence numbers remembered per (session, operator) to refuse replays; below the lowest
/// one kept, every sequence number counts as seen.
const MAX_SEEN: usize = 4_096;

type Kept = ServedVoucher<Balance, MultiSignature>;

/// What the endpoint served for one (session, operator).
#[derive(Default)]
struct Entry {
	best: Option<Voucher<Balance, MultiSignature>>,
	served: u64,
	seen: BTreeSet<u64>,
	/// Every sequence number up to this one counts as seen (dropped from `seen`, or served
	/// before the node restarted).
	floor: Option<u64>,
}

impl Entry {
	fn seen(&self, sequence: u64) -> bool {
		self.floor.is_some_and(|floor| sequence <= floor) || self.seen.contains(&sequence)
	}

	fn see(&mut self, sequence: u64) {
		self.seen.insert(sequence);
		while self.seen.len() > MAX_SEEN {
			self.floor = self.seen.pop_first();
		}
	}
}

/// The served calls of every (session, operator), over the node's offchain storage.
pub struct Ledger<S> {
	storage: Mutex<S>,
	entries: Mutex<HashMap<(SessionId, AccountId), Entry>>,
}

impl<S: OffchainStorage> Ledger<S> {
	/// A ledger over `storage`, which may hold what the node served before it restarted.
	pub fn new(storage: S) -> Self {
		Self { storage: Mutex::new(storage), entries: Default::default() }
	}

	/// Takes the call of `ticket` (whose request hashes to `request_hash`, signed with
	/// `signature`) if the best voucher held pays for it and every call before it within the
	/// allowance, and keeps the result durably before returning.
	pub fn take(
		&self,
		session: &SessionView,
		ticket: &RelayTicket<AccountId, Balance>,
		request_hash: [u8; 32],
		signature: MultiSignature,
	) -> Result<(), Refusal> {
		let key = (session.id, ticket.operator.clone());
		let mut entries = self.entries.lock();
		let mut storage = self.storage.lock();
		let entry = entries.entry(key).or_insert_with(|| {
			let kept = storage
				.get(STORAGE_PREFIX, &relay_voucher_key(session.id, &ticket.operator))
				.and_then(|raw| Kept::decode(&mut &raw[..]).ok());
			match kept {
				// Served before a restart: the sequence numbers seen are lost, but the calls
				// served are not, so a replayed ticket pays for nothing new.
				Some(kept) => Entry {
					floor: Some(kept.voucher.sequence),
					best: Some(kept.voucher),
					served: kept.served,
					..Default::default()
				},
				None => Entry::default(),
			}
		});
		if entry.seen(ticket.sequence) {
			return Err(Refusal::Replayed);
		}
		let cost = session.price_per_call.saturating_add(session.protocol_fee);
		let owed = cost.saturating_mul(Balance::from(entry.served.saturating_add(1)));
		if owed > session.allowance {
			return Err(Refusal::AllowanceExhausted);
		}
		let best_amount = entry.best.as_ref().map_or(0, |v| v.amount).max(ticket.amount);
		if best_amount < owed {
			return Err(Refusal::VoucherShort);
		}
		let first = entry.best.is_none() && entry.served == 0;
		if entry.best.as_ref().is_none_or(|best| ticket.amount > best.amount) {
			entry.best = Some(Voucher {
				sequence: ticket.sequence,
				request_hash,
				calls: ticket.calls,
				amount: ticket.amount,
				signature,
			});
		}
		entry.served += 1;
		entry.see(ticket.sequence);
		let kept = Kept { voucher: entry.best.clone().expect("set above"), served: entry.served };
		storage.set(
			STORAGE_PREFIX,
			&relay_voucher_key(session.id, &ticket.operator),
			&kept.encode(),
		);
		if first {
			let mut index = read_index(&*storage);
			if !index.contains(&(session.id, ticket.operator.clone())) {
				index.push((session.id, ticket.operator.clone()));
				storage.set(STORAGE_PREFIX, RELAY_VOUCHER_INDEX_KEY, &index.encode());
			}
		}
		Ok(())
	}

	/// Forgets every session for which `gone` says it is no longer on the chain: it settled,
	/// and there is nothing left to claim.
	pub fn forget(&self, mut gone: impl FnMut(SessionId) -> bool) {
		let mut entries = self.entries.lock();
		let mut storage = self.storage.lock();
		let index = read_index(&*storage);
		let (forgotten, kept): (Vec<_>, Vec<_>) =
			index.into_iter().partition(|(session, _)| gone(*session));
		if forgotten.is_empty() {
			return;
		}
		for (session, operator) in &forgotten {
			storage.remove(STORAGE_PREFIX, &relay_voucher_key(*session, operator));
			storage.remove(STORAGE_PREFIX, &relay_claim_storage_key(*session, operator));
			entries.remove(&(*session, operator.clone()));
		}
		storage.set(STORAGE_PREFIX, RELAY_VOUCHER_INDEX_KEY, &kept.encode());
	}
}

fn read_index<S: OffchainStorage>(storage: &S) -> Vec<(SessionId, AccountId)> {
	storage
		.get(STORAGE_PREFIX, RELAY_VOUCHER_INDEX_KEY)
		.and_then(|raw| Decode::decode(&mut &raw[..]).ok())
		.unwrap_or_default()
}
