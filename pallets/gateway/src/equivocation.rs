//! Equivocation: two results for one request signed by one gateway key. Whoever holds both
//! receipts proves it; the operator commits `Equivocation` and the reporter gets the reward
//! share of its slash.

use baton_primitives::{
	genesis_hash, receipt_message, signed_by_gateway_key, GatewayKeys, OffenceError, ReportOffence,
	RequestId,
};
use codec::Encode;
use frame_support::{ensure, pallet_prelude::*};

use crate::{Config, Error, Event, Pallet, SignedResult};

impl<T: Config> Pallet<T> {
	/// Takes `reporter`'s proof that `operator` signed `first` and `second`, two different results
	/// for request `request_id` of content hash `request_hash` on this chain. The request need
	/// not be kept any more: the receipts bind everything they vouch for.
	pub(crate) fn do_report_equivocation(
		reporter: &T::AccountId,
		request_id: RequestId,
		request_hash: [u8; 32],
		operator: &T::AccountId,
		first: SignedResult,
		second: SignedResult,
	) -> DispatchResult {
		ensure!(
			(first.status, first.response_hash) != (second.status, second.response_hash),
			Error::<T>::NotEquivocation
		);
		let key = T::Operators::gateway_key(operator).ok_or(Error::<T>::NotGatewayKey)?;
		let genesis = genesis_hash::<T>();
		for signed in [&first, &second] {
			let message = receipt_message(
				&genesis,
				request_id,
				&request_hash,
				&signed.response_hash,
				&signed.status,
				operator,
			);
			ensure!(
				signed_by_gateway_key(&key, &message, &signed.signature),
				Error::<T>::BadSignature
			);
		}
		// Once per request content and operator, whoever reports it first.
		let subject = sp_io::hashing::blake2_256(
			&(b"baton/offence/equivocation", request_id, request_hash).encode(),
		);
		T::Offences::report_equivocation(subject, operator, reporter).map_err(Error::<T>::from)?;
		Self::deposit_event(Event::EquivocationReported {
			request_id,
			operator: operator.clone(),
			reporter: reporter.clone(),
		});
		Ok(())
	}
}

impl<T: Config> From<OffenceError> for Error<T> {
	fn from(error: OffenceError) -> Self {
		match error {
			OffenceError::Duplicate => Error::<T>::OffenceAlreadyReported,
			// Only an operator has a gateway key to sign with.
			OffenceError::UnknownOffender => Error::<T>::NotGatewayKey,
		}
	}
}
