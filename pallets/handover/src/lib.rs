#![doc = include_str!("../README.md")]
#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub use pallet::*;

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
pub mod migrations;
#[cfg(test)]
mod mock;
mod offchain;
#[cfg(test)]
mod tests;
pub mod weights;

pub use weights::WeightInfo;

use alloc::vec::Vec;
use baton_primitives::{
	checkpoint_verifies, Checkpoint, GatewayKeys, HandoverLog, HandoverReason, HandoverView,
	Reassign, RequestId,
};
use frame_support::pallet_prelude::*;
use frame_system::pallet_prelude::*;

const LOG_TARGET: &str = "runtime::handover";

/// One handover as the log keeps it.
#[derive(Encode, Decode, MaxEncodedLen, TypeInfo, Clone, PartialEq, Eq, Debug)]
pub struct Record<AccountId, BlockNumber> {
	/// The operator that gave the request up.
	pub from: AccountId,
	/// The operator that took it over.
	pub to: AccountId,
	/// Why.
	pub reason: HandoverReason,
	/// Block of the handover.
	pub block: BlockNumber,
	/// The checkpoint of a voluntary (or fraudulent) handover.
	pub checkpoint: Option<Checkpoint>,
}

/// A record of a runtime.
pub type RecordOf<T> = Record<<T as frame_system::Config>::AccountId, BlockNumberFor<T>>;

#[frame_support::pallet]
pub mod pallet {
	use super::*;
	use frame_system::offchain::CreateSignedTransaction;

	/// The layout of this pallet's storage; a change to it comes with a migration that
	/// raises it.
	const STORAGE_VERSION: StorageVersion = StorageVersion::new(0);

	#[pallet::pallet]
	#[pallet::storage_version(STORAGE_VERSION)]
	pub struct Pallet<T>(_);

	#[pallet::config]
	pub trait Config:
		frame_system::Config<RuntimeEvent: From<Event<Self>>> + CreateSignedTransaction<Call<Self>>
	{
		/// Operators and their gateway keys.
		type Operators: GatewayKeys<Self::AccountId>;

		/// The requests that are handed over; implemented by the gateway.
		type Requests: Reassign<Self::AccountId>;

		/// The gateway key's application crypto, used by the offchain worker to sign handovers.
		type AuthorityId: frame_system::offchain::AppCrypto<Self::Public, Self::Signature>;

		/// Handovers one request may go through.
		#[pallet::constant]
		type MaxHandovers: Get<u32>;

		/// Weights of this pallet's calls.
		type WeightInfo: WeightInfo;

		/// Makes requests for the benchmarks.
		#[cfg(feature = "runtime-benchmarks")]
		type BenchmarkHelper: BenchmarkHelper<Self::AccountId>;
	}

	/// The handover log of each request, oldest first; dropped when the request is pruned.
	#[pallet::storage]
	pub type History<T: Config> = StorageMap<
		_,
		Twox64Concat,
		RequestId,
		BoundedVec<RecordOf<T>, T::MaxHandovers>,
		ValueQuery,
	>;

	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// A request passed from `from` to `to`; `seq` is the record's place in its log.
		HandedOver {
			request_id: RequestId,
			from: T::AccountId,
			to: T::AccountId,
			reason: HandoverReason,
			seq: u32,
		},
	}

	#[pallet::error]
	pub enum Error<T> {
		/// The signer is no operator's gateway key.
		NotGatewayKey,
		/// The request went through `MaxHandovers` handovers already.
		TooManyHandovers,
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		fn offchain_worker(now: BlockNumberFor<T>) {
			Self::hand_over_predicted_failures(now);
		}

		fn integrity_test() {
			assert!(T::MaxHandovers::get() > 0, "requests must be able to change hands");
		}

		#[cfg(feature = "try-runtime")]
		fn try_state(_n: BlockNumberFor<T>) -> Result<(), sp_runtime::TryRuntimeError> {
			Self::do_try_state()
		}
	}

	#[pallet::call(weight(<T as Config>::WeightInfo))]
	impl<T: Config> Pallet<T> {
		/// Gives an assigned request to the next backup, with a checkpoint of the progress made,
		/// signed by the operator's gateway key (which also signs this transaction). Free when
		/// accepted. A checkpoint that does not verify still hands the request over — the client
		/// must not wait — but as `Fraud`, and is reported as an offence. Operational: the
		/// request's next operator needs it before the deadline, whatever else fills the block.
		#[pallet::call_index(0)]
		#[pallet::weight((<T as Config>::WeightInfo::hand_over(), DispatchClass::Operational))]
		pub fn hand_over(
			origin: OriginFor<T>,
			request_id: RequestId,
			checkpoint: Checkpoint,
		) -> DispatchResultWithPostInfo {
			let signer = ensure_signed(origin)?;
			Self::do_hand_over(&signer, request_id, checkpoint)?;
			Ok(Pays::No.into())
		}
	}
}

impl<T: Config> Pallet<T> {
	pub(crate) fn do_hand_over(
		signer: &T::AccountId,
		request_id: RequestId,
		checkpoint: Checkpoint,
	) -> DispatchResult {
		let (operator, key) =
			T::Operators::operator_of_signer(signer).ok_or(Error::<T>::NotGatewayKey)?;
		let genesis = baton_primitives::genesis_hash::<T>();
		let verifies = T::Requests::request_hash(request_id).is_some_and(|request_hash| {
			checkpoint_verifies(&genesis, request_id, &request_hash, &checkpoint, &operator, &key)
		});
		let reason = if verifies { HandoverReason::Voluntary } else { HandoverReason::Fraud };
		T::Requests::reassign(request_id, &operator, reason, Some(checkpoint))?;
		Ok(())
	}

	/// Checks the invariants listed in the README.
	/// Built with `std` too: the other pallets' mocks and the runtime's tests, which build in
	/// release (no `debug_assertions`), check it after every test.
	#[cfg(any(feature = "std", feature = "try-runtime"))]
	pub fn do_try_state() -> Result<(), sp_runtime::TryRuntimeError> {
		for (_, records) in History::<T>::iter() {
			ensure!(!records.is_empty(), "an empty log is stored");
			ensure!(records.iter().all(|r| r.from != r.to), "a request handed to its own operator");
			ensure!(
				records.windows(2).all(|w| w[0].block <= w[1].block),
				"handover records out of order"
			);
			ensure!(
				records.iter().all(|r| r.checkpoint.is_some()
					== matches!(r.reason, HandoverReason::Voluntary | HandoverReason::Fraud)),
				"only voluntary handovers carry checkpoints"
			);
		}
		Ok(())
	}
}

impl<T: Config> HandoverLog<T::AccountId, BlockNumberFor<T>> for Pallet<T> {
	fn record(
		request_id: RequestId,
		from: &T::AccountId,
		to: &T::AccountId,
		reason: HandoverReason,
		checkpoint: Option<Checkpoint>,
	) -> Result<u32, DispatchError> {
		History::<T>::try_mutate(request_id, |records| {
			let seq = records.len() as u32;
			let block = frame_system::Pallet::<T>::block_number();
			records
				.try_push(Record { from: from.clone(), to: to.clone(), reason, block, checkpoint })
				.map_err(|_| Error::<T>::TooManyHandovers)?;
			Self::deposit_event(Event::HandedOver {
				request_id,
				from: from.clone(),
				to: to.clone(),
				reason,
				seq,
			});
			Ok(seq)
		})
	}

	fn history(request_id: RequestId) -> Vec<HandoverView<T::AccountId, BlockNumberFor<T>>> {
		History::<T>::get(request_id)
			.into_iter()
			.map(|r| HandoverView {
				from: r.from,
				to: r.to,
				reason: r.reason,
				block: r.block,
				checkpoint: r.checkpoint,
			})
			.collect()
	}

	fn has_room(request_id: RequestId) -> bool {
		History::<T>::decode_len(request_id).unwrap_or(0) < T::MaxHandovers::get() as usize
	}

	fn forget(request_id: RequestId) {
		History::<T>::remove(request_id);
	}
}

/// Makes what the benchmarks need that this pallet cannot make itself.
#[cfg(feature = "runtime-benchmarks")]
pub trait BenchmarkHelper<AccountId> {
	/// A pending request assigned to an operator, with a backup; returns the request id, the
	/// account the operator's gateway key signs as, and that key (which is in the keystore).
	fn assigned_request() -> (RequestId, AccountId, baton_primitives::GatewayKey);
}
