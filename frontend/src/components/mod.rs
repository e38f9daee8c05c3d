//! The Yew components. They render state and analysis and send [`crate::state::Action`]s;
//! they hold no logic of their own beyond browser plumbing.

pub mod about;
pub mod app;
pub mod editor;
pub mod export_panel;
pub mod help;
pub mod includes;
pub mod modal;
pub mod problems;
pub mod queries;
pub mod share_dialog;

use yew::prelude::*;

/// A message with its backtick-quoted parts in a code font. The text only ever goes into
/// text nodes, never parsed as HTML.
pub fn rich(text: &str) -> Html {
    let pieces = crate::prose::code_spans(text)
        .into_iter()
        .map(|(code, piece)| {
            if code {
                html! { <code>{ piece.to_owned() }</code> }
            } else {
                html! { { piece.to_owned() } }
            }
        });
    html! { <>{ for pieces }</> }
}
