//! Benchmarks of `pallet_handover`.

use super::*;
use baton_primitives::{checkpoint_message, GATEWAY_KEY_TYPE};
use frame_benchmarking::v2::*;
use frame_system::RawOrigin;

#[benchmarks]
mod benchmarks {
	use super::*;

	/// A voluntary handover with a checkpoint that verifies (the signature check is the work).
	#[benchmark]
	fn hand_over() {
		let (request_id, signer, key) = T::BenchmarkHelper::assigned_request();
		let (operator, _) = T::Operators::operator_of_signer(&signer).expect("an operator's key");
		let request_hash = T::Requests::request_hash(request_id).expect("an open request");
		let mut checkpoint = Checkpoint {
			completed_steps: 1,
			state_hash: [7; 32],
			request_hash,
			signature: [0; 64],
		};
		let message = checkpoint_message(
			&baton_primitives::genesis_hash::<T>(),
			request_id,
			&checkpoint,
			&operator,
		);
		let public = sp_core::ed25519::Public::from_raw(key);
		checkpoint.signature = sp_io::crypto::ed25519_sign(GATEWAY_KEY_TYPE, &public, &message)
			.expect("key in keystore")
			.0;

		#[extrinsic_call]
		_(RawOrigin::Signed(signer), request_id, checkpoint);

		assert_eq!(History::<T>::get(request_id)[0].reason, HandoverReason::Voluntary);
	}

	impl_benchmark_test_suite!(
		Pallet,
		crate::mock::checked_ext(),
		crate::mock::Test,
		exec_name = execute_checked
	);
}
