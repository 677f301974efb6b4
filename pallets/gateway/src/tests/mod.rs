mod deadlines;
mod equivocation;
mod failover;
mod offchain;
mod registry;
mod routing;
mod settlement;
mod submit;
