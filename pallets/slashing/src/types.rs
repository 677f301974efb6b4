//! Offence records and parameters.

use baton_primitives::{OffenceKind, OffenceSubject};
use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use scale_info::TypeInfo;
use sp_runtime::Perbill;

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
pub struct OffenceParams<BlockNumber> {
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
pub struct OffenceRecord<AccountId, BlockNumber> {
	/// What was done wrong.
	pub kind: OffenceKind,
	/// What it was about (request id, heartbeat block).
	pub subject: OffenceSubject,
	/// Who did it.
	pub offender: AccountId,
	/// Who gets the reward share, if anyone.
	pub beneficiary: Option<AccountId>,
	/// Share of stake to slash, fixed at report time.
	pub slash: Perbill,
	/// When it was reported.
	pub reported_at: BlockNumber,
	/// When the slash is applied, unless cancelled first.
	pub apply_at: BlockNumber,
	/// Where it stands.
	pub status: SlashStatus,
}
