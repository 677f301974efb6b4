//! Why the endpoint refuses a call: each refusal is a 4xx with a JSON body naming the reason,
//! and none changes anything the node keeps.

/// A refused call.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Refusal {
	/// No ticket or signature, not hex, not SCALE, or not a `/relay/<id>/...` path.
	BadTicket(&'static str),
	/// The ticket's genesis hash is not this chain's.
	WrongChain,
	/// No session has this id at the node's best block.
	UnknownSession,
	/// The session is closed or past its last block.
	SessionClosed,
	/// The ticket's operator is not the session's, or this node holds no gateway key of it.
	NotOperator,
	/// The session's API is no longer registered.
	ApiUnavailable,
	/// The API does not allow the method.
	MethodNotAllowed,
	/// The body is over the chain's limit for request bodies.
	BodyTooLarge,
	/// The signature is not the session's client's over this ticket and request.
	BadSignature,
	/// This node already served the call with this sequence number.
	Replayed,
	/// The best voucher held does not pay for every call served and this one.
	VoucherShort,
	/// One more call would cost more than the operator's allowance.
	AllowanceExhausted,
}

impl Refusal {
	/// The HTTP status code.
	pub fn status(&self) -> u16 {
		match self {
			Refusal::BadTicket(_) => 400,
			Refusal::WrongChain => 421,
			Refusal::UnknownSession => 404,
			Refusal::SessionClosed => 410,
			Refusal::NotOperator => 403,
			Refusal::ApiUnavailable => 503,
			Refusal::MethodNotAllowed => 405,
			Refusal::BodyTooLarge => 413,
			Refusal::BadSignature => 401,
			Refusal::Replayed => 409,
			Refusal::VoucherShort | Refusal::AllowanceExhausted => 402,
		}
	}

	/// The `error` field of the body, and the metrics label.
	pub fn reason(&self) -> &'static str {
		match self {
			Refusal::BadTicket(_) => "bad_ticket",
			Refusal::WrongChain => "wrong_chain",
			Refusal::UnknownSession => "unknown_session",
			Refusal::SessionClosed => "session_closed",
			Refusal::NotOperator => "not_operator",
			Refusal::ApiUnavailable => "api_unavailable",
			Refusal::MethodNotAllowed => "method_not_allowed",
			Refusal::BodyTooLarge => "body_too_large",
			Refusal::BadSignature => "bad_signature",
			Refusal::Replayed => "replayed",
			Refusal::VoucherShort => "voucher_short",
			Refusal::AllowanceExhausted => "allowance_exhausted",
		}
	}

	/// The `message` field: what to do about it.
	pub fn message(&self) -> &'static str {
		match self {
			Refusal::BadTicket(what) => what,
			Refusal::WrongChain => {
				"the ticket is for another chain: sign with this chain's genesis hash"
			},
			Refusal::UnknownSession => "no session has this id at this node's best block",
			Refusal::SessionClosed => "the session is closed or expired: open a new one",
			Refusal::NotOperator => "this node serves no operator of the ticket in this session",
			Refusal::ApiUnavailable => "the session's API is no longer registered",
			Refusal::MethodNotAllowed => "the API does not allow this method",
			Refusal::BodyTooLarge => "the body is over the chain's limit for request bodies",
			Refusal::BadSignature => {
				"the signature is not the session client's over this ticket and request"
			},
			Refusal::Replayed => "this sequence number was served already: use a new one",
			Refusal::VoucherShort => {
				"the voucher does not pay for the calls served and this one: raise calls and amount"
			},
			Refusal::AllowanceExhausted => "the operator's allowance is spent: top the session up",
		}
	}

	/// The JSON body.
	pub fn body(&self) -> Vec<u8> {
		serde_json::json!({ "error": self.reason(), "message": self.message() })
			.to_string()
			.into_bytes()
	}
}
