//! Sealed requests: routed to operators with encryption keys, sealed by their client to each
//! operator and backup in a second step, executed only then, reported with the response sealed
//! to the client, and refunded without anyone's fault when never sealed.

use super::secrets::{encryption_key, publish_key};
use crate::{
	mock::*, settlement::result_key, Error, Event, Hedges, NewRequest, Report, Requests,
	SealedCalls, SealedResult,
};
use baton_primitives::{
	sealing::{sealed_response_hash, CallEnvelope, SealTerms},
	OffenceKind, RequestId, RequestStatus, ResultStatus,
};
use codec::{Decode, Encode};
use frame_support::{assert_noop, assert_ok, traits::Hooks};
use sp_core::Pair;

const CLIENT_KEY: [u8; 32] = [42; 32];
const CONTENT: [u8; 32] = [43; 32];

/// The client submits a sealed `GET /account` with `redundancy`, due in 8 blocks.
fn submit_sealed(redundancy: u32) -> RequestId {
	let id = crate::NextRequestId::<Test>::get();
	assert_ok!(Gateway::submit_sealed_request(
		RuntimeOrigin::signed(account(CLIENT)),
		0,
		crate::HttpMethod::Get,
		b"/account".to_vec().try_into().unwrap(),
		SealTerms { client_key: CLIENT_KEY, content_hash: CONTENT },
		redundancy,
		10_000,
		System::block_number() + 8,
	));
	id
}

/// An envelope to `recipient` (opaque to the chain).
fn envelope(recipient: [u8; 32]) -> CallEnvelope {
	CallEnvelope { recipient, encapped: [5; 32], ciphertext: vec![9; 64].try_into().unwrap() }
}

/// One envelope per operator and backup of `id`, each to its operator's key version 0.
fn envelopes(id: RequestId) -> Vec<(AccountId, CallEnvelope)> {
	let request = Requests::<Test>::get(id).unwrap();
	request
		.assigned
		.iter()
		.chain(request.backups.iter())
		.map(|who| (who.clone(), envelope(encryption_key(number(who), 0))))
		.collect()
}

fn seal(
	id: RequestId,
	envelopes: Vec<(AccountId, CallEnvelope)>,
) -> frame_support::dispatch::DispatchResult {
	Gateway::seal_request(RuntimeOrigin::signed(account(CLIENT)), id, envelopes.try_into().unwrap())
}

/// Operator `n`'s report of a sealed response: `sealed` on-chain, `plaintext` vouched for.
fn sealed_report(n: u8, id: RequestId, sealed: &[u8], plaintext: &[u8]) -> Report<Test> {
	let status = ResultStatus::Response { code: 200 };
	let plaintext_hash = sp_io::hashing::blake2_256(plaintext);
	let response_hash = sealed_response_hash(&plaintext_hash, &sp_io::hashing::blake2_256(sealed));
	let ignored = &Requests::<Test>::get(id).unwrap().terms.ignored_fields;
	let result_key = result_key(&status, plaintext, ignored);
	Report {
		status,
		response_hash,
		latency_ms: 3,
		body: sealed.to_vec().try_into().unwrap(),
		signature: pair(n).sign(&receipt_of(n, id, &status, &response_hash)).0,
		sealed: Some(SealedResult { plaintext_hash, result_key }),
	}
}

fn report(n: u8, id: RequestId, report: Report<Test>) -> frame_support::dispatch::DispatchResult {
	Gateway::report_result(RuntimeOrigin::signed(key_account(n)), id, report)
		.map(|_| ())
		.map_err(|e| e.error)
}

#[test]
fn a_sealed_request_goes_to_operators_with_keys_and_waits_for_its_seal() {
	build_and_execute(|| {
		setup(4);
		publish_key(OP, 0);
		publish_key(OP + 1, 0);
		for _ in 0..6 {
			let id = submit_sealed(1);
			let request = Requests::<Test>::get(id).unwrap();
			let routed = request.assigned.iter().chain(request.backups.iter());
			assert!(routed.clone().all(|who| number(who) < OP + 2), "{request:?}");
			assert_eq!(routed.count(), 2);
			assert!(request.headers.is_empty() && request.body.is_empty());
			assert!(!request.executable());
			assert_eq!(SealedCalls::<Test>::iter_prefix(id).count(), 0);
		}
		// No backup is armed for a request no operator may execute yet.
		assert!(Hedges::<Test>::iter().next().is_none());

		// Fewer operators with keys than the redundancy: refused, however many serve the API.
		assert_noop!(
			Gateway::submit_sealed_request(
				RuntimeOrigin::signed(account(CLIENT)),
				0,
				crate::HttpMethod::Get,
				b"/account".to_vec().try_into().unwrap(),
				SealTerms { client_key: CLIENT_KEY, content_hash: CONTENT },
				3,
				10_000,
				System::block_number() + 8,
			),
			Error::<Test>::NotEnoughOperators
		);
	});
}

#[test]
fn a_sealed_request_carries_no_plaintext_and_hashes_its_seal_terms() {
	build_and_execute(|| {
		setup(2);
		publish_key(OP, 0);
		publish_key(OP + 1, 0);
		let with_headers = NewRequest::<Test> {
			method: crate::HttpMethod::Get,
			path: b"/account".to_vec().try_into().unwrap(),
			headers: vec![(
				b"X-Account".to_vec().try_into().unwrap(),
				b"42".to_vec().try_into().unwrap(),
			)]
			.try_into()
			.unwrap(),
			body: Default::default(),
			redundancy: 1,
			max_fee: 10_000,
			deadline: System::block_number() + 8,
			sealed: Some(SealTerms { client_key: CLIENT_KEY, content_hash: CONTENT }),
		};
		let with_body = NewRequest::<Test> {
			headers: Default::default(),
			body: b"secret".to_vec().try_into().unwrap(),
			..with_headers.clone()
		};
		for request in [with_headers, with_body] {
			assert_noop!(
				Gateway::submit_requests(
					RuntimeOrigin::signed(account(CLIENT)),
					0,
					vec![request].try_into().unwrap()
				),
				Error::<Test>::PlaintextInSealedRequest
			);
		}

		// The same call under other seal terms is another request.
		let first = submit_sealed(1);
		let second = crate::NextRequestId::<Test>::get();
		assert_ok!(Gateway::submit_sealed_request(
			RuntimeOrigin::signed(account(CLIENT)),
			0,
			crate::HttpMethod::Get,
			b"/account".to_vec().try_into().unwrap(),
			SealTerms { client_key: CLIENT_KEY, content_hash: [44; 32] },
			1,
			10_000,
			System::block_number() + 8,
		));
		let hash = |id| Requests::<Test>::get(id).unwrap().request_hash;
		assert_ne!(hash(first), hash(second));
	});
}

#[test]
fn seal_request_refuses_what_an_operator_could_not_open_and_changes_nothing() {
	build_and_execute(|| {
		setup(3);
		for n in [OP, OP + 1, OP + 2] {
			publish_key(n, 0);
		}
		let id = submit_sealed(2);
		let good = envelopes(id);
		assert_eq!(good.len(), 3);

		assert_noop!(
			Gateway::seal_request(
				RuntimeOrigin::signed(account(PUBLISHER)),
				id,
				good.clone().try_into().unwrap()
			),
			Error::<Test>::NotRequestClient
		);
		assert_noop!(seal(id, good[..2].to_vec()), Error::<Test>::EnvelopeCountMismatch);
		let mut twice = good.clone();
		twice[2] = twice[0].clone();
		assert_noop!(seal(id, twice), Error::<Test>::DuplicateEnvelope);
		let mut stranger = good.clone();
		stranger[2] = (account(PUBLISHER), envelope([1; 32]));
		assert_noop!(seal(id, stranger), Error::<Test>::NotRouted);
		let mut misaddressed = good.clone();
		misaddressed[1].1 = envelope(encryption_key(number(&good[1].0), 1));
		assert_noop!(seal(id, misaddressed), Error::<Test>::NotOperatorsEncryptionKey);
		assert_noop!(seal(id + 1, good.clone()), Error::<Test>::UnknownRequest);
		let plain = submit(1);
		assert_noop!(seal(plain, vec![]), Error::<Test>::NotSealedRequest);

		// An oversized envelope does not decode: the call never reaches the pallet.
		let mut oversized = good[0].1.encode();
		let longest = baton_primitives::sealing::MAX_SEALED_CALL_BYTES as usize;
		oversized.truncate(64);
		oversized.extend(codec::Compact((longest + 1) as u32).encode());
		oversized.extend(vec![0; longest + 1]);
		assert!(CallEnvelope::decode(&mut &oversized[..]).is_err());

		// An operator that revoked its key since routing: its node could not open the envelope.
		let revoker = good[1].0.clone();
		assert_ok!(OperatorStaking::update_profile(RuntimeOrigin::signed(revoker), profile(8)));
		assert_noop!(seal(id, good.clone()), Error::<Test>::NoEncryptionKey);
		publish_key(number(&good[1].0), 0);

		assert_ok!(seal(id, good.clone()));
		System::assert_last_event(Event::RequestSealed { request_id: id }.into());
		assert_noop!(seal(id, good), Error::<Test>::AlreadySealed);
	});
}

#[test]
fn sealing_starts_the_operators_and_their_grace() {
	build_and_execute(|| {
		setup(3);
		for n in [OP, OP + 1, OP + 2] {
			publish_key(n, 0);
		}
		let id = submit_sealed(1);
		run_to_block(4);
		assert_ok!(seal(id, envelopes(id)));
		let request = Requests::<Test>::get(id).unwrap();
		assert!(request.executable());
		assert_eq!(request.sealed.as_ref().unwrap().sealed_at, Some(4));
		for (who, envelope) in envelopes(id) {
			assert_eq!(SealedCalls::<Test>::get(id, &who), Some(envelope));
		}
		let grace = crate::BackupGrace::<Test>::get();
		assert_eq!(Hedges::<Test>::get(4 + grace).requests.to_vec(), vec![id]);
		let call = Gateway::sealed_call(id, &request, &request.assigned[0]).unwrap();
		let genesis = baton_primitives::genesis_hash::<Test>();
		assert_eq!(
			call.info,
			baton_primitives::sealing::sealed_call_info(
				&genesis,
				id,
				&request.request_hash,
				&request.assigned[0]
			)
		);
		assert_eq!(call.content_hash, CONTENT);

		// Too late to seal: the deadline would not leave the API's timeout and a block.
		let late = submit_sealed(1);
		run_to_block(10);
		assert_noop!(seal(late, envelopes(late)), Error::<Test>::DeadlineTooSoon);
	});
}

#[test]
fn an_unsealed_request_is_refunded_at_its_deadline_but_for_the_protocol_fee() {
	build_and_execute(|| {
		setup(2);
		publish_key(OP, 0);
		publish_key(OP + 1, 0);
		let client = Balances::free_balance(account(CLIENT));
		let treasury = Balances::free_balance(account(TREASURY));
		let id = submit_sealed(1);
		let operator = Requests::<Test>::get(id).unwrap().assigned[0].clone();
		assert_eq!(crate::Load::<Test>::get(&operator), 1);
		run_to_block(10);

		let request = Requests::<Test>::get(id).unwrap();
		assert!(matches!(request.status, RequestStatus::Refunded { .. }));
		let protocol_fee = PRICE / 10;
		assert_eq!(Balances::free_balance(account(CLIENT)), client - protocol_fee);
		assert_eq!(Balances::free_balance(account(TREASURY)), treasury + protocol_fee);
		assert!(offences().is_empty(), "{:?}", offences());
		assert_eq!(crate::Load::<Test>::get(&operator), 0);
		assert!(handovers(id).is_empty());
	});
}

/// `path` as a request's path.
fn path(path: &[u8]) -> frame_support::BoundedVec<u8, <Test as crate::Config>::MaxPathLen> {
	path.to_vec().try_into().unwrap()
}

#[test]
fn an_api_with_confidential_paths_takes_sealed_requests_with_no_public_path() {
	build_and_execute(|| {
		setup(2);
		publish_key(OP, 0);
		publish_key(OP + 1, 0);
		let confidential = crate::ApiSpec { confidential_path: true, ..spec() };
		assert_ok!(Gateway::update_api(RuntimeOrigin::signed(account(PUBLISHER)), 0, confidential));
		let client = || RuntimeOrigin::signed(account(CLIENT));
		let deadline = System::block_number() + 8;
		let terms = SealTerms { client_key: CLIENT_KEY, content_hash: CONTENT };
		let get = crate::HttpMethod::Get;
		let no_headers = || Default::default();
		// A plain request, or a sealed one naming its path in public, would publish the path.
		assert_noop!(
			Gateway::submit_request(
				client(),
				0,
				get,
				path(b"/account/42"),
				no_headers(),
				Default::default(),
				1,
				10_000,
				deadline
			),
			Error::<Test>::ConfidentialPath
		);
		assert_noop!(
			Gateway::submit_sealed_request(
				client(),
				0,
				get,
				path(b"/account/42"),
				terms,
				1,
				10_000,
				deadline
			),
			Error::<Test>::ConfidentialPath
		);

		let id = crate::NextRequestId::<Test>::get();
		assert_ok!(Gateway::submit_sealed_request(
			client(),
			0,
			get,
			path(b""),
			terms,
			1,
			10_000,
			deadline
		));
		assert_ok!(seal(id, envelopes(id)));
		// The API going public again changes nothing for the open request: its operators
		// still take the path from the sealed call.
		assert_ok!(Gateway::update_api(RuntimeOrigin::signed(account(PUBLISHER)), 0, spec()));
		let request = Requests::<Test>::get(id).unwrap();
		let call = Gateway::sealed_call(id, &request, &request.assigned[0]).unwrap();
		assert!(call.path_sealed);
		assert_eq!(call.max_path_len, 64);

		// A public API's sealed request names its path, and its sealed call holds none.
		assert_noop!(
			Gateway::submit_sealed_request(client(), 0, get, path(b""), terms, 1, 10_000, deadline),
			Error::<Test>::InvalidPath
		);
		let public = submit_sealed(1);
		assert_ok!(seal(public, envelopes(public)));
		let request = Requests::<Test>::get(public).unwrap();
		let call = Gateway::sealed_call(public, &request, &request.assigned[0]).unwrap();
		assert!(!call.path_sealed);
	});
}

#[test]
fn sealed_reports_settle_by_the_majority_of_their_plaintexts() {
	build_and_execute(|| {
		setup(3);
		for n in [OP, OP + 1, OP + 2] {
			publish_key(n, 0);
		}
		let id = submit_sealed(3);
		assert_ok!(seal(id, envelopes(id)));
		let [a, b, c] = [OP, OP + 1, OP + 2];
		let before: Vec<_> =
			[a, b, c].iter().map(|n| Balances::free_balance(account(*n))).collect();

		// The plaintext differs in an ignored field only: the same result.
		assert_ok!(report(a, id, sealed_report(a, id, b"sealed-a", br#"{"balance":5,"ts":1}"#)));
		assert_ok!(report(b, id, sealed_report(b, id, b"sealed-b", br#"{"balance":5,"ts":2}"#)));
		assert_ok!(report(c, id, sealed_report(c, id, b"sealed-c", br#"{"balance":6}"#)));

		let request = Requests::<Test>::get(id).unwrap();
		let RequestStatus::Completed { response_hash, .. } = request.status else {
			panic!("not completed: {:?}", request.status);
		};
		let served = &request.reports[request.served.unwrap() as usize];
		assert_eq!(served.response_hash, response_hash);
		assert!(served.plaintext_hash.is_some());
		for (i, n) in [a, b].iter().enumerate() {
			assert_eq!(Balances::free_balance(account(*n)), before[i] + PRICE);
		}
		assert_eq!(Balances::free_balance(account(c)), before[2]);
		assert_eq!(offences(), vec![(OffenceKind::WrongResult, account(c))]);
		let view = Gateway::response_view(id).unwrap();
		assert_eq!(view.plaintext_hash, served.plaintext_hash);
	});
}

#[test]
fn a_report_must_match_its_request_being_sealed_or_plain() {
	build_and_execute(|| {
		setup(2);
		publish_key(OP, 0);
		publish_key(OP + 1, 0);
		let sealed = submit_sealed(1);
		let operator = number(&Requests::<Test>::get(sealed).unwrap().assigned[0]);

		// Before the seal, no operator can have executed it.
		let early = sealed_report(operator, sealed, b"sealed", b"{}");
		assert_noop!(report(operator, sealed, early.clone()), Error::<Test>::AwaitingSeal);
		assert_ok!(seal(sealed, envelopes(sealed)));
		let plain_report = report_of(operator, sealed, ResultStatus::Response { code: 200 }, b"{}");
		assert_noop!(report(operator, sealed, plain_report), Error::<Test>::SealedResultMismatch);
		let mut forged = early.clone();
		forged.body = b"other".to_vec().try_into().unwrap();
		assert_noop!(report(operator, sealed, forged), Error::<Test>::HashMismatch);
		// A failure has no body to seal: reported as on a plain request.
		let timeout = report_of(operator, sealed, ResultStatus::Timeout, b"");
		assert_ok!(report(operator, sealed, timeout));

		let plain = submit(1);
		let plain_operator = number(&Requests::<Test>::get(plain).unwrap().assigned[0]);
		let sealed_on_plain = sealed_report(plain_operator, plain, b"sealed", b"{}");
		assert_noop!(
			report(plain_operator, plain, sealed_on_plain),
			Error::<Test>::SealedResultMismatch
		);
	});
}

#[test]
fn a_pruned_sealed_request_leaves_no_envelope() {
	build_and_execute(|| {
		setup(2);
		publish_key(OP, 0);
		publish_key(OP + 1, 0);
		let id = submit_sealed(1);
		assert_ok!(seal(id, envelopes(id)));
		let operator = number(&Requests::<Test>::get(id).unwrap().assigned[0]);
		assert_ok!(report(operator, id, sealed_report(operator, id, b"sealed", b"{}")));
		assert_eq!(SealedCalls::<Test>::iter_prefix(id).count(), 2);
		run_to_block(System::block_number() + 6);
		assert!(Requests::<Test>::get(id).is_none());
		assert_eq!(SealedCalls::<Test>::iter_prefix(id).count(), 0);
	});
}

#[test]
fn the_worker_hands_the_envelope_to_the_node_and_reports_the_sealed_response() {
	with_offchain_worker_state(|state, submitted| {
		publish_key(OP, 0);
		let id = submit_sealed(1);
		// Not sealed yet: nothing to call.
		Gateway::offchain_worker(1);
		assert!(submitted().is_empty());
		assert_ok!(seal(id, envelopes(id)));

		let request = Requests::<Test>::get(id).unwrap();
		let genesis = baton_primitives::genesis_hash::<Test>();
		let plaintext = br#"{"balance":5,"ts":9}"#;
		let sealed = b"encapped key and ciphertext".to_vec();
		let call = baton_primitives::egress::EgressRequest {
			method: b"GET".to_vec(),
			url: b"https://api.example/account".to_vec(),
			headers: vec![(b"Idempotency-Key".to_vec(), idempotency(id).into_bytes())],
			body: Vec::new(),
			timeout_ms: 2_000,
			max_response_bytes: 128,
			secret: None,
			sealed_call: Gateway::sealed_call(id, &request, &account(OP)),
			seal_response: Some(baton_primitives::sealing::ResponseSeal {
				client_key: CLIENT_KEY,
				info: baton_primitives::sealing::sealed_response_info(
					&genesis,
					id,
					&request.request_hash,
					&account(OP),
				),
			}),
		};
		assert_eq!(call.sealed_call.as_ref().unwrap().envelope, envelope(encryption_key(OP, 0)));
		let answer = baton_primitives::egress::EgressResponse {
			sealed_body: Some(sealed.clone()),
			..super::offchain::answer(plaintext)
		};
		state.expected.lock().push((call, answer));
		Gateway::offchain_worker(2);

		let transactions = submitted();
		assert_eq!(transactions.len(), 1);
		// The plaintext answer never leaves the node.
		assert!(!transactions[0].windows(plaintext.len()).any(|w| w == plaintext));
		let (_, report, signer) = super::offchain::submitted_report(&transactions, 0);
		assert_eq!(report, sealed_report(OP, id, &sealed, plaintext));
		assert_ok!(Gateway::report_result(RuntimeOrigin::signed(signer), id, report));
		assert!(matches!(
			Requests::<Test>::get(id).unwrap().status,
			RequestStatus::Completed { .. }
		));
	});
}
