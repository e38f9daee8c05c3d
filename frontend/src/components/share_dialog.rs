//! The share dialog: the link to this exact playground, and an `<iframe>` snippet.

use super::export_panel::CopyButton;
use super::modal::Modal;
use yew::prelude::*;

/// Share dialog properties.
#[derive(Properties, PartialEq)]
pub struct ShareProps {
    /// The full share link.
    pub link: AttrValue,
    /// The embed URL.
    pub embed_link: AttrValue,
    /// Close the dialog.
    pub on_close: Callback<()>,
}

/// The share dialog.
#[function_component]
pub fn ShareDialog(props: &ShareProps) -> Html {
    let iframe = format!(
        "<iframe src=\"{}\" width=\"100%\" height=\"420\" title=\"AppArmor profile playground\" loading=\"lazy\"></iframe>",
        props.embed_link.replace('"', "&quot;")
    );
    let close = props.on_close.reform(|_: MouseEvent| ());
    // Keyboard users land in the dialog, on the link, ready to copy it.
    let link_ref = use_node_ref();
    {
        let link_ref = link_ref.clone();
        use_effect_with((), move |_| {
            if let Some(input) = link_ref.cast::<web_sys::HtmlInputElement>() {
                let _ = input.focus();
                input.select();
            }
        });
    }
    html! {
        <Modal labelled_by="share-title" on_close={props.on_close.clone()}>
            <h2 id="share-title">{ "Share" }</h2>
            <p>{ "The link holds the whole playground (profile, include edits, queries), compressed. It never reaches a server." }</p>
            <label for="share-link">{ "Link" }</label>
            <div class="row">
                <input id="share-link" ref={link_ref} type="text" readonly=true value={props.link.clone()} />
                <CopyButton text={props.link.clone()} what="share link" />
            </div>
            <label for="embed-code">{ "Embed in documentation" }</label>
            <div class="row">
                <textarea id="embed-code" readonly=true rows="3" value={iframe.clone()} />
                <CopyButton text={iframe} what="embed snippet" />
            </div>
            <button type="button" class="close" onclick={close}>{ "Close" }</button>
        </Modal>
    }
}
