//! Every genesis preset builds a chain with the intended authorities and governance.

mod common;

use baton_runtime::time::{DAYS, HOURS, MINUTES};
use baton_runtime::{
	genesis_config_presets::DEV_ENDOWMENT, AccountId, Aura, Balances, Grandpa, Runtime, Treasury,
};
use common::execute;
use frame_support::traits::fungible::Inspect;
use sp_keyring::Sr25519Keyring::{Alice, Bob, Charlie, Dave, Ferdie};

fn council_members() -> Vec<AccountId> {
	pallet_collective::Members::<Runtime, pallet_collective::Instance1>::get()
}

#[test]
fn development_preset_has_one_validator_sudo_and_a_council() {
	execute("development", || {
		assert_eq!(pallet_aura::Authorities::<Runtime>::get().len(), 1);
		assert_eq!(Grandpa::grandpa_authorities().len(), 1);
		assert_eq!(pallet_sudo::Key::<Runtime>::get(), Some(Alice.to_account_id()));
		let mut expected =
			vec![Alice.to_account_id(), Bob.to_account_id(), Charlie.to_account_id()];
		// The collective keeps its members sorted.
		expected.sort();
		assert_eq!(council_members(), expected);
		assert_eq!(Balances::balance(&Ferdie.to_account_id()), DEV_ENDOWMENT);
		// The treasury exists from genesis so that the first fee it receives is not dust.
		assert_eq!(Balances::balance(&Treasury::account_id()), Balances::minimum_balance());
		assert_eq!(Aura::slot_duration(), baton_runtime::time::SLOT_DURATION);
		assert_eq!(root_track().decision_period, 30 * MINUTES);
	});
}

/// The Root track as pallet-referenda sees it.
fn root_track() -> pallet_referenda::TrackInfo<baton_runtime::Balance, u32> {
	use pallet_referenda::TracksInfo;
	let tracks: Vec<_> = baton_runtime::configs::TracksInfo::tracks().collect();
	assert_eq!(tracks.len(), 1);
	tracks[0].info.clone()
}

#[test]
fn local_testnet_preset_has_four_validators_and_no_sudo() {
	execute("local_testnet", || {
		assert_eq!(pallet_aura::Authorities::<Runtime>::get().len(), 4);
		let grandpa = Grandpa::grandpa_authorities();
		assert_eq!(grandpa.len(), 4);
		assert!(grandpa.iter().all(|(_, weight)| *weight == 1));
		assert_eq!(pallet_sudo::Key::<Runtime>::get(), None);
		assert_eq!(council_members().len(), 3);
		assert_eq!(Balances::balance(&Dave.to_account_id()), DEV_ENDOWMENT);
	});
}

#[test]
fn testnet_preset_holds_no_development_key() {
	let mut config = common::preset_config("testnet");
	assert!(config.aura.authorities.is_empty());
	assert!(config.grandpa.authorities.is_empty());
	assert!(config.council.members.is_empty());
	assert!(config.balances.balances.is_empty());
	assert_eq!(config.sudo.key, None);
	assert!(!config.gateway.private_base_urls_allowed);
	let params = &config.operator_staking.params;
	assert_eq!(params.min_bond, 1_000 * baton_runtime::currency::UNIT);
	assert_eq!(params.unbonding_period, baton_runtime::time::DAYS);

	// What its founders put in (scripts/testnet-spec.py): a validator, a council, balances.
	let founder = AccountId::from([7; 32]);
	let endowment = 5_000 * baton_runtime::currency::UNIT;
	config.aura.authorities = vec![sp_core::sr25519::Public::from_raw([8; 32]).into()];
	config.grandpa.authorities = vec![(sp_core::ed25519::Public::from_raw([9; 32]).into(), 1)];
	config.council.members = vec![founder.clone()];
	config.balances.balances = vec![(founder.clone(), endowment)];
	common::ext_of(config).execute_with(|| {
		assert_eq!(council_members(), vec![founder.clone()]);
		// Referenda take a public network's time.
		let track = root_track();
		assert_eq!(
			(track.prepare_period, track.decision_period, track.confirm_period),
			(2 * HOURS, 7 * DAYS, DAYS)
		);
		assert_eq!(track.min_enactment_period, DAYS);
		assert_eq!(Balances::balance(&founder), endowment);
		for dev in [Alice, Bob, Charlie, Dave, Ferdie] {
			assert_eq!(Balances::balance(&dev.to_account_id()), 0);
		}
		common::check_invariants();
	});
}

#[test]
fn unknown_preset_is_refused() {
	assert!(baton_runtime::genesis_config_presets::get_preset(&"mainnet".into()).is_none());
	assert_eq!(baton_runtime::genesis_config_presets::preset_names().len(), 3);
}
