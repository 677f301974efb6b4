mod backlog;
mod governance;
mod jails;
mod reporting;
mod settling;

use baton_primitives::OffenceSubject;

/// A subject made from a number, like a request id.
pub fn subject(n: u8) -> OffenceSubject {
	[n; 32]
}
