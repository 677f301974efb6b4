//! Benchmarks of `pallet_slashing`: every call and each path of the block hook.

use super::*;
use baton_primitives::{OffenceKind, OffenceSubject, ReportOffence};
use frame_benchmarking::v2::*;
use frame_support::traits::EnsureOrigin;
use frame_system::Pallet as System;
use sp_runtime::traits::Saturating;

fn operator<T: Config>(index: u32) -> T::AccountId {
	let who: T::AccountId = account("operator", index, 0);
	T::BenchmarkHelper::bonded_operator(&who);
	who
}

/// A subject made from a number, like a request id.
fn subject(n: u32) -> OffenceSubject {
	let mut subject = [0u8; 32];
	subject[..4].copy_from_slice(&n.to_le_bytes());
	subject
}

/// Reports a wrong result (10%, ten blocks of jail) by `offender` about subject `n`; returns
/// its id.
fn report_by<T: Config>(
	offender: &T::AccountId,
	n: u32,
	beneficiary: Option<T::AccountId>,
) -> OffenceId {
	Penalties::<T>::insert(
		OffenceKind::WrongResult,
		Penalty { slash: Perbill::from_percent(10), jail: 10u32.into() },
	);
	let id = NextOffenceId::<T>::get();
	Pallet::<T>::report_offence(OffenceKind::WrongResult, subject(n), offender, beneficiary)
		.expect("a bonded operator can be reported");
	id
}

/// Reports an offence by a fresh operator with a fresh beneficiary; returns its id.
fn report<T: Config>(index: u32) -> OffenceId {
	let offender = operator::<T>(index);
	let beneficiary = operator::<T>(index + 1_000);
	report_by::<T>(&offender, index, Some(beneficiary))
}

fn governance<T: Config>() -> Result<T::RuntimeOrigin, BenchmarkError> {
	T::GovernanceOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)
}

#[benchmarks]
mod benchmarks {
	use super::*;

	/// Cancelling the latest of `MaxJailedOffences` jailing offences, which shortens the jail.
	#[benchmark]
	fn cancel_deferred_slash() -> Result<(), BenchmarkError> {
		let origin = governance::<T>()?;
		let offender = operator::<T>(1);
		let mut id = 0;
		// Each offence a block later than the one before, so its jail ends last.
		for n in 0..T::MaxJailedOffences::get() {
			System::<T>::set_block_number(System::<T>::block_number() + 1u32.into());
			id = report_by::<T>(&offender, n, None);
		}
		let jail_end = Offenders::<T>::get(&offender).unwrap().jail_end();

		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, id);

		assert_eq!(Offences::<T>::get(id).unwrap().status, SlashStatus::Cancelled);
		assert_ne!(T::Target::jailed_until(&offender), Some(jail_end));
		Ok(())
	}

	/// Jailing an operator with a pending offence, whose jails are tracked.
	#[benchmark]
	fn jail() -> Result<(), BenchmarkError> {
		let origin = governance::<T>()?;
		let id = report::<T>(1);
		let who = Offences::<T>::get(id).unwrap().offender;

		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, who.clone(), 20u32.into());

		assert!(Offenders::<T>::get(&who).is_some());
		Ok(())
	}

	#[benchmark]
	fn set_penalty() -> Result<(), BenchmarkError> {
		let origin = governance::<T>()?;
		let params = Penalty { slash: Perbill::from_percent(5), jail: 1u32.into() };

		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, OffenceKind::Equivocation, params);

		assert_eq!(Penalties::<T>::get(OffenceKind::Equivocation), params);
		Ok(())
	}

	#[benchmark]
	fn set_params() -> Result<(), BenchmarkError> {
		let origin = governance::<T>()?;
		let params = SlashingParams {
			reward_share: Perbill::from_percent(30),
			slash_deferral: T::MaxSlashDeferral::get(),
		};

		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, params);

		assert_eq!(Params::<T>::get(), params);
		Ok(())
	}

	/// The hook with nothing due and nothing to prune.
	#[benchmark]
	fn on_initialize_idle() {
		let now = System::<T>::block_number();
		let id = report::<T>(1);

		#[block]
		{
			Pallet::<T>::apply_due(now, T::MaxSlashesPerBlock::get());
			Pallet::<T>::prune(now, T::MaxSlashesPerBlock::get());
		}

		assert_eq!(NextToApply::<T>::get(), id);
	}

	/// One due slash, paid to a beneficiary and the treasury.
	#[benchmark]
	fn apply_slash() {
		let id = report::<T>(1);
		let due = Offences::<T>::get(id).unwrap().apply_at;

		#[block]
		{
			Pallet::<T>::apply_due(due, 1);
		}

		assert_eq!(Offences::<T>::get(id).unwrap().status, SlashStatus::Applied);
	}

	/// One settled record past its retention.
	#[benchmark]
	fn prune_offence() {
		let id = report::<T>(1);
		let record = Offences::<T>::get(id).unwrap();
		Pallet::<T>::apply_due(record.apply_at, 1);
		let expired = record.reported_at.saturating_add(T::OffenceRetention::get());

		#[block]
		{
			Pallet::<T>::prune(expired, 1);
		}

		assert!(Offences::<T>::get(id).is_none());
	}

	impl_benchmark_test_suite!(
		Pallet,
		crate::mock::checked_ext(),
		crate::mock::Test,
		exec_name = execute_checked
	);
}
