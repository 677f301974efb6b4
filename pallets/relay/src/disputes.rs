//! Disputes of relayed calls: two different receipts for one call by one gateway key prove
//! equivocation; the operator commits `Equivocation` and the reporter gets the reward share of
//! its slash.

use baton_primitives::{
	genesis_hash, GatewayKeys, OffenceError, OffenceKind, ReportOffence, SignedRelayReceipt,
};
use codec::Encode;
use frame_support::{ensure, pallet_prelude::*};

use crate::{Config, Error, Event, Pallet};

impl<T: Config> Pallet<T> {
	pub(crate) fn do_report_equivocation(
		reporter: &T::AccountId,
		operator: &T::AccountId,
		a: &SignedRelayReceipt,
		b: &SignedRelayReceipt,
	) -> DispatchResult {
		let (first, second) = (&a.receipt, &b.receipt);
		ensure!(
			(first.session_id, first.sequence) == (second.session_id, second.sequence)
				&& (first.status, first.response_hash) != (second.status, second.response_hash),
			Error::<T>::NotEquivocation
		);
		let key = T::Operators::gateway_key(operator).ok_or(Error::<T>::NoGatewayKey)?;
		let genesis = genesis_hash::<T>();
		ensure!(
			a.signed_by(&key, &genesis) && b.signed_by(&key, &genesis),
			Error::<T>::BadReceiptSignature
		);
		// Once per operator and session, however many of its calls it answered twice: the
		// session is what the client trusted it with.
		let subject = sp_io::hashing::blake2_256(
			&(b"baton/offence/relay-equivocation", first.session_id).encode(),
		);
		T::Offences::report_offence(
			OffenceKind::Equivocation,
			subject,
			operator,
			Some(reporter.clone()),
		)
		.map_err(|error| match error {
			OffenceError::Duplicate => Error::<T>::OffenceAlreadyReported,
			OffenceError::UnknownOffender => Error::<T>::NoGatewayKey,
		})?;
		Self::deposit_event(Event::EquivocationReported {
			session_id: first.session_id,
			sequence: first.sequence,
			operator: operator.clone(),
			reporter: reporter.clone(),
		});
		Ok(())
	}
}
