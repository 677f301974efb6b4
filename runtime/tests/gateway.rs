//! The request lifecycle in Baton's runtime with its real neighbours: escrow, operator staking,
//! reputation, slashing and the treasury. Tokens are conserved through completion, refund and
//! the slash of an operator that missed its deadline.

mod common;

use baton_primitives::{receipt_message, RequestStatus, ResultStatus, SlashTarget};
use baton_runtime::{
	currency::UNIT, AccountId, Balances, Gateway, OperatorStaking, Runtime, RuntimeOrigin, Treasury,
};
use common::{execute, run_to_block};
use frame_support::{assert_ok, dispatch::DispatchResultWithPostInfo, traits::fungible::Inspect};
use pallet_gateway::{ApiSpec, HttpMethod, Report, Requests};
use sp_core::Pair;
use sp_keyring::Sr25519Keyring::{Alice, Eve, Ferdie};
use sp_runtime::Perbill;

const PRICE: u128 = UNIT / 100;

fn gateway_pair() -> sp_core::ed25519::Pair {
	sp_core::ed25519::Pair::from_seed(&[42; 32])
}

/// Alice's API 0, and Eve serving it with the gateway key above.
fn setup() {
	let spec = ApiSpec::<Runtime> {
		base_url: b"https://api.example".to_vec().try_into().unwrap(),
		methods: vec![HttpMethod::Get].try_into().unwrap(),
		price_per_call: PRICE,
		max_response_bytes: 1_024,
		timeout_ms: 2_000,
		default_redundancy: 1,
		min_reputation: Perbill::zero(),
		ignored_fields: Default::default(),
		confidential_path: false,
	};
	assert_ok!(Gateway::register_api(RuntimeOrigin::signed(Alice.to_account_id()), spec));
	let profile = pallet_operator_staking::Profile {
		endpoint: b"https://eve.example".to_vec().try_into().unwrap(),
		region: *b"NL",
		capacity: 4,
		apis: vec![0].try_into().unwrap(),
		encryption_key: None,
	};
	let (eve, key) = (Eve.to_account_id(), gateway_pair().public().0);
	let proof = gateway_pair().sign(&OperatorStaking::key_ownership_message(&eve)).0;
	assert_ok!(OperatorStaking::bond(
		RuntimeOrigin::signed(eve),
		1_000 * UNIT,
		key,
		profile,
		proof
	));
}

fn submit() -> u64 {
	let id = pallet_gateway::NextRequestId::<Runtime>::get();
	assert_ok!(Gateway::submit_request(
		RuntimeOrigin::signed(Ferdie.to_account_id()),
		0,
		HttpMethod::Get,
		b"/price".to_vec().try_into().unwrap(),
		Default::default(),
		Default::default(),
		1,
		UNIT,
		frame_system::Pallet::<Runtime>::block_number() + 5,
	));
	id
}

/// What `operator` signs for its result on request `id`, as submitted on this chain.
fn receipt(
	id: u64,
	response_hash: &[u8; 32],
	status: &ResultStatus,
	operator: &AccountId,
) -> Vec<u8> {
	let request_hash = Requests::<Runtime>::get(id).unwrap().request_hash;
	let genesis = baton_primitives::genesis_hash::<Runtime>();
	receipt_message(&genesis, id, &request_hash, response_hash, status, operator)
}

#[test]
fn a_completed_request_pays_the_operator_and_the_treasury_and_conserves_tokens() {
	execute("development", || {
		setup();
		let issuance = Balances::total_issuance();
		let (ferdie, eve, treasury) = (
			Balances::balance(&Ferdie.to_account_id()),
			Balances::balance(&Eve.to_account_id()),
			Balances::balance(&Treasury::account_id()),
		);
		let id = submit();
		assert_ok!(report_as(&gateway_pair(), &Eve.to_account_id(), id));

		assert!(matches!(
			Requests::<Runtime>::get(id).unwrap().status,
			RequestStatus::Completed { .. }
		));
		let protocol_fee = PRICE / 10;
		assert_eq!(Balances::balance(&Ferdie.to_account_id()), ferdie - PRICE - protocol_fee);
		assert_eq!(Balances::balance(&Eve.to_account_id()), eve + PRICE);
		assert_eq!(Balances::balance(&Treasury::account_id()), treasury + protocol_fee);
		assert_eq!(Balances::total_issuance(), issuance);
	});
}

#[test]
fn a_missed_deadline_refunds_the_client_and_slashes_the_operator_after_the_deferral() {
	execute("development", || {
		setup();
		let issuance = Balances::total_issuance();
		let ferdie = Balances::balance(&Ferdie.to_account_id());
		let id = submit();
		let deadline = Requests::<Runtime>::get(id).unwrap().deadline;
		run_to_block(deadline + 1);
		assert_eq!(
			Requests::<Runtime>::get(id).unwrap().status,
			RequestStatus::Refunded { at: deadline + 1 }
		);
		assert_eq!(Balances::balance(&Ferdie.to_account_id()), ferdie);

		let bonded = <OperatorStaking as SlashTarget<_, _>>::slashable_stake(&Eve.to_account_id());
		let deferral = pallet_slashing::Params::<Runtime>::get().slash_deferral;
		run_to_block(deadline + 1 + deferral);
		assert!(
			<OperatorStaking as SlashTarget<_, _>>::slashable_stake(&Eve.to_account_id()) < bonded
		);
		assert_eq!(Balances::total_issuance(), issuance);
	});
}

/// Dave bonds as a second operator of API 0 with a gateway key of his own; returns the key.
fn bond_dave() -> sp_core::ed25519::Pair {
	use sp_keyring::Sr25519Keyring::Dave;
	let dave_key = sp_core::ed25519::Pair::from_seed(&[43; 32]);
	let profile = pallet_operator_staking::Profile {
		endpoint: b"https://dave.example".to_vec().try_into().unwrap(),
		region: *b"DE",
		capacity: 4,
		apis: vec![0].try_into().unwrap(),
		encryption_key: None,
	};
	let proof = dave_key.sign(&OperatorStaking::key_ownership_message(&Dave.to_account_id())).0;
	assert_ok!(OperatorStaking::bond(
		RuntimeOrigin::signed(Dave.to_account_id()),
		1_000 * UNIT,
		dave_key.public().0,
		profile,
		proof
	));
	dave_key
}

/// `operator`'s report of `{"price":7.25}` on `id`, signed with its gateway key `pair`.
fn report_as(
	pair: &sp_core::ed25519::Pair,
	operator: &AccountId,
	id: u64,
) -> DispatchResultWithPostInfo {
	let body = br#"{"price":7.25}"#.to_vec();
	let status = ResultStatus::Response { code: 200 };
	let response_hash = sp_io::hashing::blake2_256(&body);
	let signature = pair.sign(&receipt(id, &response_hash, &status, operator)).0;
	let report = Report::<Runtime> {
		status,
		response_hash,
		latency_ms: 40,
		body: body.try_into().unwrap(),
		signature,
		sealed: None,
	};
	let signer = OperatorStaking::key_account(&pair.public().0);
	Gateway::report_result(RuntimeOrigin::signed(signer), id, report)
}

/// The first operator routing assigned request `id` and its first backup, with the backup's
/// gateway key: Dave's `dave_key` or the setup operator's.
fn operator_and_backup(
	id: u64,
	dave_key: sp_core::ed25519::Pair,
) -> (AccountId, AccountId, sp_core::ed25519::Pair) {
	use sp_keyring::Sr25519Keyring::Dave;
	let request = Requests::<Runtime>::get(id).unwrap();
	let (operator, backup) = (request.assigned[0].clone(), request.backups[0].clone());
	let backup_key = if backup == Dave.to_account_id() { dave_key } else { gateway_pair() };
	(operator, backup, backup_key)
}

#[test]
fn a_silent_operators_backup_is_armed_after_the_grace_and_completes_the_request_in_two_blocks() {
	execute("development", || {
		setup();
		let dave_key = bond_dave();
		let issuance = Balances::total_issuance();
		let submitted = frame_system::Pallet::<Runtime>::block_number();
		let id = submit();
		let (silent, backup, backup_pair) = operator_and_backup(id, dave_key);
		// The default grace: the silent operator has the block after submission alone.
		run_to_block(submitted + 2);

		let history = pallet_handover::History::<Runtime>::get(id);
		assert_eq!(history.len(), 1);
		assert_eq!((&history[0].from, &history[0].to), (&silent, &backup));
		let before = Balances::balance(&backup);
		assert_ok!(report_as(&backup_pair, &backup, id));
		assert!(matches!(
			Requests::<Runtime>::get(id).unwrap().status,
			RequestStatus::Completed { at, .. } if at == submitted + 2
		));
		assert_eq!(Balances::balance(&backup), before + PRICE);
		// Settled within the deadline: the silent operator is not charged.
		assert!(pallet_slashing::Offences::<Runtime>::iter().next().is_none());
		assert_eq!(Balances::total_issuance(), issuance);
	});
}

#[test]
fn with_hedging_off_a_silent_operators_request_passes_to_a_backup_at_the_deadline_with_the_takeover_bonus(
) {
	execute("development", || {
		setup();
		let dave_key = bond_dave();
		// Governance turns hedging off: failover waits for the deadline.
		assert_ok!(Gateway::set_backup_grace(RuntimeOrigin::root(), u32::MAX));
		let issuance = Balances::total_issuance();
		let id = submit();
		let (silent, successor, successor_pair) = operator_and_backup(id, dave_key);
		run_to_block(Requests::<Runtime>::get(id).unwrap().deadline + 1);

		let history = pallet_handover::History::<Runtime>::get(id);
		assert_eq!(history.len(), 1);
		assert_eq!((&history[0].from, &history[0].to), (&silent, &successor));
		let before = Balances::balance(&successor);
		assert_ok!(report_as(&successor_pair, &successor, id));
		assert!(matches!(
			Requests::<Runtime>::get(id).unwrap().status,
			RequestStatus::Completed { .. }
		));
		assert_eq!(Balances::balance(&successor), before + PRICE);

		// The silent operator's slash lands after the deferral; 20 % of it is the successor's.
		let stake = <OperatorStaking as SlashTarget<_, _>>::slashable_stake(&silent);
		let deferral = pallet_slashing::Params::<Runtime>::get().slash_deferral;
		run_to_block(frame_system::Pallet::<Runtime>::block_number() + deferral);
		let slashed = stake - <OperatorStaking as SlashTarget<_, _>>::slashable_stake(&silent);
		assert!(slashed > 0);
		assert_eq!(Balances::balance(&successor), before + PRICE + slashed / 5);
		assert_eq!(Balances::total_issuance(), issuance);
	});
}

/// The upgrade rehearsal's migration on a chain with a finished and an open request, as
/// try-runtime runs it: every pallet's `on_runtime_upgrade` between its pre and post checks,
/// then every pallet's `try_state`. The requests, stored in the previous layout, read after it,
/// and the open one goes on to complete.
#[test]
fn offchain_workers_wait_while_an_enacted_upgrade_awaits_its_migrations() {
	execute("development", || {
		assert!(!baton_runtime::migrations_pending());
		// The state the block that enacts an upgrade leaves: its code is newer than the last
		// runtime the storage was migrated for, until the next block's initialization.
		frame_system::LastRuntimeUpgrade::<Runtime>::mutate(|last| {
			let last = last.as_mut().expect("genesis records the runtime");
			last.spec_version = (baton_runtime::VERSION.spec_version - 1).into();
		});
		assert!(baton_runtime::migrations_pending());
	});
}

#[cfg(all(feature = "try-runtime", feature = "upgrade-rehearsal"))]
#[test]
fn the_upgrade_rehearsals_migration_passes_try_runtime_and_an_open_request_goes_on() {
	use frame_support::traits::GetStorageVersion;
	execute("development", || {
		setup();
		let (finished, open) = (submit(), submit());
		assert_ok!(report_as(&gateway_pair(), &Eve.to_account_id(), finished));
		pallet_gateway::migrations::v1::store_as_version_0::<Runtime>();

		baton_runtime::Executive::try_runtime_upgrade(frame_try_runtime::UpgradeCheckSelect::All)
			.expect("pre_upgrade, the migrations, post_upgrade and try_state pass");

		assert_eq!(Gateway::on_chain_storage_version(), 1);
		for id in [finished, open] {
			assert_eq!(Requests::<Runtime>::get(id).unwrap().spec_version, 100);
		}
		assert_ok!(report_as(&gateway_pair(), &Eve.to_account_id(), open));
		assert!(matches!(
			Requests::<Runtime>::get(open).unwrap().status,
			RequestStatus::Completed { .. }
		));
		// A request submitted from now on carries the new runtime's version.
		assert_eq!(Requests::<Runtime>::get(submit()).unwrap().spec_version, 101);
	});
}
