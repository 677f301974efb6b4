mod deadlines;
mod equivocation;
mod failover;
mod hedging;
#[cfg(feature = "upgrade-rehearsal")]
mod migrations;
mod nonces;
mod offchain;
mod registry;
mod reruns;
mod routing;
mod sealed;
mod secrets;
mod sessions;
mod settlement;
mod submit;
