//! The frame of a modal dialog: keeps keyboard focus inside while open, hands it back to
//! the control that opened it when closed, and closes on a click on the backdrop.

use wasm_bindgen::JsCast;
use web_sys::{Element, HtmlElement};
use yew::prelude::*;

/// Modal properties.
#[derive(Properties, PartialEq)]
pub struct ModalProps {
    /// The id of the dialog's title element.
    pub labelled_by: AttrValue,
    /// Close the dialog.
    pub on_close: Callback<()>,
    /// The dialog's content.
    pub children: Html,
}

/// What Tab can reach inside the dialog, in order.
fn focusables(root: &Element) -> Vec<HtmlElement> {
    let mut out = Vec::new();
    if let Ok(list) = root.query_selector_all(
        "button:not([disabled]), input:not([disabled]), textarea:not([disabled]), select:not([disabled]), a[href]",
    ) {
        for i in 0..list.length() {
            if let Some(el) = list.item(i).and_then(|n| n.dyn_into::<HtmlElement>().ok()) {
                out.push(el);
            }
        }
    }
    out
}

/// A modal dialog.
#[function_component]
pub fn Modal(props: &ModalProps) -> Html {
    let dialog = use_node_ref();
    // Remember who had focus before the dialog opened and give it back on close; otherwise
    // focus falls to the page's body and a keyboard user starts over from the top.
    use_effect_with((), |_| {
        let opener = gloo::utils::document()
            .active_element()
            .and_then(|e| e.dyn_into::<HtmlElement>().ok());
        move || {
            if let Some(el) = opener {
                let _ = el.focus();
            }
        }
    });
    let onkeydown = {
        let dialog = dialog.clone();
        Callback::from(move |e: KeyboardEvent| {
            if e.key() != "Tab" {
                return;
            }
            let Some(root) = dialog.cast::<Element>() else {
                return;
            };
            let items = focusables(&root);
            let (Some(first), Some(last)) = (items.first(), items.last()) else {
                return;
            };
            let active = gloo::utils::document().active_element();
            let at = |el: &HtmlElement| {
                active
                    .as_ref()
                    .is_some_and(|a| a.is_same_node(Some(el.as_ref())))
            };
            // Tab from the last control wraps to the first, Shift+Tab from the first to the
            // last: the page behind an aria-modal dialog is not reachable.
            if e.shift_key() && at(first) {
                e.prevent_default();
                let _ = last.focus();
            } else if !e.shift_key() && at(last) {
                e.prevent_default();
                let _ = first.focus();
            }
        })
    };
    let backdrop = use_node_ref();
    let onclick = {
        let close = props.on_close.clone();
        let backdrop = backdrop.clone();
        Callback::from(move |e: MouseEvent| {
            // Only a click on the backdrop itself, not one that bubbled up from the dialog.
            // (Yew delegates events, so `current_target` is not the backdrop: compare nodes.)
            let target = e.target().and_then(|t| t.dyn_into::<web_sys::Node>().ok());
            if let (Some(t), Some(b)) = (target, backdrop.get()) {
                if t.is_same_node(Some(&b)) {
                    close.emit(());
                }
            }
        })
    };
    html! {
        <div class="overlay" role="dialog" aria-modal="true" aria-labelledby={props.labelled_by.clone()}
             ref={backdrop} {onkeydown} {onclick}>
            <div class="dialog" ref={dialog}>
                { props.children.clone() }
            </div>
        </div>
    }
}
