//! What every API test uses: the running server ([`app`]), requests as an
//! app builds them ([`requests`]), calls and fixtures ([`calls`]), and
//! assertions on errors and statistics ([`assertions`]).

pub mod app;
pub mod assertions;
pub mod calls;
pub mod cluster;
pub mod database;
pub mod requests;

pub use app::*;
pub use assertions::*;
pub use calls::*;
pub use database::{postgres_only, sled_only};
pub use requests::*;
