mod deadlines;
mod offchain;
mod registry;
mod routing;
mod settlement;
mod submit;
