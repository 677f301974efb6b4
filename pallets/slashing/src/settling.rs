//! Deferred slashes coming due: applied in id order by the block hook, their jails settled,
//! and settled records pruned after the retention.

use frame_support::{
	pallet_prelude::*,
	traits::{fungible::Balanced, Imbalance, OnUnbalanced},
};
use frame_system::pallet_prelude::BlockNumberFor;
use sp_runtime::traits::{Saturating, Zero};

use crate::{
	Config, Event, NextOffenceId, NextToApply, NextToPrune, OffenceId, OffenceIndex,
	OffenceRecordOf, Offences, Offenders, Pallet, Params, PendingSlashes, SlashStatus,
};
use baton_primitives::SlashTarget;

impl<T: Config> Pallet<T> {
	/// Takes the settled offence `offence_id` off `offender`'s pending ones. An applied slash
	/// leaves its jail to run; a cancelled one takes it along, and if that shortens the jail
	/// returns when the jail now ends (`now` if nothing else keeps the operator jailed).
	pub(crate) fn settle(
		offender: &T::AccountId,
		offence_id: OffenceId,
		status: SlashStatus,
		now: BlockNumberFor<T>,
	) -> Option<BlockNumberFor<T>> {
		PendingSlashes::<T>::mutate(|n| n.saturating_dec());
		Offenders::<T>::mutate_exists(offender, |entry| {
			let mut pending = entry.take()?;
			let before = pending.jail_end();
			if let Some(until) = pending.take_jail(offence_id) {
				if status == SlashStatus::Applied {
					pending.jailed_until = pending.jailed_until.max(until);
				}
			}
			let after = pending.jail_end().max(now);
			pending.pending.saturating_dec();
			if pending.pending > 0 {
				*entry = Some(pending);
			}
			(after < before).then_some(after)
		})
	}

	/// Applies up to `max` slashes that are due, in id order; returns how many it looked at.
	pub(crate) fn apply_due(now: BlockNumberFor<T>, max: u32) -> u32 {
		let end = NextOffenceId::<T>::get();
		let mut next = NextToApply::<T>::get();
		let mut visited = 0;
		while visited < max && next < end {
			let Some(mut record) = Offences::<T>::get(next) else { break };
			if record.status == SlashStatus::Pending {
				if record.apply_at > now {
					break;
				}
				Self::apply(next, &record);
				record.status = SlashStatus::Applied;
				Self::settle(&record.offender, next, SlashStatus::Applied, now);
				Offences::<T>::insert(next, record);
			}
			next += 1;
			visited += 1;
		}
		NextToApply::<T>::put(next);
		visited
	}

	/// Takes the slash of `record` from the offender's stake and pays it out.
	fn apply(offence_id: OffenceId, record: &OffenceRecordOf<T>) {
		let stake = T::Target::slashable_stake(&record.offender);
		let credit = T::Target::slash(&record.offender, record.slash * stake);
		let amount = credit.peek();
		let mut to_beneficiary = Zero::zero();
		let rest = match &record.beneficiary {
			Some(beneficiary) => {
				// The compensation first, then the reward share of what is left.
				let compensation = record.compensation.min(amount);
				let share = Params::<T>::get().reward_share * amount.saturating_sub(compensation);
				let (reward, rest) = credit.split(compensation.saturating_add(share));
				let reward_amount = reward.peek();
				match T::Currency::resolve(beneficiary, reward) {
					Ok(()) => {
						to_beneficiary = reward_amount;
						rest
					},
					// A reward too small to open the beneficiary's account goes to the treasury.
					Err(reward) => rest.merge(reward),
				}
			},
			None => credit,
		};
		let to_treasury = rest.peek();
		T::OnSlash::on_unbalanced(rest);
		Self::deposit_event(Event::Slashed {
			offence_id,
			offender: record.offender.clone(),
			amount,
			beneficiary: record.beneficiary.clone(),
			to_beneficiary,
			to_treasury,
		});
	}

	/// Prunes up to `max` settled records older than the retention; returns how many.
	pub(crate) fn prune(now: BlockNumberFor<T>, max: u32) -> u32 {
		let end = NextToApply::<T>::get();
		let mut next = NextToPrune::<T>::get();
		let mut pruned = 0;
		while pruned < max && next < end {
			let Some(record) = Offences::<T>::get(next) else { break };
			if record.reported_at.saturating_add(T::OffenceRetention::get()) > now {
				break;
			}
			Offences::<T>::remove(next);
			OffenceIndex::<T>::remove((record.kind, record.subject, record.offender));
			next += 1;
			pruned += 1;
		}
		NextToPrune::<T>::put(next);
		pruned
	}
}
