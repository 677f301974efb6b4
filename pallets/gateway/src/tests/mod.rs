mod deadlines;
mod failover;
mod nonces;
mod offchain;
mod registry;
mod routing;
mod settlement;
mod submit;
