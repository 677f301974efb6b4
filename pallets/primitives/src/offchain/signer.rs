//! Sending transactions signed by one of this node's gateway keys, with nonces that do not
//! collide.
//!
//! Heartbeats, reports and handovers are signed by the same gateway key, often in one block and
//! by workers of overlapping blocks, which all read the same on-chain nonce. [`LocalSigner`]
//! keeps the next nonce per signer in the node's persistent offchain storage instead, so each
//! transaction takes the next one.
//!
//! A runtime upgrade drops every transaction the pool holds that was signed for the runtime
//! before (a signature covers the `spec_version`). The count remembers the version it signed
//! for, starts over from the chain's nonce under a new one, and tells the caller
//! ([`runtime_changed`]) so that it resends what was dropped at once.

use codec::{Decode, Encode};
use frame_support::traits::Get;
use frame_system::{
	offchain::{AppCrypto, CreateSignedTransaction, SigningTypes, SubmitTransaction},
	pallet_prelude::BlockNumberFor,
};
use sp_runtime::{
	offchain::{
		storage::StorageValueRef,
		storage_lock::{StorageLock, Time},
		Duration,
	},
	traits::{IdentifyAccount, One, Saturating},
};

/// A gateway key in this node's keystore, as the application key of `A` in runtime `T`.
pub type LocalKey<T, A> =
	<A as AppCrypto<<T as SigningTypes>::Public, <T as SigningTypes>::Signature>>::RuntimeAppPublic;

/// Nonces the local count may run ahead of the on-chain one before it starts over from the
/// chain: more than one key sends in a block (a heartbeat, report batches, 64 handovers).
pub const MAX_NONCES_AHEAD: u32 = 128;

/// Blocks the on-chain nonce may stand still below the local count before the local count
/// starts over from the chain: as long as a report may take to land before it is resent, so a
/// gap left by a dropped transaction delays the key's later ones by no more than that.
pub const NONCE_STALE_AFTER: u32 = 3;

/// How long the nonce lock is held at most: taking a nonce and submitting takes milliseconds.
const NONCE_LOCK_MS: u64 = 2_000;

/// What this node remembers of one signer's nonces.
#[derive(Encode, Decode, Clone, Copy, PartialEq, Eq, Debug)]
pub struct LocalNonce<Nonce, BlockNumber> {
	/// The nonce the next transaction takes.
	pub next: Nonce,
	/// The on-chain nonce when `next` was last advanced.
	pub chain: Nonce,
	/// The block since which the on-chain nonce has stood at `chain`.
	pub since: BlockNumber,
	/// The runtime's `spec_version` the transactions were signed for.
	pub spec_version: u32,
}

impl<Nonce, BlockNumber> LocalNonce<Nonce, BlockNumber>
where
	Nonce: Copy + Ord + Saturating + One + From<u32>,
	BlockNumber: Copy + Ord + Saturating + From<u32>,
{
	/// The nonce to sign with at block `now`, under a runtime of `spec_version`, when the
	/// chain's is `chain`, and what to remember once the pool took the transaction.
	///
	/// The local count wins while it is ahead of the chain, so transactions of one block (or of
	/// overlapping workers) take consecutive nonces. A transaction that was sent but dropped
	/// leaves a gap that keeps every later one waiting in the pool as "future"; so the count
	/// starts over from the chain's nonce when it is more than [`MAX_NONCES_AHEAD`] ahead, or
	/// when the chain's nonce has not moved for [`NONCE_STALE_AFTER`] blocks while it was
	/// ahead. Starting over may reuse a nonce still in the pool, which the pool refuses, and
	/// the caller sends again later; that costs one transaction, a gap would cost all of them.
	/// Under a new runtime it starts over at once: the pool dropped what was signed for the old.
	pub fn take(
		local: Option<Self>,
		chain: Nonce,
		now: BlockNumber,
		spec_version: u32,
	) -> (Nonce, Self) {
		let ahead = local.filter(|local| local.next > chain && local.spec_version == spec_version);
		let kept = ahead.filter(|local| {
			let stalled =
				local.chain == chain && now > local.since.saturating_add(NONCE_STALE_AFTER.into());
			let too_far = local.next.saturating_sub(chain) > MAX_NONCES_AHEAD.into();
			!stalled && !too_far
		});
		match kept {
			Some(local) => {
				let since = if local.chain == chain { local.since } else { now };
				let next = local.next.saturating_add(One::one());
				(local.next, Self { next, chain, since, spec_version })
			},
			None => {
				let next = chain.saturating_add(One::one());
				(chain, Self { next, chain, since: now, spec_version })
			},
		}
	}
}

/// Whether `signer` last signed for a runtime other than the current one: what it sent then
/// and had not landed, the pool dropped. A count this node cannot read (its layout changed with
/// the runtime) counts as such; none at all, as a key that never signed.
pub fn runtime_changed<T: SigningTypes>(signer: &T::AccountId) -> bool {
	let store_key = super::keys::nonce_storage_key(signer);
	let spec_version = <T as frame_system::Config>::Version::get().spec_version;
	match StorageValueRef::persistent(&store_key).get::<LocalNonce<T::Nonce, BlockNumberFor<T>>>() {
		Ok(Some(local)) => local.spec_version != spec_version,
		Ok(None) => false,
		Err(_) => true,
	}
}

/// Signs and submits transactions with one key of this node's keystore, taking nonces from the
/// node's own count (see [`LocalNonce::take`]).
pub struct LocalSigner<T: SigningTypes, A> {
	/// The key, as the runtime's signer type.
	public: T::Public,
	/// The account the key signs as.
	account: T::AccountId,
	/// The application crypto that signs.
	_crypto: core::marker::PhantomData<A>,
}

impl<T: SigningTypes, A: AppCrypto<T::Public, T::Signature>> LocalSigner<T, A> {
	/// Signs with `key`, which must be in the keystore.
	pub fn new(key: LocalKey<T, A>) -> Self {
		let generic: A::GenericPublic = key.into();
		let public: T::Public = generic.into();
		let account = public.clone().into_account();
		Self { public, account, _crypto: Default::default() }
	}

	/// Submits `call` as a signed transaction with the next nonce; false if it could not be
	/// signed or the pool did not take it (then the nonce stays free).
	pub fn send<C>(&self, call: C) -> bool
	where
		T: CreateSignedTransaction<C>,
	{
		let lock_key = super::keys::nonce_lock_key(&self.account);
		// Workers of overlapping blocks must not take the same nonce: one at a time reads,
		// submits and advances it.
		let mut lock =
			StorageLock::<Time>::with_deadline(&lock_key, Duration::from_millis(NONCE_LOCK_MS));
		let _guard = lock.lock();
		let store_key = super::keys::nonce_storage_key(&self.account);
		let store = StorageValueRef::persistent(&store_key);
		let local = store.get::<LocalNonce<T::Nonce, BlockNumberFor<T>>>().ok().flatten();
		let chain = frame_system::Pallet::<T>::account_nonce(&self.account);
		let now = frame_system::Pallet::<T>::block_number();
		let spec_version = <T as frame_system::Config>::Version::get().spec_version;
		let (nonce, advanced) = LocalNonce::take(local, chain, now, spec_version);
		let Some(xt) = T::create_signed_transaction::<A>(
			call.into(),
			self.public.clone(),
			self.account.clone(),
			nonce,
		) else {
			return false;
		};
		let accepted = SubmitTransaction::<T, C>::submit_transaction(xt).is_ok();
		if accepted {
			store.set(&advanced);
		}
		accepted
	}
}
