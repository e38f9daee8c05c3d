//! The keyboard help overlay.

use super::modal::Modal;
use yew::prelude::*;

/// The shortcuts, as (keys, what they do). The app's key handler implements exactly these.
pub const SHORTCUTS: &[(&str, &str)] = &[
    (
        "Ctrl+Enter",
        "re-run the analysis and go to “test an access”",
    ),
    ("Ctrl+S", "download the profile"),
    ("Ctrl+Shift+S", "share: show the link to this playground"),
    ("Alt+1 … Alt+4", "queries, include files, export, about"),
    ("Alt+E", "go to the editor"),
    ("?  or  F1", "this help (outside text fields)"),
    (
        "Escape",
        "close dialogs; in the editor, the next Tab leaves the editor",
    ),
    (
        "Tab / Shift+Tab (in the editor)",
        "insert two spaces; over selected lines, indent / outdent them",
    ),
    (
        "Ctrl+Z / Ctrl+Shift+Z",
        "undo / redo (the browser's own history)",
    ),
];

/// Help overlay properties.
#[derive(Properties, PartialEq)]
pub struct HelpProps {
    /// Close the overlay.
    pub on_close: Callback<()>,
}

/// The help overlay.
#[function_component]
pub fn Help(props: &HelpProps) -> Html {
    let close = props.on_close.reform(|_: MouseEvent| ());
    // Focus moves into the dialog so Escape and Enter work at once.
    let close_ref = use_node_ref();
    {
        let close_ref = close_ref.clone();
        use_effect_with((), move |_| {
            if let Some(b) = close_ref.cast::<web_sys::HtmlElement>() {
                let _ = b.focus();
            }
        });
    }
    let rows = SHORTCUTS.iter().map(|(k, v)| {
        html! { <tr><th scope="row"><kbd>{ *k }</kbd></th><td>{ *v }</td></tr> }
    });
    html! {
        <Modal labelled_by="help-title" on_close={props.on_close.clone()}>
            <h2 id="help-title">{ "Keyboard shortcuts" }</h2>
            <table>{ for rows }</table>
            <button type="button" class="close" ref={close_ref} onclick={close}>{ "Close" }</button>
        </Modal>
    }
}
