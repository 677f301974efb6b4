//! Offence records, pending offenders and parameters.

use baton_primitives::{OffenceKind, OffenceSubject};
use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use frame_support::{
	pallet_prelude::BoundedVec, CloneNoBound, DebugNoBound, EqNoBound, PartialEqNoBound,
};
use frame_system::pallet_prelude::BlockNumberFor;
use scale_info::TypeInfo;
use sp_runtime::Perbill;

use crate::Config;

/// Identifies a reported offence; ids increase.
pub type OffenceId = u64;

/// What each kind of offence costs.
#[derive(
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Clone,
	Copy,
	PartialEq,
	Eq,
	Debug,
	Default,
	serde::Serialize,
	serde::Deserialize,
)]
#[serde(rename_all = "camelCase")]
pub struct Penalty<BlockNumber> {
	/// Share of the offender's stake taken.
	pub slash: Perbill,
	/// Blocks the offender stays jailed.
	pub jail: BlockNumber,
}

/// Parameters that apply to every offence.
#[derive(
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Clone,
	Copy,
	PartialEq,
	Eq,
	Debug,
	Default,
	serde::Serialize,
	serde::Deserialize,
)]
#[serde(rename_all = "camelCase")]
pub struct SlashingParams<BlockNumber> {
	/// Share of a slash paid to the beneficiary the reporter named; the rest goes to the treasury.
	pub reward_share: Perbill,
	/// Blocks between a report and its slash, during which governance may cancel it.
	pub slash_deferral: BlockNumber,
}

/// Where a reported offence stands.
#[derive(Encode, Decode, MaxEncodedLen, TypeInfo, Clone, Copy, PartialEq, Eq, Debug)]
pub enum SlashStatus {
	/// Waiting for its block.
	Pending,
	/// The stake was slashed by this amount (may be less than asked if stake ran out).
	Applied,
	/// Governance cancelled the slash.
	Cancelled,
}

/// A reported offence.
#[derive(Encode, Decode, MaxEncodedLen, TypeInfo, Clone, PartialEq, Eq, Debug)]
pub struct OffenceRecord<AccountId, Balance, BlockNumber> {
	/// What was done wrong.
	pub kind: OffenceKind,
	/// What it was about (request id, heartbeat block).
	pub subject: OffenceSubject,
	/// Who did it.
	pub offender: AccountId,
	/// Who gets the reward share, if anyone.
	pub beneficiary: Option<AccountId>,
	/// Paid to the beneficiary out of the slash before the reward share: what proving the
	/// offence cost it (a challenge's fee).
	pub compensation: Balance,
	/// Share of stake to slash, fixed at report time.
	pub slash: Perbill,
	/// When it was reported.
	pub reported_at: BlockNumber,
	/// When the slash is applied, unless cancelled first.
	pub apply_at: BlockNumber,
	/// Where it stands.
	pub status: SlashStatus,
}

/// An operator with slashes still to land: how many, and what keeps it jailed, so that
/// cancelling one of its offences lifts only the jail that offence caused.
#[derive(
	Encode, Decode, MaxEncodedLen, TypeInfo, CloneNoBound, PartialEqNoBound, EqNoBound, DebugNoBound,
)]
#[scale_info(skip_type_params(T))]
#[codec(mel_bound(T: Config))]
pub struct PendingOffender<T: Config> {
	/// Its offences whose slash is neither applied nor cancelled.
	pub pending: u32,
	/// It stays jailed until this block whatever is cancelled (zero: no such jail): jails it
	/// had before its first pending offence, governance's, those of applied slashes, and those
	/// of offences beyond `MaxJailedOffences`.
	pub jailed_until: BlockNumberFor<T>,
	/// The pending offences that jail it, each with the block its jail ends at.
	pub offence_jails: BoundedVec<(OffenceId, BlockNumberFor<T>), T::MaxJailedOffences>,
}

impl<T: Config> PendingOffender<T> {
	/// An operator about to have its first pending offence, jailed until `jailed_until`
	/// (zero: not jailed).
	pub fn new(jailed_until: BlockNumberFor<T>) -> Self {
		Self { pending: 0, jailed_until, offence_jails: BoundedVec::new() }
	}

	/// The block its jail ends at, over every cause.
	pub fn jail_end(&self) -> BlockNumberFor<T> {
		self.offence_jails
			.iter()
			.fold(self.jailed_until, |end, (_, until)| end.max(*until))
	}

	/// Records that offence `offence_id` jails it until `until`. Jails that ended by `now` are
	/// forgotten; when the list is full the jail joins those no cancel lifts, so that a jail
	/// can end late but never early.
	pub fn add_jail(
		&mut self,
		offence_id: OffenceId,
		until: BlockNumberFor<T>,
		now: BlockNumberFor<T>,
	) {
		self.offence_jails.retain(|(_, end)| *end > now);
		if self.offence_jails.try_push((offence_id, until)).is_err() {
			self.jailed_until = self.jailed_until.max(until);
		}
	}

	/// Forgets the jail of offence `offence_id` and returns its end, if it had one.
	pub fn take_jail(&mut self, offence_id: OffenceId) -> Option<BlockNumberFor<T>> {
		let index = self.offence_jails.iter().position(|(id, _)| *id == offence_id)?;
		Some(self.offence_jails.remove(index).1)
	}
}
