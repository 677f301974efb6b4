//! Genesis presets: `development` (one validator, sudo, short periods), `local_testnet` (four
//! validators, no sudo key) and `testnet` (a public network's template: no development key).

use alloc::{vec, vec::Vec};
use frame_support::build_struct_json_patch;
use serde_json::Value;
use sp_consensus_aura::sr25519::AuthorityId as AuraId;
use sp_consensus_grandpa::AuthorityId as GrandpaId;
use sp_genesis_builder::{self, PresetId};
use sp_keyring::{Ed25519Keyring, Sr25519Keyring};

use baton_primitives::OffenceKind;
use pallet_operator_staking::StakingParams;
use pallet_slashing::{Penalty, SlashingParams};
use sp_runtime::Perbill;

use crate::{
	currency::UNIT,
	governance_periods::RootTrackPeriods,
	time::{DAYS, HOURS},
	AccountId, AuraConfig, Balance, BalancesConfig, BlockNumber, CouncilConfig, GatewayConfig,
	GovernancePeriodsConfig, GrandpaConfig, OperatorStakingConfig, RuntimeGenesisConfig,
	SlashingConfig, SudoConfig,
};

/// The public network's template (`scripts/testnet-spec.py` fills it in).
pub const TESTNET_RUNTIME_PRESET: &str = "testnet";

/// What each well-known development account starts with.
pub const DEV_ENDOWMENT: Balance = 1_000_000 * UNIT;

/// A validator's session keys: Aura's sr25519 and GRANDPA's ed25519 key of one well-known name.
fn authority(aura: Sr25519Keyring, grandpa: Ed25519Keyring) -> (AuraId, GrandpaId) {
	(aura.public().into(), grandpa.public().into())
}

/// How long things take on a network: short on a development chain, realistic elsewhere.
struct Periods {
	staking: StakingParams<Balance, BlockNumber>,
	slashing: SlashingParams<BlockNumber>,
	/// Jail of an offence that jails for long (equivocation, invalid checkpoint).
	long_jail: BlockNumber,
	/// Jail of an offence that jails for a while (missed deadline, wrong result).
	short_jail: BlockNumber,
	/// A referendum on the Root track.
	referendum: RootTrackPeriods,
}

/// Development: unbonding in 90 seconds, slashes after 15.
fn development_periods() -> Periods {
	Periods {
		staking: StakingParams {
			min_bond: 100 * UNIT,
			unbonding_period: 30,
			heartbeat_interval: 10,
			max_missed_heartbeats: 3,
			stake_per_slot: 10 * UNIT,
		},
		slashing: SlashingParams { reward_share: Perbill::from_percent(20), slash_deferral: 5 },
		long_jail: 100,
		short_jail: 20,
		referendum: RootTrackPeriods::DEVELOPMENT,
	}
}

/// Local testnet: a day to unbond, an hour for the council to cancel a slash; a week to decide a
/// referendum, a day to confirm it and a day before it is enacted.
fn testnet_periods() -> Periods {
	Periods {
		staking: StakingParams {
			min_bond: 1_000 * UNIT,
			unbonding_period: DAYS,
			heartbeat_interval: 100,
			max_missed_heartbeats: 3,
			stake_per_slot: 100 * UNIT,
		},
		slashing: SlashingParams { reward_share: Perbill::from_percent(20), slash_deferral: HOURS },
		long_jail: 7 * DAYS,
		short_jail: HOURS,
		referendum: RootTrackPeriods {
			prepare: 2 * HOURS,
			decision: 7 * DAYS,
			confirm: DAYS,
			min_enactment: DAYS,
		},
	}
}

/// What each offence costs: a share of stake and a jail.
fn penalties(periods: &Periods) -> Vec<(OffenceKind, Penalty<BlockNumber>)> {
	let cost = |percent: u32, jail: BlockNumber| Penalty {
		slash: Perbill::from_rational(percent, 1_000),
		jail,
	};
	vec![
		(OffenceKind::MissedDeadline, cost(10, periods.short_jail)),
		(OffenceKind::Offline, cost(5, 0)),
		(OffenceKind::WrongResult, cost(50, periods.short_jail)),
		(OffenceKind::InvalidCheckpoint, cost(100, periods.long_jail)),
		(OffenceKind::Equivocation, cost(200, periods.long_jail)),
	]
}

/// The genesis state shared by both presets.
fn baton_genesis(
	authorities: Vec<(AuraId, GrandpaId)>,
	endowed: Vec<AccountId>,
	council: Vec<AccountId>,
	sudo: Option<AccountId>,
	periods: Periods,
	private_base_urls_allowed: bool,
) -> Value {
	let penalties = penalties(&periods);
	let (staking_params, slashing_params) = (periods.staking, periods.slashing);
	let referendum = periods.referendum;
	build_struct_json_patch!(RuntimeGenesisConfig {
		balances: BalancesConfig {
			balances: endowed.into_iter().map(|account| (account, DEV_ENDOWMENT)).collect(),
		},
		aura: AuraConfig {
			authorities: authorities.iter().map(|(aura, _)| aura.clone()).collect()
		},
		grandpa: GrandpaConfig {
			authorities: authorities.iter().map(|(_, grandpa)| (grandpa.clone(), 1)).collect(),
		},
		council: CouncilConfig { members: council },
		sudo: SudoConfig { key: sudo },
		operator_staking: OperatorStakingConfig { params: staking_params },
		slashing: SlashingConfig { params: slashing_params, penalties },
		gateway: GatewayConfig { private_base_urls_allowed },
		governance_periods: GovernancePeriodsConfig {
			prepare: referendum.prepare,
			decision: referendum.decision,
			confirm: referendum.confirm,
			min_enactment: referendum.min_enactment,
		},
	})
}

/// The council of both presets: Alice, Bob and Charlie.
fn dev_council() -> Vec<AccountId> {
	[Sr25519Keyring::Alice, Sr25519Keyring::Bob, Sr25519Keyring::Charlie]
		.into_iter()
		.map(|k| k.to_account_id())
		.collect()
}

/// Alice validates alone and holds the sudo key. APIs may point at loopback and private
/// addresses, for upstreams on the developer's machine; a node still calls only what its
/// `--gateway-allow-hosts` allows there.
pub fn development_config_genesis() -> Value {
	baton_genesis(
		vec![authority(Sr25519Keyring::Alice, Ed25519Keyring::Alice)],
		Sr25519Keyring::well_known().map(|k| k.to_account_id()).collect(),
		dev_council(),
		Some(Sr25519Keyring::Alice.to_account_id()),
		development_periods(),
		true,
	)
}

/// Alice, Bob, Charlie and Dave validate; GRANDPA keeps finalizing with any one of them down.
pub fn local_config_genesis() -> Value {
	baton_genesis(
		vec![
			authority(Sr25519Keyring::Alice, Ed25519Keyring::Alice),
			authority(Sr25519Keyring::Bob, Ed25519Keyring::Bob),
			authority(Sr25519Keyring::Charlie, Ed25519Keyring::Charlie),
			authority(Sr25519Keyring::Dave, Ed25519Keyring::Dave),
		],
		Sr25519Keyring::well_known().map(|k| k.to_account_id()).collect(),
		dev_council(),
		None,
		testnet_periods(),
		false,
	)
}

/// A public network's template: the testnet's periods, loopback and private API URLs refused,
/// and no development key: no validator, council member, endowment or sudo key. Its founders
/// put in theirs before building the raw spec (`scripts/testnet-spec.py`, docs/deploy.md).
pub fn testnet_config_genesis() -> Value {
	baton_genesis(vec![], vec![], vec![], None, testnet_periods(), false)
}

/// The JSON patch of a named preset.
pub fn get_preset(id: &PresetId) -> Option<Vec<u8>> {
	let patch = match id.as_ref() {
		sp_genesis_builder::DEV_RUNTIME_PRESET => development_config_genesis(),
		sp_genesis_builder::LOCAL_TESTNET_RUNTIME_PRESET => local_config_genesis(),
		TESTNET_RUNTIME_PRESET => testnet_config_genesis(),
		_ => return None,
	};
	Some(
		serde_json::to_string(&patch)
			.expect("serialization to json is expected to work. qed.")
			.into_bytes(),
	)
}

/// The names of the presets this runtime provides.
pub fn preset_names() -> Vec<PresetId> {
	vec![
		PresetId::from(sp_genesis_builder::DEV_RUNTIME_PRESET),
		PresetId::from(sp_genesis_builder::LOCAL_TESTNET_RUNTIME_PRESET),
		PresetId::from(TESTNET_RUNTIME_PRESET),
	]
}
