//! The Yew components. They render state and analysis and send [`crate::state::Action`]s;
//! they hold no logic of their own beyond browser plumbing.

pub mod about;
pub mod app;
pub mod editor;
pub mod export_panel;
pub mod help;
pub mod includes;
pub mod problems;
pub mod queries;
pub mod share_dialog;
