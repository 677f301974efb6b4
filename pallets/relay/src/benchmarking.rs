//! Benchmarks of `pallet_relay`: every call along the operators its weight depends on, with
//! routing over the most candidates the gateway looks at, and the hook's two tasks.

use super::*;
use alloc::{boxed::Box, vec::Vec};
use baton_primitives::{
	genesis_hash, ticket_message, RelayReceipt, Rerun, ResultStatus, GATEWAY_KEY_TYPE,
};
use frame_benchmarking::v2::*;
use frame_system::RawOrigin;
use sp_runtime::traits::{Saturating, UniqueSaturatedInto};

/// Calls each operator's allowance pays for in the benchmarks' sessions.
const CALLS: u32 = 1_000;

fn allowance<T: Config>(api: ApiId) -> BalanceOf<T> {
	let price = T::Router::call_price(api).expect("the helper's API is priced");
	price.per_call().saturating_mul(CALLS.into())
}

/// A session of `operators` operators on the busiest API, opened by the helper's client.
fn open<T: Config>(operators: u32) -> (SessionId, T::AccountId) {
	let api = T::BenchmarkHelper::busiest_api();
	let client = T::BenchmarkHelper::client(0);
	let id = Pallet::<T>::do_open_session(
		&client,
		api,
		operators,
		allowance::<T>(api),
		T::MinSessionBlocks::get(),
	)
	.expect("the helper's client can pay for a session on its API");
	(id, client)
}

/// `count` sessions of the most operators, each by its own client, on one API.
fn open_many<T: Config>(count: u32) -> Vec<SessionId> {
	let api = T::BenchmarkHelper::busiest_api();
	(0..count)
		.map(|i| {
			let client = T::BenchmarkHelper::client(i);
			Pallet::<T>::do_open_session(
				&client,
				api,
				T::MaxOperators::get(),
				allowance::<T>(api),
				T::MinSessionBlocks::get(),
			)
			.expect("the helper's clients can pay for sessions on its API")
		})
		.collect()
}

/// Runs the hook of block `at` only: the cursor is put there first, as the hook of every
/// block before it would have left it.
fn run_hook<T: Config>(at: BlockNumberFor<T>) -> (u32, u32) {
	frame_system::Pallet::<T>::set_block_number(at);
	AgendaCursor::<T>::put(at);
	Pallet::<T>::process_agenda(at)
}

/// A report on `session` with `handovers` handovers between its first two operators and an
/// outcome of one failed call for each operator.
fn full_report<T: Config>(session: &SessionOf<T>, handovers: u32) -> SessionReportOf<T> {
	let first = session.operators[0].operator.clone();
	let second = session.operators.get(1).map_or_else(|| first.clone(), |o| o.operator.clone());
	let handovers: Vec<_> = (0..handovers)
		.map(|i| {
			let (from, to) = if i % 2 == 0 {
				(first.clone(), second.clone())
			} else {
				(second.clone(), first.clone())
			};
			RelayHandover { from, to, sequence: i.into(), cause: RelayFault::Late }
		})
		.collect();
	let outcomes: Vec<_> = session
		.operators
		.iter()
		.map(|o| OperatorOutcome { operator: o.operator.clone(), failed_calls: 1, latency_ms: 100 })
		.collect();
	SessionReport {
		handovers: handovers.try_into().expect("at most MaxReportHandovers"),
		outcomes: outcomes.try_into().expect("one per operator"),
	}
}

/// `operator`'s receipt, signed by its gateway key in the keystore, of call `sequence` of
/// `session_id` whose request hash is `request_hash`, answered with `body`.
fn signed_receipt<T: Config>(
	operator: &T::AccountId,
	session_id: SessionId,
	sequence: u64,
	request_hash: [u8; 32],
	body: &[u8],
) -> SignedRelayReceipt {
	let key = T::Operators::gateway_key(operator).expect("a bonded operator");
	let receipt = RelayReceipt {
		session_id,
		sequence,
		request_hash,
		response_hash: sp_io::hashing::blake2_256(body),
		status: ResultStatus::Response { code: 200 },
		answered_at: frame_system::Pallet::<T>::block_number().unique_saturated_into(),
	};
	let public = sp_core::ed25519::Public::from_raw(key);
	let message = receipt.message(&genesis_hash::<T>());
	let signature = sp_io::crypto::ed25519_sign(GATEWAY_KEY_TYPE, &public, &message)
		.expect("the operator's key is in the keystore");
	SignedRelayReceipt { receipt, signature: signature.0 }
}

/// The longest answer a challenge carries: a JSON object, so that comparing it drops the
/// API's ignored fields from a parsed body.
fn longest_answer<T: Config>() -> Vec<u8> {
	let len = (T::MaxResponseLen::get() as usize).max(8);
	let mut body = b"{\"a\":\"".to_vec();
	body.resize(len - 2, b'x');
	body.extend_from_slice(b"\"}");
	body
}

/// A session whose last operator answered the helper's call with the longest answer, and the
/// evidence its client challenges that receipt with.
struct Challengeable<T: Config> {
	session_id: SessionId,
	client: T::AccountId,
	operator: T::AccountId,
	receipt: AnsweredReceiptOf<T>,
	call: RelayedCallOf<T>,
}

/// A session of `n` operators whose last one's receipt is ready to be challenged.
fn challengeable<T: Config>(n: u32) -> Challengeable<T> {
	let (session_id, client) = open::<T>(n);
	let operator = Sessions::<T>::get(session_id).expect("opened").operators[n as usize - 1]
		.operator
		.clone();
	let call = T::BenchmarkHelper::relayed_call();
	let body = longest_answer::<T>();
	let signed =
		signed_receipt::<T>(&operator, session_id, 0, T::Reruns::relay_request_hash(&call), &body);
	let receipt =
		AnsweredReceipt { signed, body: body.try_into().expect("as long as MaxResponseLen") };
	Challengeable { session_id, client, operator, receipt, call }
}

#[benchmarks]
mod benchmarks {
	use super::*;

	#[benchmark]
	fn open_session(n: Linear<1, { T::MaxOperators::get() }>) {
		let api = T::BenchmarkHelper::busiest_api();
		let client = T::BenchmarkHelper::client(0);
		let allowance = allowance::<T>(api);
		let id = NextSessionId::<T>::get();

		#[extrinsic_call]
		_(RawOrigin::Signed(client), api, n, allowance, T::MinSessionBlocks::get());

		assert_eq!(Sessions::<T>::get(id).expect("opened").operators.len(), n as usize);
	}

	#[benchmark]
	fn top_up(n: Linear<1, { T::MaxOperators::get() }>) {
		let (id, client) = open::<T>(n);
		let more = Sessions::<T>::get(id).expect("opened").allowance;

		#[extrinsic_call]
		_(RawOrigin::Signed(client), id, more);

		assert_eq!(
			Sessions::<T>::get(id).expect("open").allowance,
			more.saturating_mul(2u32.into())
		);
	}

	#[benchmark]
	fn close_session(n: Linear<1, { T::MaxOperators::get() }>) {
		let (id, client) = open::<T>(n);

		#[extrinsic_call]
		_(RawOrigin::Signed(client), id, SessionReportOf::<T>::default());

		assert_ne!(Sessions::<T>::get(id).expect("closed").status, SessionStatus::Open);
	}

	/// The last of `n` operators claims (the search for it is the part that grows with `n`)
	/// with a voucher for every call its allowance pays for.
	#[benchmark]
	fn claim(n: Linear<1, { T::MaxOperators::get() }>) {
		let (id, client) = open::<T>(n);
		let session = Sessions::<T>::get(id).expect("opened");
		let operator = session.operators[n as usize - 1].operator.clone();
		let key = T::Operators::gateway_key(&operator).expect("a bonded operator");
		let amount = allowance::<T>(session.api_id);
		let request_hash = [7; 32];
		let message = ticket_message(
			&genesis_hash::<T>(),
			id,
			u64::from(CALLS) - 1,
			&operator,
			&request_hash,
			CALLS.into(),
			&amount,
		);
		let voucher = Voucher {
			sequence: u64::from(CALLS) - 1,
			request_hash,
			calls: CALLS.into(),
			amount,
			signature: T::BenchmarkHelper::sign(&client, &message),
		};

		#[extrinsic_call]
		_(RawOrigin::Signed(T::Operators::signer_of(&key)), id, voucher);

		let claimed = Sessions::<T>::get(id).expect("open").operators[n as usize - 1].claimed_calls;
		assert_eq!(claimed, u64::from(CALLS));
	}

	/// The hook closes `e` sessions of the most operators that expired.
	#[benchmark]
	fn expire(e: Linear<0, { T::MaxTasksPerBlock::get() }>) {
		let ids = open_many::<T>(e);
		let due = frame_system::Pallet::<T>::block_number()
			.saturating_add(T::MinSessionBlocks::get())
			.saturating_add(1u32.into());

		#[block]
		{
			assert_eq!(run_hook::<T>(due), (e, 0));
		}

		for id in ids {
			assert_ne!(Sessions::<T>::get(id).expect("closed").status, SessionStatus::Open);
		}
	}

	/// The hook refunds and removes `s` sessions of the most operators whose claim window
	/// passed.
	#[benchmark]
	fn settle(s: Linear<0, { T::MaxTasksPerBlock::get() }>) {
		let ids = open_many::<T>(s);
		for id in &ids {
			Pallet::<T>::do_close_session(None, *id).expect("open");
		}
		let due = frame_system::Pallet::<T>::block_number()
			.saturating_add(T::ClaimWindow::get())
			.saturating_add(1u32.into());

		#[block]
		{
			assert_eq!(run_hook::<T>(due), (0, s));
		}

		for id in ids {
			assert!(!Sessions::<T>::contains_key(id));
		}
	}

	/// A close report's `h` handovers, back and forth between a session's first two operators,
	/// with an outcome for each of its operators, checked and taken.
	#[benchmark]
	fn take_report(h: Linear<0, { T::MaxReportHandovers::get() }>) {
		let (id, _) = open::<T>(T::MaxOperators::get().max(2));
		let session = Sessions::<T>::get(id).expect("opened");
		let report = full_report::<T>(&session, h);

		#[block]
		{
			Pallet::<T>::check_report(&session, &report).expect("a valid report");
			Pallet::<T>::take_report(id, &session, report).expect("room in the log");
		}

		assert_eq!(Outcomes::<T>::get(id).map(|o| o.len()), Some(session.operators.len()));
	}

	/// A settling session's `o` outcomes go to reputation.
	#[benchmark]
	fn apply_outcomes(o: Linear<0, { T::MaxOperators::get() }>) {
		let (id, _) = open::<T>(T::MaxOperators::get());
		let mut session = Sessions::<T>::get(id).expect("opened");
		for operator in session.operators.iter_mut() {
			operator.claimed_calls = 1;
		}
		let mut report = full_report::<T>(&session, 0);
		report.outcomes.truncate(o as usize);
		Pallet::<T>::take_report(id, &session, report).expect("no handovers");
		let recorded;

		#[block]
		{
			recorded = Pallet::<T>::apply_outcomes(id, &session);
		}

		assert_eq!(recorded, o);
	}

	/// Two receipts of one call with different answers, by a bonded operator's gateway key.
	#[benchmark]
	fn report_equivocation() {
		let (id, client) = open::<T>(1);
		let operator = Sessions::<T>::get(id).expect("opened").operators[0].operator.clone();
		let signed = |body: &[u8]| Box::new(signed_receipt::<T>(&operator, id, 0, [7; 32], body));
		let (a, b) = (signed(b"one"), signed(b"two"));

		#[extrinsic_call]
		_(RawOrigin::Signed(client.clone()), operator.clone(), a, b);

		frame_system::Pallet::<T>::assert_last_event(
			<T as frame_system::Config>::RuntimeEvent::from(Event::EquivocationReported {
				session_id: id,
				sequence: 0,
				operator,
				reporter: client,
			}),
		);
	}

	/// The last of `n` operators' receipt (the search for its key is the part that grows with
	/// `n`) of the longest answer, challenged: the call re-executed as a settled request of the
	/// most operators.
	#[benchmark]
	fn challenge(n: Linear<1, { T::MaxOperators::get() }>) {
		let Challengeable { session_id: id, client, operator, receipt, call } =
			challengeable::<T>(n);

		#[extrinsic_call]
		_(RawOrigin::Signed(client), id, Box::new(receipt), Box::new(call));

		assert_eq!(Challenges::<T>::iter().next().map(|(_, c)| c.operator), Some(operator));
	}

	/// An upheld challenge's verdict, as the hook gives it: the noted outcome taken, the
	/// offence reported with its compensation, the session's mark.
	#[benchmark]
	fn settle_challenge() {
		let n = T::MaxOperators::get();
		let Challengeable { session_id: id, client, receipt, call, .. } = challengeable::<T>(n);
		let request_id = Pallet::<T>::do_challenge(&client, id, receipt, call).expect("valid");
		// The helper's API is made once per benchmark: read it from the session.
		let paid = allowance::<T>(Sessions::<T>::get(id).expect("opened").api_id);
		<Pallet<T> as baton_primitives::OnSettled<_>>::on_settled(
			request_id,
			Some([0xff; 32]),
			paid,
		);

		#[block]
		{
			assert_eq!(Pallet::<T>::give_verdicts(), 1);
		}

		assert!(Sessions::<T>::get(id).expect("open").operators[n as usize - 1].proven_wrong);
	}

	impl_benchmark_test_suite!(
		Pallet,
		crate::mock::checked_ext(),
		crate::mock::Test,
		exec_name = execute_checked
	);
}
