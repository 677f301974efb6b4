//! What each call does, after its origin was checked.

use baton_primitives::{GatewayKey, KeyProof, PendingSlash};
use frame_support::{ensure, pallet_prelude::*};
use frame_system::pallet_prelude::BlockNumberFor;
use sp_runtime::traits::{Saturating, Zero};

use crate::{
	asset, Config, Error, Event, KeyOwners, Operator, OperatorStatus, Operators, Pallet, Params,
	ProfileOf, StakingParamsOf, UnlockChunk,
};

impl<T: Config> Pallet<T> {
	pub(crate) fn do_bond(
		who: &T::AccountId,
		amount: crate::BalanceOf<T>,
		gateway_key: GatewayKey,
		profile: ProfileOf<T>,
		proof: KeyProof,
	) -> DispatchResult {
		ensure!(!Operators::<T>::contains_key(who), Error::<T>::AlreadyBonded);
		ensure!(amount >= Params::<T>::get().min_bond, Error::<T>::BondTooLow);
		let key_account = Self::key_account(&gateway_key);
		ensure!(!KeyOwners::<T>::contains_key(&key_account), Error::<T>::GatewayKeyInUse);
		Self::ensure_key_proof(who, &gateway_key, &proof)?;
		Self::ensure_valid_profile(&profile)?;
		Self::ensure_bound_encryption_key(who, &gateway_key, &profile)?;
		ensure!(Operators::<T>::count() < T::MaxOperators::get(), Error::<T>::TooManyOperators);
		asset::hold::<T>(who, amount)?;

		let now = frame_system::Pallet::<T>::block_number();
		let operator = Operator {
			gateway_key,
			bonded: amount,
			unbonding: Default::default(),
			profile,
			status: OperatorStatus::Active,
			online: true,
			last_heartbeat: now,
			jailed_until: None,
		};
		Self::put_operator(who, None, Some(operator));
		KeyOwners::<T>::insert(key_account, who);
		Self::deposit_event(Event::Bonded { operator: who.clone(), amount, gateway_key });
		Ok(())
	}

	/// Refuses a `proof` that is not `gateway_key`'s signature over `who`'s key-ownership
	/// message: without it anyone could bind a key another operator's node holds.
	fn ensure_key_proof(
		who: &T::AccountId,
		gateway_key: &GatewayKey,
		proof: &KeyProof,
	) -> DispatchResult {
		ensure!(
			baton_primitives::signed_by_gateway_key(
				gateway_key,
				&Self::key_ownership_message(who),
				proof
			),
			Error::<T>::BadKeyProof
		);
		Ok(())
	}

	pub(crate) fn do_bond_extra(who: &T::AccountId, amount: crate::BalanceOf<T>) -> DispatchResult {
		ensure!(!amount.is_zero(), Error::<T>::ZeroAmount);
		let mut operator = Operators::<T>::get(who).ok_or(Error::<T>::NotOperator)?;
		let before = operator.clone();
		asset::hold::<T>(who, amount)?;
		operator.bonded.saturating_accrue(amount);
		Self::put_operator(who, Some(&before), Some(operator));
		Self::deposit_event(Event::BondedExtra { operator: who.clone(), amount });
		Ok(())
	}

	pub(crate) fn do_unbond(who: &T::AccountId, amount: crate::BalanceOf<T>) -> DispatchResult {
		ensure!(!amount.is_zero(), Error::<T>::ZeroAmount);
		let mut operator = Operators::<T>::get(who).ok_or(Error::<T>::NotOperator)?;
		let before = operator.clone();
		ensure!(amount <= operator.bonded, Error::<T>::UnbondTooMuch);
		let params = Params::<T>::get();
		let remaining = operator.bonded.saturating_sub(amount);
		ensure!(remaining.is_zero() || remaining >= params.min_bond, Error::<T>::BelowMinimumBond);
		let unlock_at =
			frame_system::Pallet::<T>::block_number().saturating_add(params.unbonding_period);
		match operator.unbonding.last_mut() {
			// Two unbonds in one block share a chunk.
			Some(last) if last.unlock_at == unlock_at => last.value.saturating_accrue(amount),
			_ => operator
				.unbonding
				.try_push(UnlockChunk { value: amount, unlock_at })
				.map_err(|_| Error::<T>::TooManyUnlockingChunks)?,
		}
		operator.bonded = remaining;
		let chilled = remaining.is_zero() && operator.status == OperatorStatus::Active;
		if chilled {
			operator.status = OperatorStatus::Chilled;
		}
		Self::put_operator(who, Some(&before), Some(operator));
		Self::deposit_event(Event::Unbonded { operator: who.clone(), amount, unlock_at });
		if chilled {
			Self::deposit_event(Event::Chilled { operator: who.clone() });
		}
		Ok(())
	}

	pub(crate) fn do_withdraw_unbonded(who: &T::AccountId) -> DispatchResult {
		let mut operator = Operators::<T>::get(who).ok_or(Error::<T>::NotOperator)?;
		let before = operator.clone();
		let now = frame_system::Pallet::<T>::block_number();
		let unlocked = Self::take_unlocked(&mut operator.unbonding, now);
		ensure!(!unlocked.is_zero(), Error::<T>::NothingToWithdraw);
		// A pending slash takes a share of the stake there is when it lands, however late the
		// queue gets to it: any withdrawal would shrink it, so none is made before.
		ensure!(!T::Slashes::has_pending_slash(who), Error::<T>::SlashPending);
		asset::release::<T>(who, unlocked)?;
		Self::deposit_event(Event::Withdrawn { operator: who.clone(), amount: unlocked });
		if operator.bonded.is_zero() && operator.unbonding.is_empty() {
			KeyOwners::<T>::remove(Self::key_account(&operator.gateway_key));
			Self::put_operator(who, Some(&before), None);
			Self::deposit_event(Event::OperatorRemoved { operator: who.clone() });
		} else {
			Self::put_operator(who, Some(&before), Some(operator));
		}
		Ok(())
	}

	/// Removes the chunks unlocked at `now` and returns their sum.
	fn take_unlocked(
		chunks: &mut BoundedVec<
			UnlockChunk<crate::BalanceOf<T>, BlockNumberFor<T>>,
			T::MaxUnlockingChunks,
		>,
		now: BlockNumberFor<T>,
	) -> crate::BalanceOf<T> {
		let mut unlocked = Zero::zero();
		chunks.retain(|chunk| {
			let done = chunk.unlock_at <= now;
			if done {
				unlocked = chunk.value.saturating_add(unlocked);
			}
			!done
		});
		unlocked
	}

	/// Refuses an encryption key in `profile` that `gateway_key` did not sign for `who` on this
	/// chain: clients seal to it what only that operator's node may read.
	fn ensure_bound_encryption_key(
		who: &T::AccountId,
		gateway_key: &GatewayKey,
		profile: &ProfileOf<T>,
	) -> DispatchResult {
		let Some(bound) = &profile.encryption_key else { return Ok(()) };
		let message = baton_primitives::sealing::encryption_key_message(
			who,
			&baton_primitives::genesis_hash::<T>(),
			&bound.key,
		);
		ensure!(
			baton_primitives::signed_by_gateway_key(gateway_key, &message, &bound.proof),
			Error::<T>::BadEncryptionKeyProof
		);
		Ok(())
	}

	pub(crate) fn do_update_profile(who: &T::AccountId, profile: ProfileOf<T>) -> DispatchResult {
		Self::ensure_valid_profile(&profile)?;
		let mut operator = Operators::<T>::get(who).ok_or(Error::<T>::NotOperator)?;
		Self::ensure_bound_encryption_key(who, &operator.gateway_key, &profile)?;
		let before = operator.clone();
		operator.profile = profile;
		Self::put_operator(who, Some(&before), Some(operator));
		Self::deposit_event(Event::ProfileUpdated { operator: who.clone() });
		Ok(())
	}

	pub(crate) fn do_chill(who: &T::AccountId) -> DispatchResult {
		let mut operator = Operators::<T>::get(who).ok_or(Error::<T>::NotOperator)?;
		let before = operator.clone();
		ensure!(operator.status == OperatorStatus::Active, Error::<T>::AlreadyChilled);
		operator.status = OperatorStatus::Chilled;
		Self::put_operator(who, Some(&before), Some(operator));
		Self::deposit_event(Event::Chilled { operator: who.clone() });
		Ok(())
	}

	pub(crate) fn do_activate(who: &T::AccountId) -> DispatchResult {
		let now = frame_system::Pallet::<T>::block_number();
		let mut operator = Operators::<T>::get(who).ok_or(Error::<T>::NotOperator)?;
		let before = operator.clone();
		ensure!(operator.status == OperatorStatus::Chilled, Error::<T>::AlreadyActive);
		ensure!(operator.jailed_until.is_none_or(|until| until <= now), Error::<T>::StillJailed);
		ensure!(operator.bonded >= Params::<T>::get().min_bond, Error::<T>::BondTooLow);
		operator.status = OperatorStatus::Active;
		operator.jailed_until = None;
		// Activation is a promise to be live: the heartbeat clock restarts now.
		operator.online = true;
		operator.last_heartbeat = now;
		Self::put_operator(who, Some(&before), Some(operator));
		Self::deposit_event(Event::Activated { operator: who.clone() });
		Ok(())
	}

	pub(crate) fn do_heartbeat(signer: &T::AccountId) -> DispatchResult {
		let who = Self::operator_of_signer(signer).ok_or(Error::<T>::NotGatewayKey)?;
		let now = frame_system::Pallet::<T>::block_number();
		let interval = Params::<T>::get().heartbeat_interval;
		let mut operator = Operators::<T>::get(&who).ok_or(Error::<T>::NotOperator)?;
		let before = operator.clone();
		ensure!(
			now >= operator.last_heartbeat.saturating_add(interval),
			Error::<T>::HeartbeatTooEarly
		);
		operator.last_heartbeat = now;
		let back_online = !operator.online;
		operator.online = true;
		Self::put_operator(&who, Some(&before), Some(operator));
		Self::deposit_event(Event::HeartbeatReceived { operator: who.clone() });
		if back_online {
			Self::deposit_event(Event::BackOnline { operator: who });
		}
		Ok(())
	}

	pub(crate) fn do_update_params(params: StakingParamsOf<T>) -> DispatchResult {
		Self::ensure_valid_params(&params)?;
		Params::<T>::put(params);
		Self::deposit_event(Event::ParamsUpdated { params });
		Ok(())
	}

	/// Parameters are valid when unbonding outlasts `MinUnbondingPeriod` and nothing that is
	/// divided by or counted on is zero.
	pub(crate) fn ensure_valid_params(params: &StakingParamsOf<T>) -> DispatchResult {
		ensure!(
			params.unbonding_period >= T::MinUnbondingPeriod::get()
				&& !params.heartbeat_interval.is_zero()
				&& params.max_missed_heartbeats > 0
				&& !params.stake_per_slot.is_zero()
				&& !params.min_bond.is_zero(),
			Error::<T>::InvalidParams
		);
		Ok(())
	}

	pub(crate) fn ensure_valid_profile(profile: &ProfileOf<T>) -> DispatchResult {
		let endpoint = &profile.endpoint[..];
		let host = endpoint
			.strip_prefix(b"https://")
			.or_else(|| endpoint.strip_prefix(b"http://"))
			.ok_or(Error::<T>::InvalidEndpoint)?;
		ensure!(
			!host.is_empty() && host.iter().all(|c| c.is_ascii_graphic()),
			Error::<T>::InvalidEndpoint
		);
		ensure!(profile.region.iter().all(u8::is_ascii_uppercase), Error::<T>::InvalidRegion);
		ensure!(profile.capacity > 0, Error::<T>::ZeroCapacity);
		let apis = &profile.apis;
		ensure!(
			apis.iter().enumerate().all(|(i, api)| !apis[..i].contains(api)),
			Error::<T>::DuplicateApi
		);
		Ok(())
	}
}
