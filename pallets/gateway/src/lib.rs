#![doc = include_str!("../README.md")]
#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub use pallet::*;

#[cfg(feature = "runtime-benchmarks")]
pub mod benchmarking;
mod deadlines;
mod equivocation;
mod failover;
pub mod migrations;
#[cfg(test)]
mod mock;
mod offchain;
mod registry;
mod requests;
mod reruns;
pub mod routing;
mod sealed;
mod secrets;
mod sessions;
mod settlement;
#[cfg(test)]
mod tests;
pub mod types;
mod views;
mod weight_formulas;
pub mod weights;

pub use requests::request_hash;
pub use settlement::result_key;
pub use types::*;
pub use weight_formulas::{report_result_weight, report_results_weight, submit_requests_weight};
pub use weights::WeightInfo;

use baton_primitives::{
	ApiId, EncryptionKeys, Escrow, GatewayKeys, HandoverLog, OnSettled, OperatorRouting,
	ReportOffence, ReputationSink, ReputationSource, RequestId,
};
use frame_support::traits::fungible;

/// Balance of the currency requests are paid in.
pub type BalanceOf<T> =
	<<T as Config>::Currency as fungible::Inspect<<T as frame_system::Config>::AccountId>>::Balance;

const LOG_TARGET: &str = "runtime::gateway";

#[frame_support::pallet]
#[allow(
	clippy::too_many_arguments,
	reason = "`submit_request` takes what a client asks for, one argument each, as its callers see it"
)]
pub mod pallet {
	use super::*;
	use frame_support::{
		pallet_prelude::*,
		traits::{fungible::MutateHold, Randomness},
	};
	use frame_system::{offchain::CreateSignedTransaction, pallet_prelude::*};
	use sp_runtime::{traits::Zero, Perbill};
	// Ours, not the tasks trait of the prelude.
	use crate::types::AgendaTask;

	/// The layout of this pallet's storage; a change to it comes with a migration that
	/// raises it.
	#[cfg(not(feature = "upgrade-rehearsal"))]
	const STORAGE_VERSION: StorageVersion = StorageVersion::new(0);
	#[cfg(feature = "upgrade-rehearsal")]
	const STORAGE_VERSION: StorageVersion = StorageVersion::new(1);

	#[pallet::pallet]
	#[pallet::storage_version(STORAGE_VERSION)]
	pub struct Pallet<T>(_);

	/// Why this pallet holds funds.
	#[pallet::composite_enum]
	pub enum HoldReason {
		/// The storage deposit of a registered API.
		ApiDeposit,
	}

	#[pallet::config]
	pub trait Config:
		frame_system::Config<RuntimeEvent: From<Event<Self>>> + CreateSignedTransaction<Call<Self>>
	{
		/// The currency fees and deposits are paid in.
		type Currency: MutateHold<Self::AccountId, Reason = Self::RuntimeHoldReason>
			+ fungible::Mutate<Self::AccountId>;

		/// The runtime's hold reasons, of which `ApiDeposit` is one.
		type RuntimeHoldReason: From<HoldReason>;

		/// Holds each request's fee until settlement.
		type Escrow: Escrow<Self::AccountId, BalanceOf<Self>>;

		/// The operators requests are routed to.
		type Operators: OperatorRouting<Self::AccountId, Balance = BalanceOf<Self>>
			+ GatewayKeys<Self::AccountId>
			+ EncryptionKeys<Self::AccountId>;

		/// Operators' reputation: read by routing, fed by settlement.
		type Reputation: ReputationSource<Self::AccountId> + ReputationSink<Self::AccountId>;

		/// Where wrong results and missed deadlines are reported.
		type Offences: ReportOffence<Self::AccountId>;

		/// The handover log.
		type Handovers: HandoverLog<Self::AccountId, BlockNumberFor<Self>>;

		/// Told when a request settles: the relay pallet, whose challenges are requests.
		type OnSettled: OnSettled<BalanceOf<Self>>;

		/// Chain randomness that seeds routing.
		type Randomness: Randomness<Self::Hash, BlockNumberFor<Self>>;

		/// The gateway key's application crypto, used by the offchain worker to sign reports.
		type AuthorityId: frame_system::offchain::AppCrypto<Self::Public, Self::Signature>;

		/// Who may pause any API besides its owner, and set the backup grace.
		type GovernanceOrigin: EnsureOrigin<Self::RuntimeOrigin>;

		/// Where protocol fees go.
		#[pallet::constant]
		type Treasury: Get<Self::AccountId>;

		/// Protocol fee, as a share of what the operators of a request are paid.
		#[pallet::constant]
		type ProtocolFee: Get<Perbill>;

		/// Deposit held from whoever registers an API.
		#[pallet::constant]
		type ApiDeposit: Get<BalanceOf<Self>>;

		/// Stake routing counts as one unit; more stake weighs up to four times as much.
		#[pallet::constant]
		type StakeUnit: Get<BalanceOf<Self>>;

		/// Longest base URL in bytes.
		#[pallet::constant]
		type MaxUrlLen: Get<u32>;

		/// Longest request path in bytes.
		#[pallet::constant]
		type MaxPathLen: Get<u32>;

		/// Headers a request may carry.
		#[pallet::constant]
		type MaxHeaders: Get<u32>;

		/// Longest header name or value in bytes.
		#[pallet::constant]
		type MaxHeaderLen: Get<u32>;

		/// Longest request body in bytes.
		#[pallet::constant]
		type MaxBodyLen: Get<u32>;

		/// Longest response body an API may declare, in bytes.
		#[pallet::constant]
		type MaxResponseLen: Get<u32>;

		/// JSON fields an API may ignore in comparisons.
		#[pallet::constant]
		type MaxIgnoredFields: Get<u32>;

		/// Operators a request may ask for.
		#[pallet::constant]
		type MaxRedundancy: Get<u32>;

		/// Backups routing lines up behind the assigned operators.
		#[pallet::constant]
		type MaxBackups: Get<u32>;

		/// Operators of an API routing considers, at most.
		#[pallet::constant]
		type MaxCandidates: Get<u32>;

		/// Longest upstream timeout an API may declare, in milliseconds.
		#[pallet::constant]
		type MaxTimeoutMs: Get<u32>;

		/// Fewest blocks between submission and deadline.
		#[pallet::constant]
		type MinDeadline: Get<BlockNumberFor<Self>>;

		/// Most blocks between submission and deadline.
		#[pallet::constant]
		type MaxDeadline: Get<BlockNumberFor<Self>>;

		/// Most blocks a request may live, all handovers included: handovers extend its deadline
		/// at most this far after submission.
		#[pallet::constant]
		type MaxLifetime: Get<BlockNumberFor<Self>>;

		/// Blocks a successor gets on top of the API's timeout when a request is handed over.
		#[pallet::constant]
		type HandoverMargin: Get<BlockNumberFor<Self>>;

		/// Milliseconds per block, to turn an API's timeout into blocks.
		#[pallet::constant]
		type MillisPerBlock: Get<u64>;

		/// Blocks a finished request stays readable before it is pruned.
		#[pallet::constant]
		type Retention: Get<BlockNumberFor<Self>>;

		/// Requests submitted in one block whose backups are armed at the end of the backup
		/// grace; later ones in that block wait for their deadline instead.
		#[pallet::constant]
		type MaxHedgesPerBlock: Get<u32>;

		/// Agenda tasks (missed deadlines and prunings) one block does at most; the rest waits
		/// for the next.
		#[pallet::constant]
		type MaxTasksPerBlock: Get<u32>;

		/// Missed deadlines one block enforces at most, of its `MaxTasksPerBlock`: they cost
		/// several times what a pruning does.
		#[pallet::constant]
		type MaxExpiriesPerBlock: Get<u32>;

		/// Requests one operator's offchain worker executes per block at most.
		#[pallet::constant]
		type MaxExecutionsPerBlock: Get<u32>;

		/// Reports one `report_results` call carries at most.
		#[pallet::constant]
		type MaxReportsPerCall: Get<u32>;

		/// Requests one `submit_requests` call carries at most.
		#[pallet::constant]
		type MaxRequestsPerCall: Get<u32>;

		/// Operators an API's secret is sealed to at most: requests to an API with a secret
		/// are routed among them only.
		#[pallet::constant]
		type MaxSecretHolders: Get<u32>;

		/// Weights of this pallet's calls and hooks.
		type WeightInfo: WeightInfo;

		/// Makes operators for the benchmarks.
		#[cfg(feature = "runtime-benchmarks")]
		type BenchmarkHelper: BenchmarkHelper<Self::AccountId>;
	}

	/// Registered APIs.
	#[pallet::storage]
	pub type Apis<T: Config> = StorageMap<_, Twox64Concat, ApiId, Api<T>>;

	/// The id the next API gets.
	#[pallet::storage]
	pub type NextApiId<T: Config> = StorageValue<_, ApiId, ValueQuery>;

	/// Requests, open and recently finished.
	#[pallet::storage]
	pub type Requests<T: Config> = StorageMap<_, Twox64Concat, RequestId, Request<T>>;

	/// The id the next request gets.
	#[pallet::storage]
	pub type NextRequestId<T: Config> = StorageValue<_, RequestId, ValueQuery>;

	/// Requests each operator is assigned and has not reported yet.
	#[pallet::storage]
	pub type Assignments<T: Config> =
		StorageDoubleMap<_, Blake2_128Concat, T::AccountId, Twox64Concat, RequestId, ()>;

	/// What counts against each operator's capacity: the requests it is assigned and has not
	/// reported yet, and the open relay sessions it serves (`SessionLoad`).
	#[pallet::storage]
	pub type Load<T: Config> = StorageMap<_, Blake2_128Concat, T::AccountId, u32, ValueQuery>;

	/// How many open relay sessions each operator serves; each counts as one request in `Load`.
	#[pallet::storage]
	pub type SessionLoad<T: Config> =
		StorageMap<_, Blake2_128Concat, T::AccountId, u32, ValueQuery>;

	/// Work for the block hook: by block, the requests to settle or prune from then on.
	#[pallet::storage]
	pub type Agenda<T: Config> =
		StorageDoubleMap<_, Twox64Concat, BlockNumberFor<T>, Twox64Concat, RequestId, AgendaTask>;

	/// The earliest block whose agenda may still hold work.
	#[pallet::storage]
	pub type AgendaCursor<T: Config> = StorageValue<_, BlockNumberFor<T>, ValueQuery>;

	/// The backup grace (a governance parameter): how many blocks, from the first a report can
	/// land in (the one after submission), a request's assigned operators report in alone. At
	/// the end of block `submission + grace`, each operator routing assigned that has not
	/// reported gets the next backup armed beside it, whose report can land in the block after.
	/// 1 by default: the earliest block a report can land in.
	#[pallet::storage]
	pub type BackupGrace<T: Config> =
		StorageValue<_, BlockNumberFor<T>, ValueQuery, DefaultBackupGrace<T>>;

	#[pallet::type_value]
	pub fn DefaultBackupGrace<T: Config>() -> BlockNumberFor<T> {
		1u32.into()
	}

	/// By block, the requests whose backups are armed at its end if their operators have not
	/// reported by then.
	#[pallet::storage]
	pub type Hedges<T: Config> =
		StorageMap<_, Twox64Concat, BlockNumberFor<T>, HedgesDue<T>, ValueQuery>;

	/// Each API's secret, sealed to each operator that may serve it: only those are routed its
	/// requests, and their nodes add the opened secret to the upstream call.
	#[pallet::storage]
	pub type ApiSecrets<T: Config> = StorageDoubleMap<
		_,
		Twox64Concat,
		ApiId,
		Blake2_128Concat,
		T::AccountId,
		baton_primitives::sealing::Envelope,
	>;

	/// Each sealed request's call (headers and body), sealed to each of its operators and
	/// backups by its client: what their nodes open and send upstream.
	#[pallet::storage]
	pub type SealedCalls<T: Config> = StorageDoubleMap<
		_,
		Twox64Concat,
		RequestId,
		Blake2_128Concat,
		T::AccountId,
		baton_primitives::sealing::CallEnvelope,
	>;

	/// How many operators hold each API's secret, for APIs that have one.
	#[pallet::storage]
	pub type ApiSecretHolders<T: Config> = StorageMap<_, Twox64Concat, ApiId, u32>;

	/// Whether APIs may point at loopback and private addresses: on development chains only,
	/// whose operators' nodes widen their egress policy with `--gateway-allow-hosts`.
	#[pallet::storage]
	pub type PrivateBaseUrlsAllowed<T: Config> = StorageValue<_, bool, ValueQuery>;

	#[pallet::genesis_config]
	#[derive(frame_support::DefaultNoBound)]
	pub struct GenesisConfig<T: Config> {
		/// Whether APIs may point at loopback and private addresses (development chains).
		pub private_base_urls_allowed: bool,
		#[serde(skip)]
		pub _config: core::marker::PhantomData<T>,
	}

	#[pallet::genesis_build]
	impl<T: Config> BuildGenesisConfig for GenesisConfig<T> {
		fn build(&self) {
			PrivateBaseUrlsAllowed::<T>::put(self.private_base_urls_allowed);
		}
	}

	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// An API was registered.
		ApiRegistered { api_id: ApiId, owner: T::AccountId },
		/// An API's spec changed.
		ApiUpdated { api_id: ApiId },
		/// An API stopped taking requests.
		ApiPaused { api_id: ApiId },
		/// A paused API takes requests again.
		ApiResumed { api_id: ApiId },
		/// An API's secret was replaced: `holders` operators hold it sealed (0: the API has no
		/// secret any more).
		ApiSecretSet { api_id: ApiId, holders: u32 },
		/// An operator was given an API's secret, sealed to it.
		ApiSecretGranted { api_id: ApiId, operator: T::AccountId },
		/// Governance set the backup grace: requests submitted from now on arm backups beside
		/// their silent operators at the end of block `submission + grace`.
		BackupGraceSet { grace: BlockNumberFor<T> },
		/// A client submitted a request; its fee is in escrow and its operators are chosen.
		RequestSubmitted {
			request_id: RequestId,
			api_id: ApiId,
			client: T::AccountId,
			fee: BalanceOf<T>,
			assigned: alloc::vec::Vec<T::AccountId>,
		},
		/// The client of sealed request `request_id` sealed its call to its operators and
		/// backups, who may now execute it.
		RequestSealed { request_id: RequestId },
		/// An assigned operator reported its result.
		ResultReported {
			request_id: RequestId,
			operator: T::AccountId,
			status: baton_primitives::ResultStatus,
			response_hash: [u8; 32],
		},
		/// A majority agreed on a response; its operators and the treasury were paid.
		RequestCompleted { request_id: RequestId, response_hash: [u8; 32] },
		/// No payable majority: the client got `amount` back.
		RequestRefunded { request_id: RequestId, amount: BalanceOf<T> },
		/// A report of a `report_results` call was refused (the others were taken); nothing of
		/// it was applied.
		ReportRejected { request_id: RequestId, operator: T::AccountId, error: DispatchError },
		/// `reporter` proved that `operator` signed two different results for one request; the
		/// operator commits `Equivocation`, the reporter gets the reward share of its slash.
		EquivocationReported {
			request_id: RequestId,
			operator: T::AccountId,
			reporter: T::AccountId,
		},
	}

	#[pallet::error]
	pub enum Error<T> {
		/// The base URL is not an `http://` or `https://` URL without a trailing `/`.
		InvalidBaseUrl,
		/// The base URL's host is a loopback, private or other non-public address, which
		/// operators' nodes refuse to call.
		PrivateBaseUrl,
		/// The spec allows no method, or one twice.
		InvalidMethods,
		/// The price per call is zero.
		ZeroPrice,
		/// The timeout is zero or above `MaxTimeoutMs`.
		InvalidTimeout,
		/// The response cap is zero or above `MaxResponseLen`.
		InvalidResponseCap,
		/// The redundancy is zero or above `MaxRedundancy`.
		InvalidRedundancy,
		/// A challenge's re-execution asks for fewer operators than a verdict needs.
		RedundancyTooLow,
		/// An ignored field is empty or listed twice.
		InvalidIgnoredField,
		/// No API has this id.
		UnknownApi,
		/// Only the API's owner (or governance) may do this.
		NotApiOwner,
		/// The API is paused.
		ApiPaused,
		/// The API is already in that state.
		PauseUnchanged,
		/// The account is not an operator with an encryption key in its profile.
		NoEncryptionKey,
		/// The envelope is sealed to a key that is not the operator's encryption key (e.g. one
		/// it has rotated away from).
		NotOperatorsEncryptionKey,
		/// Two envelopes are for the same operator.
		DuplicateEnvelope,
		/// The API has no secret to grant; use `set_api_secret`.
		NoApiSecret,
		/// The API's secret is sealed to `MaxSecretHolders` operators already.
		TooManySecretHolders,
		/// The API does not allow this method.
		MethodNotAllowed,
		/// The path does not start with `/` or holds spaces or control characters.
		InvalidPath,
		/// A header name is not a token or a value holds control characters.
		InvalidHeader,
		/// `Idempotency-Key` is set by the operators, not the client.
		ReservedHeader,
		/// Fewer eligible operators than the redundancy asked for.
		NotEnoughOperators,
		/// The fee is above the client's `max_fee`.
		FeeAboveMax,
		/// The deadline is not between `MinDeadline` and `MaxDeadline` blocks from now.
		DeadlineOutOfRange,
		/// The deadline leaves less than the API's timeout and one block for the report: an
		/// operator could not meet it.
		DeadlineTooSoon,
		/// No request has this id (or it was pruned).
		UnknownRequest,
		/// The signer is no operator's gateway key.
		NotGatewayKey,
		/// The operator is not assigned to this request.
		NotAssigned,
		/// The operator reported this request already.
		AlreadyReported,
		/// The request's deadline has passed.
		DeadlinePassed,
		/// The request is settled.
		RequestFinished,
		/// The response hash is not the blake2-256 of the body.
		HashMismatch,
		/// The body is larger than the API's response cap.
		ResponseTooLarge,
		/// A failure report carries a body.
		BodyWithFailure,
		/// The receipt signature does not verify with the operator's gateway key.
		BadSignature,
		/// No backup is available to take the request over.
		NoBackupLeft,
		/// The request's lifetime leaves a successor less than its timeout and a block to
		/// report in; it cannot be handed over.
		LifetimeExhausted,
		/// The request went through as many handovers as its log holds.
		TooManyHandovers,
		/// A `report_results` call without reports.
		NoReports,
		/// A `submit_requests` call without requests.
		NoRequests,
		/// The two signed results are the same result: no equivocation.
		NotEquivocation,
		/// This equivocation was reported already.
		OffenceAlreadyReported,
		/// A backup grace must leave the assigned operators at least the first block a report
		/// can land in.
		ZeroBackupGrace,
		/// A sealed request carries plaintext headers or a body.
		PlaintextInSealedRequest,
		/// Only the request's client may seal it.
		NotRequestClient,
		/// The request is not a sealed request.
		NotSealedRequest,
		/// The request is sealed already.
		AlreadySealed,
		/// The request's client has not sealed it yet: no operator can have executed it.
		AwaitingSeal,
		/// Not one envelope for each assigned operator and backup of the request.
		EnvelopeCountMismatch,
		/// An envelope is for an operator that is neither assigned to the request nor a backup.
		NotRouted,
		/// A sealed request's report has no plaintext hash and result key, or a plain
		/// request's report has them.
		SealedResultMismatch,
		/// A check that cannot fail did: a bug in the runtime, not in the call. Nothing changed.
		Defensive,
		/// The API keeps its paths confidential: requests to it must be sealed, with the path
		/// in the sealed call and an empty one in public.
		ConfidentialPath,
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		fn on_initialize(now: BlockNumberFor<T>) -> Weight {
			// The backups this block's end arms; it cannot tell before then which are needed,
			// so it is charged for every request due.
			let hedges = match Hedges::<T>::get(now).backups {
				0 => Weight::zero(),
				n => T::WeightInfo::arm_backups(n),
			};
			let (expired, pruned) = Self::process_agenda(now);
			// An expired request either settles or is handed over; charge the dearer. A block
			// with nothing due is charged nothing beyond the agenda reads.
			let expiring = match expired {
				0 => Weight::zero(),
				n => T::WeightInfo::expire_settling(n)
					.saturating_add(T::OnSettled::weight().saturating_mul(n.into()))
					.max(T::WeightInfo::expire_handing_over(n)),
			};
			let pruning = match pruned {
				0 => Weight::zero(),
				n => T::WeightInfo::prune(n),
			};
			T::DbWeight::get()
				.reads_writes(3, 1)
				.saturating_add(hedges)
				.saturating_add(expiring)
				.saturating_add(pruning)
		}

		fn on_finalize(now: BlockNumberFor<T>) {
			// At the block's end, so that its reports are in and the armed backups' nodes see
			// their assignments in the state they run their offchain workers on.
			for request_id in Hedges::<T>::take(now).requests {
				Self::arm_backups(request_id);
			}
		}

		fn offchain_worker(now: BlockNumberFor<T>) {
			Self::execute_assigned(now);
		}

		fn integrity_test() {
			assert!(T::MaxRedundancy::get() > 0, "requests need an operator");
			assert!(T::MaxExpiriesPerBlock::get() > 0, "deadlines must be enforced");
			assert!(
				T::MaxExpiriesPerBlock::get() <= T::MaxTasksPerBlock::get(),
				"expiries are tasks"
			);
			assert!(T::MinDeadline::get() > 0u32.into(), "a deadline needs a block to report in");
			assert!(T::MinDeadline::get() <= T::MaxDeadline::get(), "deadline range is empty");
			assert!(
				T::MaxDeadline::get() <= T::MaxLifetime::get(),
				"a deadline beyond the lifetime"
			);
			assert!(T::MillisPerBlock::get() > 0, "blocks take time");
			assert!(T::MaxCandidates::get() >= T::MaxRedundancy::get(), "too few candidates");
			assert!(
				Self::earliest_deadline(0u32.into(), T::MaxTimeoutMs::get())
					<= T::MaxDeadline::get(),
				"an API with the longest timeout could never be called"
			);
		}

		#[cfg(feature = "try-runtime")]
		fn try_state(_n: BlockNumberFor<T>) -> Result<(), sp_runtime::TryRuntimeError> {
			Self::do_try_state()
		}
	}

	#[pallet::call(weight(<T as Config>::WeightInfo))]
	impl<T: Config> Pallet<T> {
		/// Registers an API, holding the API deposit from the caller.
		#[pallet::call_index(0)]
		pub fn register_api(origin: OriginFor<T>, spec: ApiSpec<T>) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_register_api(&who, spec)
		}

		/// Replaces an API's spec (owner only); open requests keep the terms they were
		/// submitted under.
		#[pallet::call_index(1)]
		pub fn update_api(origin: OriginFor<T>, api_id: ApiId, spec: ApiSpec<T>) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_update_api(&who, api_id, spec)
		}

		/// Stops (`paused: true`) or resumes new requests to an API; its owner or governance.
		#[pallet::call_index(2)]
		pub fn pause_api(origin: OriginFor<T>, api_id: ApiId, paused: bool) -> DispatchResult {
			let owner = match T::GovernanceOrigin::try_origin(origin) {
				Ok(_) => None,
				Err(origin) => Some(ensure_signed(origin)?),
			};
			Self::do_pause_api(owner.as_ref(), api_id, paused)
		}

		/// Calls `method path` on an API through `redundancy` operators (0: the API's default),
		/// paying at most `max_fee`; reports are taken until block `deadline`. Charged for
		/// routing among `MaxCandidates` operators, refunded down to those routing looked at.
		#[pallet::call_index(3)]
		#[pallet::weight(<T as Config>::WeightInfo::submit_request(
			T::MaxCandidates::get(),
			requests::request_bytes::<T>(path, headers, body),
			requests::charged_redundancy::<T>(*redundancy),
		))]
		pub fn submit_request(
			origin: OriginFor<T>,
			api_id: ApiId,
			method: HttpMethod,
			path: BoundedVec<u8, T::MaxPathLen>,
			headers: HeadersOf<T>,
			body: BoundedVec<u8, T::MaxBodyLen>,
			redundancy: u32,
			#[pallet::compact] max_fee: BalanceOf<T>,
			deadline: BlockNumberFor<T>,
		) -> DispatchResultWithPostInfo {
			let client = ensure_signed(origin)?;
			let request = NewRequest {
				method,
				path,
				headers,
				body,
				redundancy,
				max_fee,
				deadline,
				sealed: None,
			};
			Self::submit_one(&client, api_id, request)
		}

		/// An assigned operator's result, signed by its gateway key; free when accepted.
		/// Charged for settling a request of `MaxRedundancy` operators, refunded down to the
		/// request's own redundancy. Operational, as every call an operator's node sends: it
		/// settles work clients already paid for, so a block full of new submissions must not
		/// push it past the request's deadline.
		#[pallet::call_index(4)]
		#[pallet::weight((
			report_result_weight::<T>(T::MaxRedundancy::get(), report.body.len() as u32),
			DispatchClass::Operational,
		))]
		pub fn report_result(
			origin: OriginFor<T>,
			request_id: RequestId,
			report: Report<T>,
		) -> DispatchResultWithPostInfo {
			let signer = ensure_signed(origin)?;
			let body = report.body.len() as u32;
			let redundancy = Self::do_report_result(&signer, request_id, report)?;
			let actual = report_result_weight::<T>(redundancy, body);
			Ok(frame_support::dispatch::PostDispatchInfo {
				actual_weight: Some(actual),
				pays_fee: Pays::No,
			})
		}

		/// Many results of one operator, each as `report_result` takes it: what an operator's
		/// node sends when it has more than one report in a block, so that the transaction's
		/// overhead and the operator's own accounts are paid once. Each report is taken or
		/// refused (`ReportRejected`) on its own. Free when every report is taken. Charged as if
		/// each report settled a request of `MaxRedundancy` operators for a client and API of
		/// its own, refunded down to each request's own redundancy and to the (client, API)
		/// pairs the reports have. Operational, as `report_result`.
		#[pallet::call_index(5)]
		#[pallet::weight((
			report_results_weight::<T>(
				reports.len() as u32,
				reports.iter().map(|(_, report)| (T::MaxRedundancy::get(), report.body.len() as u32)),
			),
			DispatchClass::Operational,
		))]
		pub fn report_results(
			origin: OriginFor<T>,
			reports: BoundedVec<(RequestId, Report<T>), T::MaxReportsPerCall>,
		) -> DispatchResultWithPostInfo {
			let signer = ensure_signed(origin)?;
			Self::do_report_results(&signer, reports)
		}

		/// Several requests of one client to one API, each as `submit_request` takes it: what a
		/// dApp sends when it has many calls to make, so that the transaction's overhead, the
		/// client's hold and the reads routing shares are paid once. All or none: the first
		/// request that `submit_request` would refuse fails the call with that error, and
		/// nothing is held. Charged for routing among `MaxCandidates` operators, refunded down
		/// to those routing looked at.
		#[pallet::call_index(6)]
		#[pallet::weight(submit_requests_weight::<T>(
			T::MaxCandidates::get(),
			requests.iter().map(|request| (request.charged_redundancy(), request.bytes())),
		))]
		pub fn submit_requests(
			origin: OriginFor<T>,
			api_id: ApiId,
			requests: BoundedVec<NewRequest<T>, T::MaxRequestsPerCall>,
		) -> DispatchResultWithPostInfo {
			let client = ensure_signed(origin)?;
			let (candidates, charged) =
				Self::do_submit_requests(&client, api_id, requests.into_inner())?;
			Ok(Some(submit_requests_weight::<T>(candidates, charged.into_iter())).into())
		}

		/// Proves that `operator`'s gateway key signed two different results, `first` and
		/// `second`, for request `request_id` whose content hash is `request_hash` (as its
		/// receipts bind them; the request need not be kept any more). Anyone may send it; the
		/// operator commits `Equivocation` and the sender gets the reward share of the slash.
		/// Free when accepted.
		#[pallet::call_index(7)]
		pub fn report_equivocation(
			origin: OriginFor<T>,
			request_id: RequestId,
			request_hash: [u8; 32],
			operator: T::AccountId,
			first: SignedResult,
			second: SignedResult,
		) -> DispatchResultWithPostInfo {
			let reporter = ensure_signed(origin)?;
			Self::do_report_equivocation(
				&reporter,
				request_id,
				request_hash,
				&operator,
				first,
				second,
			)?;
			Ok(Pays::No.into())
		}

		/// Sets the backup grace (governance): how many blocks, from the one after submission,
		/// a request's assigned operators report in alone before backups are armed beside those
		/// that have not reported: at least 1, the first block a report can land in (0 would arm
		/// backups at the end of the very block that submits the request, which that block's
		/// start cannot charge for). A grace that reaches a request's deadline arms none,
		/// leaving failover to the deadline.
		/// Requests submitted before keep the grace they were submitted under.
		#[pallet::call_index(8)]
		pub fn set_backup_grace(origin: OriginFor<T>, grace: BlockNumberFor<T>) -> DispatchResult {
			T::GovernanceOrigin::ensure_origin(origin)?;
			ensure!(!grace.is_zero(), Error::<T>::ZeroBackupGrace);
			BackupGrace::<T>::put(grace);
			Self::deposit_event(Event::BackupGraceSet { grace });
			Ok(())
		}

		/// Replaces an API's secret (owner only): `envelopes` holds it sealed to each operator
		/// that may serve the API (see `baton_primitives::sealing`), each to the encryption key
		/// in that operator's profile. Requests are then routed only to these operators, whose
		/// nodes add the secret to their upstream calls. No envelope removes the secret; a new
		/// set revokes or rotates it.
		#[pallet::call_index(9)]
		#[pallet::weight(<T as Config>::WeightInfo::set_api_secret(envelopes.len() as u32))]
		pub fn set_api_secret(
			origin: OriginFor<T>,
			api_id: ApiId,
			envelopes: BoundedVec<
				(T::AccountId, baton_primitives::sealing::Envelope),
				T::MaxSecretHolders,
			>,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_set_api_secret(&who, api_id, &envelopes)
		}

		/// Gives one more operator an API's secret, sealed to its encryption key (owner only):
		/// for an operator that began serving the API after `set_api_secret`, or rotated its
		/// key.
		#[pallet::call_index(10)]
		pub fn grant_api_secret(
			origin: OriginFor<T>,
			api_id: ApiId,
			operator: T::AccountId,
			envelope: baton_primitives::sealing::Envelope,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_grant_api_secret(&who, api_id, &operator, &envelope)
		}

		/// Submits a sealed request (see `docs/confidential.md`): `submit_request` without
		/// headers and body, which the client seals with `seal_request` to the operators
		/// routing chooses now, and with `seal.client_key`, the key the response is sealed to.
		/// No operator executes it before it is sealed; unsealed at its deadline, it is
		/// refunded but for the protocol fee, without anyone's fault.
		#[pallet::call_index(11)]
		#[pallet::weight(<T as Config>::WeightInfo::submit_request(
			T::MaxCandidates::get(),
			path.len() as u32,
			requests::charged_redundancy::<T>(*redundancy),
		))]
		pub fn submit_sealed_request(
			origin: OriginFor<T>,
			api_id: ApiId,
			method: HttpMethod,
			path: BoundedVec<u8, T::MaxPathLen>,
			seal: baton_primitives::sealing::SealTerms,
			redundancy: u32,
			#[pallet::compact] max_fee: BalanceOf<T>,
			deadline: BlockNumberFor<T>,
		) -> DispatchResultWithPostInfo {
			let client = ensure_signed(origin)?;
			let request = NewRequest {
				method,
				path,
				headers: Default::default(),
				body: Default::default(),
				redundancy,
				max_fee,
				deadline,
				sealed: Some(seal),
			};
			Self::submit_one(&client, api_id, request)
		}

		/// Seals sealed request `request_id`'s call (client only): one envelope per assigned
		/// operator and backup (as `RequestSubmitted` and `gateway_request` name them), each
		/// sealed to the operator's encryption key under `sealed_call_info`. The deadline must
		/// still leave the API's timeout and a block to report in; the backup grace starts now.
		#[pallet::call_index(12)]
		#[pallet::weight(<T as Config>::WeightInfo::seal_request(
			envelopes.len() as u32,
			envelopes.iter().map(|(_, envelope)| envelope.ciphertext.len() as u32).sum(),
		))]
		pub fn seal_request(
			origin: OriginFor<T>,
			request_id: RequestId,
			envelopes: BoundedVec<
				(T::AccountId, baton_primitives::sealing::CallEnvelope),
				SealedEnvelopes<T>,
			>,
		) -> DispatchResult {
			let client = ensure_signed(origin)?;
			Self::do_seal_request(&client, request_id, envelopes.into_inner())
		}
	}
}

/// The most envelopes a sealed request takes: one per operator and backup.
pub struct SealedEnvelopes<T>(core::marker::PhantomData<T>);

impl<T: Config> frame_support::traits::Get<u32> for SealedEnvelopes<T> {
	fn get() -> u32 {
		T::MaxRedundancy::get().saturating_add(T::MaxBackups::get())
	}
}

/// Makes what the benchmarks need that this pallet cannot make itself.
#[cfg(feature = "runtime-benchmarks")]
pub trait BenchmarkHelper<AccountId> {
	/// Makes `who` an available operator serving `api` whose gateway key is `key`, which is in
	/// the keystore (to sign the key's proof of ownership with).
	fn operator(who: &AccountId, key: baton_primitives::GatewayKey, api: ApiId);
}
