//! The line's arithmetic: owns admission (who is called when), the schedule of an opening and
//! its pre-queue draw, the shuffle that draws it, and the adaptive rate. Pure functions of
//! their inputs and `now`: no IO, no clocks read, no locks, so tests move time instead of
//! sleeping.

pub mod adaptive;
pub mod admission;
pub mod schedule;
pub mod shuffle;
pub mod supply;
