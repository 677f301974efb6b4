//! Governance: two thirds of the council, or a referendum on the Root track, and nobody else,
//! may make privileged calls.

mod common;

use baton_runtime::{
	currency::UNIT, Balances, Council, OriginCaller, Preimage, Referenda, Runtime, RuntimeCall,
	RuntimeEvent, RuntimeOrigin, Sudo, Treasury,
};
use codec::Encode;
use common::{events, execute, has_event, run_to_block};
use frame_support::{
	assert_noop, assert_ok,
	dispatch::GetDispatchInfo,
	traits::{fungible::Inspect, schedule::DispatchTime, StorePreimage},
};
use pallet_conviction_voting::{AccountVote, Conviction, Vote};
use sp_keyring::Sr25519Keyring::{self, Alice, Bob, Charlie, Dave, Eve, Ferdie};
use sp_runtime::{traits::Hash, DispatchError};

fn signed(who: Sr25519Keyring) -> RuntimeOrigin {
	RuntimeOrigin::signed(who.to_account_id())
}

/// A privileged call: the treasury is to pay Dave 100 BTN.
fn treasury_spend() -> RuntimeCall {
	RuntimeCall::Treasury(pallet_treasury::Call::spend {
		asset_kind: Box::new(()),
		amount: 100 * UNIT,
		beneficiary: Box::new(Dave.to_account_id()),
		valid_from: None,
	})
}

/// Alice proposes `call` to the council with `threshold` votes needed; returns its hash.
fn propose(call: RuntimeCall, threshold: u32) -> sp_core::H256 {
	let length = call.encode().len() as u32;
	let hash = <Runtime as frame_system::Config>::Hashing::hash_of(&call);
	assert_ok!(Council::propose(signed(Alice), threshold, Box::new(call), length));
	hash
}

#[test]
fn two_thirds_of_the_council_execute_a_privileged_call() {
	execute("development", || {
		let call = treasury_spend();
		let (weight, length) = (call.get_dispatch_info().call_weight, call.encode().len() as u32);
		let hash = propose(call, 2);
		// Proposing is not voting: two of the three members vote aye.
		assert_ok!(Council::vote(signed(Alice), hash, 0, true));
		assert_ok!(Council::vote(signed(Bob), hash, 0, true));
		assert_ok!(Council::close(signed(Charlie), hash, 0, weight, length));

		assert!(has_event(RuntimeEvent::Council(pallet_collective::Event::Executed {
			proposal_hash: hash,
			result: Ok(()),
		})));
		assert!(events().iter().any(|event| matches!(
			event,
			RuntimeEvent::Treasury(pallet_treasury::Event::AssetSpendApproved {
				index: 0,
				amount,
				beneficiary,
				..
			}) if *amount == 100 * UNIT && *beneficiary == Dave.to_account_id()
		)));

		// Anyone may then have the approved spend paid out.
		let treasury = Treasury::account_id();
		assert_ok!(Balances::transfer_keep_alive(signed(Alice), treasury.into(), 1_000 * UNIT));
		let dave = Balances::balance(&Dave.to_account_id());
		assert_ok!(Treasury::payout(signed(Eve), 0));
		assert_eq!(Balances::balance(&Dave.to_account_id()), dave + 100 * UNIT);
	});
}

#[test]
fn one_third_of_the_council_is_not_enough() {
	execute("development", || {
		// Threshold 1 executes at once, with the origin "1 of 3 members".
		let hash = propose(treasury_spend(), 1);
		assert!(has_event(RuntimeEvent::Council(pallet_collective::Event::Executed {
			proposal_hash: hash,
			result: Err(DispatchError::BadOrigin),
		})));
		assert!(pallet_treasury::Spends::<Runtime>::get(0).is_none());
	});
}

#[test]
fn a_non_member_cannot_make_a_privileged_call() {
	execute("development", || {
		assert_noop!(
			Treasury::spend(
				signed(Eve),
				Box::new(()),
				100 * UNIT,
				Box::new(Dave.to_account_id()),
				None
			),
			DispatchError::BadOrigin
		);
		assert_noop!(
			Council::propose(signed(Eve), 2, Box::new(treasury_spend()), 64),
			pallet_collective::Error::<Runtime, pallet_collective::Instance1>::NotMember
		);
	});
}

#[test]
fn sudo_has_no_key_on_the_local_testnet() {
	execute("local_testnet", || {
		assert_noop!(
			Sudo::sudo(signed(Alice), Box::new(treasury_spend())),
			pallet_sudo::Error::<Runtime>::RequireSudo
		);
	});
}

#[test]
fn a_referendum_on_the_root_track_passes_and_is_enacted() {
	execute("development", || {
		let target = Ferdie.to_account_id();
		let new_balance = 42 * UNIT;
		let call = RuntimeCall::Balances(pallet_balances::Call::force_set_balance {
			who: target.clone().into(),
			new_free: new_balance,
		});
		let proposal = Preimage::bound(call).unwrap();
		assert_ok!(Referenda::submit(
			signed(Alice),
			Box::new(OriginCaller::system(frame_system::RawOrigin::Root)),
			proposal,
			DispatchTime::After(1),
		));
		assert_ok!(Referenda::place_decision_deposit(signed(Alice), 0));
		for voter in [Alice, Bob, Charlie, Dave, Eve] {
			let balance = Balances::balance(&voter.to_account_id()) / 2;
			assert_ok!(pallet_conviction_voting::Pallet::<Runtime>::vote(
				signed(voter),
				0,
				AccountVote::Standard {
					vote: Vote { aye: true, conviction: Conviction::Locked1x },
					balance,
				},
			));
		}

		// Prepare, decide, confirm and enact all fit well within the decision period.
		let mut block = frame_system::Pallet::<Runtime>::block_number();
		while Balances::balance(&target) != new_balance && block < 2_000 {
			block += 1;
			run_to_block(block);
		}
		assert_eq!(Balances::balance(&target), new_balance);
		assert!(matches!(
			pallet_referenda::ReferendumInfoFor::<Runtime>::get(0),
			Some(pallet_referenda::ReferendumInfo::Approved(..))
		));
	});
}
