#![doc = include_str!("../README.md")]
#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub use pallet::*;

mod asset;
mod availability;
#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
mod dispatchables;
mod heartbeats;
mod impls;
pub mod migrations;
#[cfg(test)]
mod mock;
#[cfg(test)]
mod tests;
pub mod types;
pub mod weights;

pub use types::*;
pub use weights::WeightInfo;

use baton_primitives::{ApiId, GatewayKey, KeyProof, PendingSlash, ReportOffence};
use frame_support::traits::fungible;

/// Balance of the staked currency.
pub type BalanceOf<T> =
	<<T as Config>::Currency as fungible::Inspect<<T as frame_system::Config>::AccountId>>::Balance;

const LOG_TARGET: &str = "runtime::operator-staking";

#[frame_support::pallet]
pub mod pallet {
	use super::*;
	use frame_support::{
		pallet_prelude::*,
		traits::fungible::{hold::Balanced as BalancedHold, MutateHold},
	};
	use frame_system::{offchain::CreateSignedTransaction, pallet_prelude::*};
	use sp_runtime::traits::Convert;

	/// The layout of this pallet's storage; a change to it comes with a migration that
	/// raises it.
	const STORAGE_VERSION: StorageVersion = StorageVersion::new(0);

	#[pallet::pallet]
	#[pallet::storage_version(STORAGE_VERSION)]
	pub struct Pallet<T>(_);

	/// Why this pallet holds funds.
	#[pallet::composite_enum]
	pub enum HoldReason {
		/// Stake an operator bonded, including stake still unbonding.
		OperatorBond,
	}

	/// What the test runtimes of this pallet and of the pallets built on it share:
	/// `#[derive_impl(config_preludes::TestDefaultConfig)]` leaves them the currency and what
	/// differs.
	#[cfg(any(test, feature = "testing"))]
	pub mod config_preludes {
		use super::*;
		use baton_primitives::testing::{KeyIsAccount, RecordOffences};
		use frame_support::derive_impl;

		pub struct TestDefaultConfig;

		#[derive_impl(frame_system::config_preludes::TestDefaultConfig, no_aggregated_types)]
		impl frame_system::DefaultConfig for TestDefaultConfig {}

		#[frame_support::register_default_impl(TestDefaultConfig)]
		impl DefaultConfig for TestDefaultConfig {
			#[inject_runtime_type]
			type RuntimeHoldReason = ();
			type KeyAccount = KeyIsAccount;
			type Offences = RecordOffences;
			type Slashes = RecordOffences;
			type AuthorityId = baton_primitives::crypto::GatewayAuthId;
			type GovernanceOrigin = frame_system::EnsureRoot<sp_runtime::AccountId32>;
			type MinUnbondingPeriod = ConstU32<10>;
			type MaxOperators = ConstU32<65>;
			type MaxUnlockingChunks = ConstU32<2>;
			type MaxEndpointLen = ConstU32<32>;
			type MaxApis = ConstU32<3>;
			type MaxHeartbeatChecks = ConstU32<2>;
			type WeightInfo = ();
		}
	}

	#[pallet::config(with_default)]
	pub trait Config:
		frame_system::Config<RuntimeEvent: From<Event<Self>>> + CreateSignedTransaction<Call<Self>>
	{
		/// The currency stake is held in.
		#[pallet::no_default]
		type Currency: MutateHold<Self::AccountId, Reason = Self::RuntimeHoldReason>
			+ BalancedHold<Self::AccountId>
			+ fungible::Mutate<Self::AccountId>;

		/// The runtime's hold reasons, of which `OperatorBond` is one.
		#[pallet::no_default_bounds]
		type RuntimeHoldReason: From<HoldReason>;

		/// The account a gateway key signs transactions as.
		#[pallet::no_default_bounds]
		type KeyAccount: Convert<GatewayKey, Self::AccountId>;

		/// Where offline operators are reported.
		#[pallet::no_default_bounds]
		type Offences: ReportOffence<Self::AccountId>;

		/// Whether an operator still owes a slash: none of its stake is released until it has
		/// landed or been cancelled.
		#[pallet::no_default_bounds]
		type Slashes: PendingSlash<Self::AccountId>;

		/// The gateway key's application crypto, used by the offchain worker to sign heartbeats.
		#[pallet::no_default_bounds]
		type AuthorityId: frame_system::offchain::AppCrypto<Self::Public, Self::Signature>;

		/// Who may change the parameters.
		#[pallet::no_default_bounds]
		type GovernanceOrigin: EnsureOrigin<Self::RuntimeOrigin>;

		/// Shortest unbonding period governance may set: it must outlast every slash deferral
		/// and request deadline, so that stake cannot leave before its faults are punished.
		#[pallet::constant]
		#[pallet::no_default_bounds]
		type MinUnbondingPeriod: Get<BlockNumberFor<Self>>;

		/// Bonded operators at most.
		#[pallet::constant]
		type MaxOperators: Get<u32>;

		/// Unbonding chunks an operator may have at once.
		#[pallet::constant]
		type MaxUnlockingChunks: Get<u32>;

		/// Longest endpoint URL in bytes.
		#[pallet::constant]
		type MaxEndpointLen: Get<u32>;

		/// APIs an operator may serve.
		#[pallet::constant]
		type MaxApis: Get<u32>;

		/// Operators whose heartbeats one block checks.
		#[pallet::constant]
		type MaxHeartbeatChecks: Get<u32>;

		/// Weights of this pallet's calls and hooks.
		type WeightInfo: WeightInfo;
	}

	/// Bonded operators.
	#[pallet::storage]
	pub type Operators<T: Config> =
		CountedStorageMap<_, Blake2_128Concat, T::AccountId, Operator<T>>;

	/// The operator each gateway key's account belongs to.
	#[pallet::storage]
	pub type KeyOwners<T: Config> = StorageMap<_, Blake2_128Concat, T::AccountId, T::AccountId>;

	/// The operators that serve each API and may be given work now (active and online), in
	/// slots `0..AvailableCount`: what routing draws its candidates from.
	#[pallet::storage]
	pub type Available<T: Config> =
		StorageDoubleMap<_, Twox64Concat, ApiId, Twox64Concat, u32, T::AccountId>;

	/// How many operators each API's `Available` slots hold.
	#[pallet::storage]
	pub type AvailableCount<T: Config> = StorageMap<_, Twox64Concat, ApiId, u32, ValueQuery>;

	/// The slot each available operator holds in each API's `Available` slots.
	#[pallet::storage]
	pub type AvailableSlot<T: Config> =
		StorageDoubleMap<_, Blake2_128Concat, T::AccountId, Twox64Concat, ApiId, u32>;

	/// Parameters set by governance.
	#[pallet::storage]
	pub type Params<T: Config> = StorageValue<_, StakingParamsOf<T>, ValueQuery>;

	/// The last operator whose heartbeat was checked; the next block goes on after it.
	#[pallet::storage]
	pub type HeartbeatCursor<T: Config> = StorageValue<_, T::AccountId>;

	#[pallet::genesis_config]
	pub struct GenesisConfig<T: Config> {
		/// Initial parameters.
		pub params: StakingParamsOf<T>,
	}

	impl<T: Config> Default for GenesisConfig<T> {
		/// Valid but arbitrary parameters; chain specs set their own.
		fn default() -> Self {
			let blocks = |n: u32| BlockNumberFor::<T>::from(n);
			Self {
				params: StakingParams {
					min_bond: 1u32.into(),
					unbonding_period: blocks(100),
					heartbeat_interval: blocks(100),
					max_missed_heartbeats: 3,
					stake_per_slot: 1u32.into(),
				},
			}
		}
	}

	#[pallet::genesis_build]
	impl<T: Config> BuildGenesisConfig for GenesisConfig<T> {
		fn build(&self) {
			Pallet::<T>::ensure_valid_params(&self.params).expect("genesis parameters are valid");
			Params::<T>::put(self.params);
		}
	}

	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// An operator bonded stake and its gateway key.
		Bonded { operator: T::AccountId, amount: BalanceOf<T>, gateway_key: GatewayKey },
		/// An operator added stake.
		BondedExtra { operator: T::AccountId, amount: BalanceOf<T> },
		/// Stake started unbonding; it can be withdrawn from block `unlock_at`.
		Unbonded { operator: T::AccountId, amount: BalanceOf<T>, unlock_at: BlockNumberFor<T> },
		/// Unbonded stake was released to the operator.
		Withdrawn { operator: T::AccountId, amount: BalanceOf<T> },
		/// An operator withdrew everything and is gone, with its key binding and profile.
		OperatorRemoved { operator: T::AccountId },
		/// An operator changed its profile.
		ProfileUpdated { operator: T::AccountId },
		/// An operator takes no new requests.
		Chilled { operator: T::AccountId },
		/// An operator takes new requests again.
		Activated { operator: T::AccountId },
		/// An operator's node sent a heartbeat.
		HeartbeatReceived { operator: T::AccountId },
		/// An operator missed too many heartbeats and is no longer routed to.
		WentOffline { operator: T::AccountId, last_heartbeat: BlockNumberFor<T> },
		/// An offline operator's node sent a heartbeat again.
		BackOnline { operator: T::AccountId },
		/// An operator was jailed until block `until`.
		Jailed { operator: T::AccountId, until: BlockNumberFor<T> },
		/// The offence behind an operator's jail was cancelled: the jail now ends at `until`, or
		/// has ended (`None`).
		JailLifted { operator: T::AccountId, until: Option<BlockNumberFor<T>> },
		/// Governance changed the parameters.
		ParamsUpdated { params: StakingParamsOf<T> },
	}

	#[pallet::error]
	pub enum Error<T> {
		/// The account has bonded already; use `bond_extra`.
		AlreadyBonded,
		/// The account is not a bonded operator.
		NotOperator,
		/// The amount is below the minimum bond.
		BondTooLow,
		/// The amount is zero.
		ZeroAmount,
		/// The account cannot spare that much (keeping its existential deposit).
		InsufficientFunds,
		/// Another operator bound this gateway key.
		GatewayKeyInUse,
		/// The endpoint is not an http:// or https:// URL.
		InvalidEndpoint,
		/// The region is not two capital letters.
		InvalidRegion,
		/// Capacity must be at least one request.
		ZeroCapacity,
		/// An API is listed twice.
		DuplicateApi,
		/// That is more than is bonded.
		UnbondTooMuch,
		/// What stays bonded must be zero or at least the minimum bond.
		BelowMinimumBond,
		/// Too many unbonding chunks; withdraw some first.
		TooManyUnlockingChunks,
		/// No unbonding chunk has unlocked yet.
		NothingToWithdraw,
		/// A slash of this operator is still to land or be cancelled; its stake stays until then.
		SlashPending,
		/// The operator is chilled already.
		AlreadyChilled,
		/// The operator is active already.
		AlreadyActive,
		/// The operator is jailed until a later block.
		StillJailed,
		/// The signer is no operator's gateway key.
		NotGatewayKey,
		/// The previous heartbeat is less than an interval old.
		HeartbeatTooEarly,
		/// The parameters are out of range (see `update_params`).
		InvalidParams,
		/// No more operators can bond.
		TooManyOperators,
		/// The proof is not a signature by the gateway key over the operator's account and the
		/// genesis hash.
		BadKeyProof,
		/// The profile's encryption key is not signed by the operator's gateway key for this
		/// operator and chain.
		BadEncryptionKeyProof,
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		fn on_initialize(now: BlockNumberFor<T>) -> Weight {
			let checked = Self::check_heartbeats(now);
			T::WeightInfo::check_heartbeats(checked)
		}

		fn offchain_worker(now: BlockNumberFor<T>) {
			Self::send_heartbeats(now);
		}

		fn integrity_test() {
			assert!(T::MaxHeartbeatChecks::get() > 0, "heartbeats must be checked");
			assert!(T::MaxUnlockingChunks::get() > 0, "unbonding needs a chunk");
			assert!(T::MaxOperators::get() > 0, "operators must be able to bond");
		}

		#[cfg(feature = "try-runtime")]
		fn try_state(_n: BlockNumberFor<T>) -> Result<(), sp_runtime::TryRuntimeError> {
			Self::do_try_state()
		}
	}

	#[pallet::call(weight(<T as Config>::WeightInfo))]
	impl<T: Config> Pallet<T> {
		/// Becomes an operator: holds `amount` as stake, binds `gateway_key` — `proof` is its
		/// signature over [`Pallet::key_ownership_message`] of the caller — and records `profile`.
		#[pallet::call_index(0)]
		pub fn bond(
			origin: OriginFor<T>,
			#[pallet::compact] amount: BalanceOf<T>,
			gateway_key: GatewayKey,
			profile: ProfileOf<T>,
			proof: KeyProof,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_bond(&who, amount, gateway_key, profile, proof)
		}

		/// Adds `amount` to the caller's stake.
		#[pallet::call_index(1)]
		pub fn bond_extra(
			origin: OriginFor<T>,
			#[pallet::compact] amount: BalanceOf<T>,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_bond_extra(&who, amount)
		}

		/// Starts unbonding `amount`; it can be withdrawn after the unbonding period.
		#[pallet::call_index(2)]
		pub fn unbond(
			origin: OriginFor<T>,
			#[pallet::compact] amount: BalanceOf<T>,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_unbond(&who, amount)
		}

		/// Releases every unbonding chunk that has unlocked, once no slash of the caller is
		/// pending.
		#[pallet::call_index(3)]
		pub fn withdraw_unbonded(origin: OriginFor<T>) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_withdraw_unbonded(&who)
		}

		/// Replaces the caller's profile.
		#[pallet::call_index(4)]
		pub fn update_profile(origin: OriginFor<T>, profile: ProfileOf<T>) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_update_profile(&who, profile)
		}

		/// Stops taking new requests.
		#[pallet::call_index(5)]
		pub fn chill(origin: OriginFor<T>) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_chill(&who)
		}

		/// Takes new requests again, once any jail has ended.
		#[pallet::call_index(6)]
		pub fn activate(origin: OriginFor<T>) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_activate(&who)
		}

		/// Says the operator's node is alive; signed by its gateway key, free when accepted.
		/// Operational: a block full of clients' transactions must not make a live operator
		/// look offline.
		#[pallet::call_index(7)]
		#[pallet::weight((<T as Config>::WeightInfo::heartbeat(), DispatchClass::Operational))]
		pub fn heartbeat(origin: OriginFor<T>) -> DispatchResultWithPostInfo {
			let signer = ensure_signed(origin)?;
			Self::do_heartbeat(&signer)?;
			Ok(Pays::No.into())
		}

		/// Sets the parameters (governance).
		#[pallet::call_index(8)]
		pub fn update_params(origin: OriginFor<T>, params: StakingParamsOf<T>) -> DispatchResult {
			T::GovernanceOrigin::ensure_origin(origin)?;
			Self::do_update_params(params)
		}
	}

	impl<T: Config> Pallet<T> {
		/// The operator whose gateway key signs as `signer`.
		pub fn operator_of_signer(signer: &T::AccountId) -> Option<T::AccountId> {
			KeyOwners::<T>::get(signer)
		}

		/// The account of a gateway key.
		pub fn key_account(key: &GatewayKey) -> T::AccountId {
			T::KeyAccount::convert(*key)
		}

		/// What `operator`'s gateway key signs, on this chain, to be bound by `bond`.
		pub fn key_ownership_message(operator: &T::AccountId) -> alloc::vec::Vec<u8> {
			baton_primitives::key_ownership_message(
				operator,
				&baton_primitives::genesis_hash::<T>(),
			)
		}

		/// `key`'s proof that `operator` holds it, signed in the keystore, which must hold `key`:
		/// for benchmarks that bond operators.
		#[cfg(feature = "runtime-benchmarks")]
		pub fn keystore_key_proof(operator: &T::AccountId, key: &GatewayKey) -> KeyProof {
			let public = sp_core::ed25519::Public::from_raw(*key);
			let message = Self::key_ownership_message(operator);
			sp_io::crypto::ed25519_sign(baton_primitives::GATEWAY_KEY_TYPE, &public, &message)
				.expect("benchmarks make gateway keys in the keystore")
				.0
		}

		/// An encryption key for `operator`'s profile, bound by gateway key `key`, which the
		/// keystore must hold: for benchmarks that check the binding.
		#[cfg(feature = "runtime-benchmarks")]
		pub fn keystore_encryption_key(
			operator: &T::AccountId,
			key: &GatewayKey,
		) -> baton_primitives::sealing::BoundEncryptionKey {
			let public = sp_core::ed25519::Public::from_raw(*key);
			let encryption_key = [7; 32];
			let message = baton_primitives::sealing::encryption_key_message(
				operator,
				&baton_primitives::genesis_hash::<T>(),
				&encryption_key,
			);
			let proof =
				sp_io::crypto::ed25519_sign(baton_primitives::GATEWAY_KEY_TYPE, &public, &message)
					.expect("benchmarks make gateway keys in the keystore")
					.0;
			baton_primitives::sealing::BoundEncryptionKey { key: encryption_key, proof }
		}

		/// Bonds `who` as an operator serving `apis` with gateway key `key`, which must be in the
		/// keystore, encryption key `[7; 32]`, and 16 times the minimum bond, minting what it needs and some funds for the
		/// key's account: the operators other pallets' benchmarks (and their tests) need.
		#[cfg(feature = "runtime-benchmarks")]
		pub fn bond_for_benchmarks(who: &T::AccountId, key: GatewayKey, apis: &[ApiId]) {
			use frame_support::traits::fungible::Mutate;
			use sp_runtime::traits::Saturating;
			let min_bond = Params::<T>::get().min_bond;
			let stake = min_bond.saturating_mul(16u32.into());
			let _ = T::Currency::mint_into(who, stake.saturating_mul(2u32.into()));
			let _ = T::Currency::mint_into(&Self::key_account(&key), min_bond);
			let profile = Profile {
				endpoint: b"https://operator.example".to_vec().try_into().expect("fits"),
				region: *b"DE",
				capacity: 1_000,
				apis: apis.to_vec().try_into().expect("the benchmarks serve few APIs"),
				encryption_key: Some(Self::keystore_encryption_key(who, &key)),
			};
			let proof = Self::keystore_key_proof(who, &key);
			Self::do_bond(who, stake, key, profile, proof).expect("a funded account can bond");
		}
	}
}
