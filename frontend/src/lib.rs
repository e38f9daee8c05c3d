//! The armorlab playground: edit an AppArmor profile, test accesses, see which rule decides,
//! export, share and embed — all in the browser, on the core compiled to WebAssembly.
//!
//! Logic lives in plain modules ([`state`], [`engine`], [`positions`], [`highlight`], [`indent`],
//! [`denial`], [`library`], [`prose`]) that are unit-tested natively; [`components`] only render them.

pub mod components;
pub mod denial;
pub mod engine;
pub mod export;
pub mod highlight;
pub mod indent;
pub mod library;
pub mod positions;
pub mod prose;
pub mod state;

/// Mounts the playground on the document body.
pub fn start() {
    yew::Renderer::<components::app::App>::new().render();
}
