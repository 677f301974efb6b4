mod availability;
mod bonding;
mod governance;
mod heartbeats;
mod profile;
mod slashing;
mod unbonding;
