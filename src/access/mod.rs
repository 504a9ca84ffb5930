//! Who may go where: owns the signed tokens (tickets, passes, challenges) and their keys, and
//! the limits on handing out new tickets (per address, proof of work). Must not read requests
//! or room state: the gateway brings the token text and acts on what is verified.

pub mod admission;
pub mod answers;
pub mod code;
pub mod issuance;
pub mod passes;
pub mod ticket;
