//! Benchmarks of `pallet_reputation`.

use super::*;
use frame_benchmarking::v2::*;
use frame_support::traits::EnsureOrigin;
use frame_support::traits::Get;

#[benchmarks]
mod benchmarks {
	use super::*;

	/// Reset an operator with `a` per-API records.
	#[benchmark]
	fn reset(a: Linear<1, { T::MaxApiRecords::get() }>) -> Result<(), BenchmarkError> {
		let origin =
			T::AdminOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;
		let operator: T::AccountId = account("operator", 0, 0);
		for api in 0..a {
			Pallet::<T>::record(&operator, api, Outcome::Completed { latency_ms: 100 });
		}
		assert_eq!(ApiRecordCount::<T>::get(&operator), a);

		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, operator.clone());

		assert!(Reputations::<T>::get(&operator).is_none());
		Ok(())
	}

	impl_benchmark_test_suite!(
		Pallet,
		crate::mock::checked_ext(),
		crate::mock::Test,
		exec_name = execute_checked
	);
}
