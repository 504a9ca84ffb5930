//! Where a room's counters live: owns the `RoomState` trait (the few operations a room needs
//! from its storage), the operator's settings, and the backend's whole life: opening it,
//! opening its rooms, its background work (the embedded save ticker, the Redis sync) and its
//! shutdown. Must not decide anything about requests; the arithmetic is in `queue`, the
//! decisions in `gateway`. Nothing above this folder names a backend.

mod backend;
pub mod embedded;
pub mod redis;
mod room;
mod settings;

pub use backend::Backend;
pub use embedded::file::{peek, Saved, StoreError};
pub use redis::SharedKeys;
pub use room::{
    BackendInfo, Enlisted, Figures, Gap, Gate, HandedOut, Letter, Movement, Numbering, Replaced,
    RoomState, SessionStart, SettingsChange, StateError, StateFuture, MAX_ADDRESS_CHANGES,
    MAX_LETTERS,
};
pub use settings::{effective, operator_rate, Message, OperatorState, Override, Settings};
