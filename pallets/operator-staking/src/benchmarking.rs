//! Benchmarks of `pallet_operator_staking`: every call and the heartbeat check.

use super::*;
use frame_benchmarking::v2::*;
use frame_support::traits::EnsureOrigin;
use frame_support::{
	traits::{fungible::Mutate, Get, Hooks},
	BoundedVec,
};
use frame_system::{pallet_prelude::BlockNumberFor, Pallet as System, RawOrigin};
use sp_runtime::traits::{Bounded, Saturating};

/// The biggest valid profile of `who` bonding `key`: longest endpoint, most APIs, an
/// encryption key whose proof must be checked.
fn worst_profile<T: Config>(who: &T::AccountId, key: &GatewayKey) -> ProfileOf<T> {
	let mut endpoint = b"https://".to_vec();
	endpoint.resize(T::MaxEndpointLen::get() as usize, b'a');
	Profile {
		endpoint: BoundedVec::truncate_from(endpoint),
		region: *b"DE",
		capacity: u32::MAX,
		apis: BoundedVec::truncate_from((0..T::MaxApis::get()).collect()),
		encryption_key: Some(Pallet::<T>::keystore_encryption_key(who, key)),
	}
}

fn funded<T: Config>(name: &'static str, index: u32) -> T::AccountId {
	let who: T::AccountId = account(name, index, 0);
	// Enough for any bond, yet room for many accounts under the issuance limit.
	T::Currency::set_balance(&who, BalanceOf::<T>::max_value() / 1_000_000u32.into());
	who
}

/// A fresh gateway key in the keystore and its proof that `who` holds it.
fn gateway_key<T: Config>(who: &T::AccountId) -> (GatewayKey, KeyProof) {
	let key = sp_io::crypto::ed25519_generate(baton_primitives::GATEWAY_KEY_TYPE, None).0;
	(key, Pallet::<T>::keystore_key_proof(who, &key))
}

/// A bonded operator with twice the minimum bond.
fn operator<T: Config>(index: u32) -> T::AccountId {
	let who = funded::<T>("operator", index);
	let stake = Params::<T>::get().min_bond.saturating_mul(2u32.into());
	let (key, proof) = gateway_key::<T>(&who);
	Pallet::<T>::do_bond(&who, stake, key, worst_profile::<T>(&who, &key), proof)
		.expect("a funded account can bond");
	who
}

/// Operator 0, with another bonded after it, so that leaving the availability index moves the
/// other one into its slots (the dearer way out).
fn operator_before_another<T: Config>() -> T::AccountId {
	let who = operator::<T>(0);
	operator::<T>(1);
	who
}

fn governance<T: Config>() -> Result<T::RuntimeOrigin, BenchmarkError> {
	T::GovernanceOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)
}

#[benchmarks]
mod benchmarks {
	use super::*;

	#[benchmark]
	fn bond() {
		let who = funded::<T>("operator", 0);
		let amount = Params::<T>::get().min_bond;
		let (key, proof) = gateway_key::<T>(&who);

		#[extrinsic_call]
		_(RawOrigin::Signed(who.clone()), amount, key, worst_profile::<T>(&who, &key), proof);

		assert!(Operators::<T>::contains_key(&who));
	}

	#[benchmark]
	fn bond_extra() {
		let who = operator::<T>(0);
		let amount = Params::<T>::get().min_bond;

		#[extrinsic_call]
		_(RawOrigin::Signed(who.clone()), amount);

		assert_eq!(Operators::<T>::get(&who).unwrap().bonded, amount.saturating_mul(3u32.into()));
	}

	/// Unbonding everything left into a fresh chunk when all but one chunk are taken, which
	/// chills the operator and takes it out of the availability index.
	#[benchmark]
	fn unbond() {
		let who = operator_before_another::<T>();
		T::Currency::set_balance(&who, BalanceOf::<T>::max_value() / 2u32.into());
		let min = Params::<T>::get().min_bond;
		let chunks = T::MaxUnlockingChunks::get() - 1;
		Pallet::<T>::do_bond_extra(&who, min.saturating_mul((chunks + 1).into())).unwrap();
		for _ in 0..chunks {
			Pallet::<T>::do_unbond(&who, min).unwrap();
			System::<T>::set_block_number(System::<T>::block_number() + 1u32.into());
		}

		let left = Operators::<T>::get(&who).unwrap().bonded;

		#[extrinsic_call]
		_(RawOrigin::Signed(who.clone()), left);

		let operator = Operators::<T>::get(&who).unwrap();
		assert_eq!(operator.unbonding.len() as u32, chunks + 1);
		assert_eq!(operator.status, OperatorStatus::Chilled);
	}

	/// Withdrawing everything, which also removes the operator.
	#[benchmark]
	fn withdraw_unbonded() {
		let who = operator::<T>(0);
		let bonded = Operators::<T>::get(&who).unwrap().bonded;
		Pallet::<T>::do_unbond(&who, bonded).unwrap();
		let later = System::<T>::block_number().saturating_add(Params::<T>::get().unbonding_period);
		System::<T>::set_block_number(later);

		#[extrinsic_call]
		_(RawOrigin::Signed(who.clone()));

		assert!(!Operators::<T>::contains_key(&who));
	}

	/// A profile serving none of the APIs it served, so that every one moves in the index.
	#[benchmark]
	fn update_profile() {
		let who = operator_before_another::<T>();
		let key = Operators::<T>::get(&who).expect("bonded").gateway_key;
		let mut profile = worst_profile::<T>(&who, &key);
		profile.region = *b"FR";
		profile.apis =
			BoundedVec::truncate_from((T::MaxApis::get()..2 * T::MaxApis::get()).collect());

		#[extrinsic_call]
		_(RawOrigin::Signed(who.clone()), profile);

		assert_eq!(Operators::<T>::get(&who).unwrap().profile.region, *b"FR");
	}

	#[benchmark]
	fn chill() {
		let who = operator_before_another::<T>();

		#[extrinsic_call]
		_(RawOrigin::Signed(who.clone()));

		assert_eq!(Operators::<T>::get(&who).unwrap().status, OperatorStatus::Chilled);
	}

	#[benchmark]
	fn activate() {
		let who = operator::<T>(0);
		Pallet::<T>::do_chill(&who).unwrap();

		#[extrinsic_call]
		_(RawOrigin::Signed(who.clone()));

		assert_eq!(Operators::<T>::get(&who).unwrap().status, OperatorStatus::Active);
	}

	/// A heartbeat that brings an offline operator back online.
	#[benchmark]
	fn heartbeat() {
		let who = operator::<T>(0);
		Pallet::<T>::set_offline(&who);
		let later =
			System::<T>::block_number().saturating_add(Params::<T>::get().heartbeat_interval);
		System::<T>::set_block_number(later);
		let signer = Pallet::<T>::key_account(&Operators::<T>::get(&who).unwrap().gateway_key);

		#[extrinsic_call]
		_(RawOrigin::Signed(signer));

		assert!(Operators::<T>::get(&who).unwrap().online);
	}

	#[benchmark]
	fn update_params() -> Result<(), BenchmarkError> {
		let origin = governance::<T>()?;
		let mut params = Params::<T>::get();
		params.min_bond = params.min_bond.saturating_mul(2u32.into());

		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, params);

		assert_eq!(Params::<T>::get(), params);
		Ok(())
	}

	/// `n` operators checked, all overdue and below a raised minimum bond: each goes offline,
	/// is reported and is chilled.
	#[benchmark]
	fn check_heartbeats(n: Linear<1, { T::MaxHeartbeatChecks::get() }>) {
		for index in 0..n {
			operator::<T>(index);
		}
		let mut params = Params::<T>::get();
		params.min_bond = params.min_bond.saturating_mul(3u32.into());
		Params::<T>::put(params);
		let allowed = params.heartbeat_interval.saturating_mul(params.max_missed_heartbeats.into());
		let late: BlockNumberFor<T> =
			System::<T>::block_number().saturating_add(allowed).saturating_add(1u32.into());
		System::<T>::set_block_number(late);

		#[block]
		{
			Pallet::<T>::on_initialize(late);
		}

		assert!(
			Operators::<T>::iter().all(|(_, o)| !o.online && o.status == OperatorStatus::Chilled)
		);
	}

	impl_benchmark_test_suite!(
		Pallet,
		crate::mock::checked_ext(),
		crate::mock::Test,
		exec_name = execute_checked
	);
}
