//! The Yew components. They render state and analysis and send [`crate::state::Action`]s;
//! they hold no logic of their own beyond browser plumbing.

pub mod app;
