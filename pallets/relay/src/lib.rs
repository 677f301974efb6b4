#![doc = include_str!("../README.md")]
#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub use pallet::*;

mod agenda;
#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
mod disputes;
#[cfg(any(feature = "std", feature = "try-runtime"))]
mod invariants;
pub mod migrations;
#[cfg(test)]
mod mock;
mod offchain;
mod report;
mod sessions;
#[cfg(test)]
mod tests;
pub mod types;
mod views;
pub mod weights;

pub use types::*;
pub use views::SessionViewOf;
pub use weights::WeightInfo;

const LOG_TARGET: &str = "baton::relay";

use baton_primitives::{
	ApiId, CompensatedOffence, Escrow, GatewayKeys, HandoverLog, ReportOffence, ReputationSink,
	RequestId, Rerun, SessionId, SessionRouting,
};
use frame_support::{pallet_prelude::*, traits::fungible::Inspect};
use frame_system::pallet_prelude::*;
use sp_runtime::traits::{IdentifyAccount, Verify, Zero};

/// Balance of the currency sessions are paid in.
pub type BalanceOf<T> =
	<<T as Config>::Currency as Inspect<<T as frame_system::Config>::AccountId>>::Balance;

/// A session of a runtime.
pub type SessionOf<T> = Session<
	<T as frame_system::Config>::AccountId,
	BalanceOf<T>,
	BlockNumberFor<T>,
	<T as Config>::MaxOperators,
>;

/// A close report of a runtime.
pub type SessionReportOf<T> = SessionReport<
	<T as frame_system::Config>::AccountId,
	<T as Config>::MaxOperators,
	<T as Config>::MaxReportHandovers,
>;

/// The outcomes of a closed session's report, kept until it settles.
pub type OutcomesOf<T> = BoundedVec<
	OperatorOutcome<<T as frame_system::Config>::AccountId>,
	<T as Config>::MaxOperators,
>;

/// A voucher of a runtime.
pub type VoucherOf<T> = Voucher<BalanceOf<T>, <T as Config>::TicketSignature>;

/// A relayed call as a challenge carries it, in a runtime: the gateway's `NewRequest`.
pub type RelayedCallOf<T> =
	<<T as Config>::Reruns as Rerun<<T as frame_system::Config>::AccountId, BalanceOf<T>>>::Call;

/// A receipt with its body, as a challenge carries it, in a runtime.
pub type AnsweredReceiptOf<T> = AnsweredReceipt<<T as Config>::MaxResponseLen>;

#[frame_support::pallet]
pub mod pallet {
	use super::*;
	use frame_system::offchain::{AppCrypto, CreateSignedTransaction};

	/// The layout of this pallet's storage; a change to it comes with a migration that
	/// raises it.
	const STORAGE_VERSION: StorageVersion = StorageVersion::new(0);

	#[pallet::pallet]
	#[pallet::storage_version(STORAGE_VERSION)]
	pub struct Pallet<T>(_);

	#[pallet::config]
	pub trait Config:
		frame_system::Config<RuntimeEvent: From<Event<Self>>> + CreateSignedTransaction<Call<Self>>
	{
		/// The currency sessions are paid in.
		type Currency: Inspect<Self::AccountId>;

		/// Holds each session's allowances until they are claimed or refunded.
		type Escrow: Escrow<Self::AccountId, BalanceOf<Self>>;

		/// Prices calls and chooses a session's operators; the gateway, in Baton's runtime.
		type Router: SessionRouting<Self::AccountId, BalanceOf<Self>>;

		/// Operators' gateway keys, which sign their claims.
		type Operators: GatewayKeys<Self::AccountId>;

		/// A client's signature over a ticket, by its account key.
		type TicketSignature: Verify<Signer: IdentifyAccount<AccountId = Self::AccountId>>
			+ Parameter
			+ MaxEncodedLen;

		/// The handover log, which takes the handovers of close reports.
		type Handovers: HandoverLog<Self::AccountId, BlockNumberFor<Self>>;

		/// Reputation, which takes close reports' outcomes when a session settles.
		type Reputation: ReputationSink<Self::AccountId>;

		/// Slashing, which takes equivocations and upheld challenges.
		type Offences: ReportOffence<Self::AccountId>
			+ CompensatedOffence<Self::AccountId, BalanceOf<Self>>;

		/// Re-executes challenged calls as settled requests; the gateway, in Baton's runtime,
		/// which tells this pallet how they settle (`OnSettled`).
		type Reruns: Rerun<Self::AccountId, BalanceOf<Self>>;

		/// The gateway key the node's worker signs claims with.
		type AuthorityId: AppCrypto<Self::Public, Self::Signature>;

		/// Where protocol fees go.
		#[pallet::constant]
		type Treasury: Get<Self::AccountId>;

		/// Operators a session may have.
		#[pallet::constant]
		type MaxOperators: Get<u32>;

		/// The shortest session, in blocks.
		#[pallet::constant]
		type MinSessionBlocks: Get<BlockNumberFor<Self>>;

		/// The longest session, in blocks.
		#[pallet::constant]
		type MaxSessionBlocks: Get<BlockNumberFor<Self>>;

		/// Blocks after a session closes in which its operators may still claim.
		#[pallet::constant]
		type ClaimWindow: Get<BlockNumberFor<Self>>;

		/// Handovers a close report may carry: no more than the handover log keeps for one
		/// subject.
		#[pallet::constant]
		type MaxReportHandovers: Get<u32>;

		/// The fewest operators that re-execute a challenged call. Three make a verdict the
		/// agreement of at least two operators other than the challenged one, so that no single
		/// operator routing happens to pick can convict another.
		#[pallet::constant]
		type MinChallengeRedundancy: Get<u32>;

		/// The longest answer a challenged receipt may vouch for, in bytes: the longest response
		/// an API may declare.
		#[pallet::constant]
		type MaxResponseLen: Get<u32>;

		/// Blocks after a receipt's `answered_at` in which it may be challenged: the re-execution
		/// runs then, so an upstream whose answer changed long after the call cannot convict
		/// an honest receipt. At most `ClaimWindow`, so that the session is still kept.
		#[pallet::constant]
		type ChallengeWindow: Get<BlockNumberFor<Self>>;

		/// Agenda tasks (expiries and settlements) a block's hook does at most; the rest wait
		/// for the next block.
		#[pallet::constant]
		type MaxTasksPerBlock: Get<u32>;

		/// Weights of this pallet's calls and hook.
		type WeightInfo: WeightInfo;

		/// Makes what the benchmarks need that this pallet cannot make itself.
		#[cfg(feature = "runtime-benchmarks")]
		type BenchmarkHelper: BenchmarkHelper<
			Self::AccountId,
			Self::TicketSignature,
			RelayedCallOf<Self>,
		>;
	}

	/// Sessions, open and closed until they settle.
	#[pallet::storage]
	pub type Sessions<T: Config> = StorageMap<_, Twox64Concat, SessionId, SessionOf<T>>;

	/// The id the next session gets.
	#[pallet::storage]
	pub type NextSessionId<T: Config> = StorageValue<_, SessionId, ValueQuery>;

	/// Each client's sessions, for `relay_sessions(client)`.
	#[pallet::storage]
	pub type ClientSessions<T: Config> =
		StorageDoubleMap<_, Blake2_128Concat, T::AccountId, Twox64Concat, SessionId, ()>;

	/// The outcomes a closed session's client reported, until the session settles and they go
	/// to reputation.
	#[pallet::storage]
	pub type Outcomes<T: Config> = StorageMap<_, Twox64Concat, SessionId, OutcomesOf<T>>;

	/// What the hook does for each session, by the block it is due in.
	#[pallet::storage]
	pub type Agenda<T: Config> =
		StorageDoubleMap<_, Twox64Concat, BlockNumberFor<T>, Twox64Concat, SessionId, AgendaTask>;

	/// The earliest block whose agenda may still hold tasks.
	#[pallet::storage]
	pub type AgendaCursor<T: Config> = StorageValue<_, BlockNumberFor<T>, ValueQuery>;

	/// Challenges being settled, by the settled request that re-executes the challenged call.
	#[pallet::storage]
	pub type Challenges<T: Config> =
		StorageMap<_, Twox64Concat, RequestId, Challenge<T::AccountId>>;

	/// The calls whose receipts are being challenged, by (session, operator, sequence): the
	/// request re-executing each. One challenge per receipt at a time.
	#[pallet::storage]
	pub type ChallengedCalls<T: Config> =
		StorageMap<_, Blake2_128Concat, (SessionId, T::AccountId, u64), RequestId>;

	/// Re-executions that settled, by request, until the next block's hook gives their
	/// challenges a verdict (at most `MaxTasksPerBlock` a block): the settlement stays as
	/// cheap as any other, and the verdict is weighed where it is given.
	#[pallet::storage]
	pub type Verdicts<T: Config> =
		StorageMap<_, Twox64Concat, RequestId, RerunOutcome<BalanceOf<T>>>;

	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// A client opened a session; calls are served until `expires_at`.
		SessionOpened {
			session_id: SessionId,
			client: T::AccountId,
			api_id: ApiId,
			operators: alloc::vec::Vec<T::AccountId>,
			expires_at: BlockNumberFor<T>,
		},
		/// The client raised each operator's allowance by `allowance`.
		ToppedUp { session_id: SessionId, allowance: BalanceOf<T> },
		/// An operator was paid for `calls` more calls: `paid` to it, `protocol_fee` to the
		/// treasury.
		Claimed {
			session_id: SessionId,
			operator: T::AccountId,
			calls: u64,
			paid: BalanceOf<T>,
			protocol_fee: BalanceOf<T>,
		},
		/// The session closed: no more calls; claims until `claims_until`.
		SessionClosed { session_id: SessionId, claims_until: BlockNumberFor<T> },
		/// The claim window passed: the client got back what was not claimed.
		SessionSettled { session_id: SessionId, refunded: BalanceOf<T> },
		/// `operator`'s gateway key signed two different answers to call `sequence` of the
		/// session: it commits `Equivocation`, and `reporter` gets the reward share of the
		/// slash.
		EquivocationReported {
			session_id: SessionId,
			sequence: u64,
			operator: T::AccountId,
			reporter: T::AccountId,
		},
		/// `challenger` disputes `operator`'s receipt for call `sequence` of the session:
		/// settled request `request_id`, among other operators, re-executes the call.
		Challenged {
			session_id: SessionId,
			sequence: u64,
			operator: T::AccountId,
			challenger: T::AccountId,
			request_id: RequestId,
		},
		/// The re-execution of a challenged call settled, with this verdict on the receipt.
		ChallengeSettled {
			session_id: SessionId,
			sequence: u64,
			operator: T::AccountId,
			request_id: RequestId,
			verdict: Verdict,
		},
	}

	#[pallet::error]
	pub enum Error<T> {
		/// A session needs from 1 to `MaxOperators` operators.
		InvalidOperatorCount,
		/// A session lasts from `MinSessionBlocks` to `MaxSessionBlocks` blocks.
		InvalidDuration,
		/// The allowance does not cover one call at the API's price and protocol fee.
		AllowanceTooSmall,
		/// No session has this id.
		UnknownSession,
		/// Only the session's client may do this.
		NotClient,
		/// The session is closed.
		SessionClosed,
		/// A top-up of nothing.
		ZeroTopUp,
		/// The signer is no operator's gateway key.
		NotGatewayKey,
		/// The operator is not one of the session's.
		NotSessionOperator,
		/// The claim window of the session has passed.
		ClaimWindowOver,
		/// The voucher is not the client's signature for this session, operator and chain.
		BadSignature,
		/// The voucher pays for no call beyond those claimed already.
		NothingToClaim,
		/// Only the session's client may report on it.
		ReportNotClient,
		/// A report's handover names an operator as taking over from itself.
		SelfHandover,
		/// A report's handovers are not in the order of their sequence numbers.
		HandoversOutOfOrder,
		/// A report has two outcomes for one operator.
		DuplicateOutcome,
		/// The two receipts are not for one call, or do not differ.
		NotEquivocation,
		/// The operator has no gateway key.
		NoGatewayKey,
		/// A receipt is not the operator's gateway key's signature on this chain.
		BadReceiptSignature,
		/// This operator's equivocation in this session was reported already.
		OffenceAlreadyReported,
		/// The receipt is of another session than the one named.
		ReceiptOfAnotherSession,
		/// The receipt is of a failed call: only a different answer is a wrong one.
		NotAResponse,
		/// The body does not hash to the receipt's response hash.
		BodyMismatch,
		/// The call does not hash to the receipt's request hash.
		RequestMismatch,
		/// No operator of the session signed the receipt on this chain.
		NotSessionReceipt,
		/// This receipt is being challenged already; wait for the verdict.
		ChallengePending,
		/// A challenge of this operator in this session was upheld already: it counts once.
		AlreadyProven,
		/// The receipt's challenge window has passed (`ChallengeWindow` blocks after the block
		/// it was answered in).
		ChallengeWindowClosed,
		/// Only a GET call can be challenged: running any other again may change what it
		/// answers.
		UnsafeMethod,
		/// A check that cannot fail did: a bug in the runtime, not in the call. Nothing changed.
		Defensive,
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		fn on_initialize(now: BlockNumberFor<T>) -> Weight {
			let (expired, settled) = Self::process_agenda(now);
			let verdicts = Self::give_verdicts();
			// Each of the two counts the hook's own reads once more: an overestimate by a few
			// reads, never an underestimate.
			// A settling session's report has at most one outcome per operator.
			let outcomes = T::WeightInfo::apply_outcomes(T::MaxOperators::get());
			T::WeightInfo::expire(expired)
				.saturating_add(T::WeightInfo::settle(settled))
				.saturating_add(outcomes.saturating_mul(settled.into()))
				.saturating_add(T::WeightInfo::settle_challenge().saturating_mul(verdicts.into()))
				// Looking for verdicts: the first key of `Verdicts`.
				.saturating_add(T::DbWeight::get().reads(1))
		}

		fn offchain_worker(now: BlockNumberFor<T>) {
			Self::claim_served(now);
		}

		fn integrity_test() {
			assert!(T::MaxOperators::get() > 0, "a session needs an operator");
			assert!(T::MinSessionBlocks::get() > Zero::zero(), "a session lasts a block at least");
			assert!(T::MinSessionBlocks::get() <= T::MaxSessionBlocks::get(), "no duration fits");
			assert!(T::MaxTasksPerBlock::get() > 0, "the agenda must move");
			assert!(
				T::ChallengeWindow::get() <= T::ClaimWindow::get(),
				"a receipt's session is kept for as long as it may be challenged"
			);
		}

		#[cfg(feature = "try-runtime")]
		fn try_state(_n: BlockNumberFor<T>) -> Result<(), sp_runtime::TryRuntimeError> {
			Self::do_try_state()
		}
	}

	#[pallet::call(weight(<T as Config>::WeightInfo))]
	impl<T: Config> Pallet<T> {
		/// Opens a session of `blocks` blocks on `api_id` with `operators` operators, chosen by
		/// routing, each of which may be paid up to `allowance`; holds `operators × allowance`
		/// in escrow.
		#[pallet::call_index(0)]
		// More operators than the most is refused before routing: charged as the most.
		#[pallet::weight(<T as Config>::WeightInfo::open_session(
			(*operators).min(T::MaxOperators::get())
		))]
		pub fn open_session(
			origin: OriginFor<T>,
			api_id: ApiId,
			operators: u32,
			allowance: BalanceOf<T>,
			blocks: BlockNumberFor<T>,
		) -> DispatchResult {
			let client = ensure_signed(origin)?;
			Self::do_open_session(&client, api_id, operators, allowance, blocks).map(|_| ())
		}

		/// Raises each operator's allowance in an open session by `allowance`; the client only.
		#[pallet::call_index(1)]
		#[pallet::weight(<T as Config>::WeightInfo::top_up(T::MaxOperators::get()))]
		pub fn top_up(
			origin: OriginFor<T>,
			session_id: SessionId,
			allowance: BalanceOf<T>,
		) -> DispatchResult {
			let client = ensure_signed(origin)?;
			Self::do_top_up(&client, session_id, allowance)
		}

		/// Closes an open session: its client at any time, anyone once it has expired. Its
		/// operators may claim for `ClaimWindow` blocks more; then the rest goes back. The
		/// client's `report` (anyone else's must be empty) puts its handovers in the handover
		/// log now and its outcomes into reputation when the session settles, by the rule in
		/// the README.
		#[pallet::call_index(2)]
		#[pallet::weight(<T as Config>::WeightInfo::close_session(T::MaxOperators::get())
			.saturating_add(<T as Config>::WeightInfo::take_report(report.handovers.len() as u32)))]
		pub fn close_session(
			origin: OriginFor<T>,
			session_id: SessionId,
			report: SessionReportOf<T>,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_close_session(Some((&who, report)), session_id)
		}

		/// Pays a session's operator for the calls its best voucher counts beyond those paid
		/// already (at most its allowance). Signed by the operator's gateway key; free when
		/// accepted. Operational, as reports are: it pays for work the client already got.
		#[pallet::call_index(3)]
		#[pallet::weight((
			<T as Config>::WeightInfo::claim(T::MaxOperators::get()),
			DispatchClass::Operational,
		))]
		pub fn claim(
			origin: OriginFor<T>,
			session_id: SessionId,
			voucher: VoucherOf<T>,
		) -> DispatchResultWithPostInfo {
			let signer = ensure_signed(origin)?;
			Self::do_claim(&signer, session_id, voucher)?;
			Ok(Pays::No.into())
		}

		/// Proves that `operator`'s gateway key signed two receipts, `a` and `b`, for one call
		/// (session and sequence) with different answers. Anyone may send it; the operator
		/// commits `Equivocation`, once per session, and the sender gets the reward share of
		/// the slash. Free when accepted. The session need not be kept any more: the receipts
		/// bind the chain and the call.
		#[pallet::call_index(4)]
		pub fn report_equivocation(
			origin: OriginFor<T>,
			operator: T::AccountId,
			// Boxed: the two receipts would make every call as large as this one.
			a: alloc::boxed::Box<SignedRelayReceipt>,
			b: alloc::boxed::Box<SignedRelayReceipt>,
		) -> DispatchResultWithPostInfo {
			let reporter = ensure_signed(origin)?;
			Self::do_report_equivocation(&reporter, &operator, &a, &b)?;
			Ok(Pays::No.into())
		}

		/// Disputes a receipt of the session, within `ChallengeWindow` blocks of the block it
		/// was answered in: `request`, the GET call it answered, is re-executed as a settled
		/// request that the sender pays for, among the API's operators but the one that signed
		/// the receipt. If their majority answers otherwise (the API's ignored fields dropped),
		/// that operator commits `WrongResult`, and its slash pays the sender back the
		/// request's fee and the reward share; either way the verdict is an event, in the
		/// block after the request settles.
		#[pallet::call_index(5)]
		#[pallet::weight(<T as Config>::WeightInfo::challenge(T::MaxOperators::get())
			.saturating_add(<T as Config>::WeightInfo::settle_challenge()))]
		pub fn challenge(
			origin: OriginFor<T>,
			session_id: SessionId,
			// Boxed: a call and an answer would make every call of the runtime as large.
			receipt: alloc::boxed::Box<AnsweredReceiptOf<T>>,
			request: alloc::boxed::Box<RelayedCallOf<T>>,
		) -> DispatchResult {
			let challenger = ensure_signed(origin)?;
			Self::do_challenge(&challenger, session_id, *receipt, *request).map(|_| ())
		}
	}
}

/// Makes what the benchmarks need that this pallet cannot make itself.
#[cfg(feature = "runtime-benchmarks")]
pub trait BenchmarkHelper<AccountId, Signature, RelayedCall> {
	/// An API that routing can open sessions of `MaxOperators` operators on, with as many
	/// candidates as it ever looks at. Called once per benchmark.
	fn busiest_api() -> ApiId;
	/// Client `i`, funded for many sessions; [`BenchmarkHelper::sign`] signs as it.
	fn client(i: u32) -> AccountId;
	/// `client`'s signature over `message`.
	fn sign(client: &AccountId, message: &[u8]) -> Signature;
	/// The largest GET call of [`BenchmarkHelper::busiest_api`] a challenge can carry, re-executed
	/// by as many operators as a request may have, for a fee the helper's clients can pay.
	fn relayed_call() -> RelayedCall;
}
