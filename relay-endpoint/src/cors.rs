//! Cross-origin access, so that a dApp's page calls operators' endpoints directly. Every origin
//! is allowed and no credentials are: a call is authorized by the ticket its client signed,
//! never by a cookie or by the page it comes from.

use bytes::Bytes;
use http_body_util::Full;
use hyper::{
	header::{
		HeaderValue, ACCESS_CONTROL_ALLOW_HEADERS, ACCESS_CONTROL_ALLOW_METHODS,
		ACCESS_CONTROL_ALLOW_ORIGIN, ACCESS_CONTROL_EXPOSE_HEADERS, ACCESS_CONTROL_MAX_AGE,
		ACCESS_CONTROL_REQUEST_HEADERS,
	},
	HeaderMap, Response, StatusCode,
};

/// What a page may read of an answer besides the simple headers: the receipt and who signed it.
const EXPOSED: &str = "baton-receipt, baton-receipt-signature, baton-operator";
/// The methods an API may allow (the gateway's `HttpMethod`).
const METHODS: &str = "GET, POST, PUT, PATCH, DELETE";
/// How long a browser may reuse a preflight's answer, in seconds.
const MAX_AGE: &str = "600";

/// Lets any page read `headers`' answer, receipt included.
pub fn allow(headers: &mut HeaderMap) {
	headers.insert(ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*"));
	headers.insert(ACCESS_CONTROL_EXPOSE_HEADERS, HeaderValue::from_static(EXPOSED));
}

/// The answer to a browser's preflight (`OPTIONS`): the methods calls may use and the headers
/// the page asked to send (the `Baton-*` ones and those it signs), which the ticket's checks
/// then judge, not this. It touches nothing the endpoint keeps.
pub fn preflight(request: &HeaderMap) -> Response<Full<Bytes>> {
	let mut response = Response::new(Full::new(Bytes::new()));
	*response.status_mut() = StatusCode::NO_CONTENT;
	let headers = response.headers_mut();
	allow(headers);
	headers.insert(ACCESS_CONTROL_ALLOW_METHODS, HeaderValue::from_static(METHODS));
	if let Some(asked) = request.get(ACCESS_CONTROL_REQUEST_HEADERS) {
		headers.insert(ACCESS_CONTROL_ALLOW_HEADERS, asked.clone());
	}
	headers.insert(ACCESS_CONTROL_MAX_AGE, HeaderValue::from_static(MAX_AGE));
	response
}
