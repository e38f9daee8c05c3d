//! The export panel: download the profile, copy deployment snippets.

use crate::export::snippets;
use yew::prelude::*;

/// Export panel properties.
#[derive(Properties, PartialEq)]
pub struct ExportProps {
    /// The profile the snippets name.
    pub profile: AttrValue,
    /// The download file name.
    pub file_name: AttrValue,
    /// Download the profile.
    pub on_download: Callback<()>,
    /// The Security Profiles Operator YAML and what it cannot express.
    #[prop_or_default]
    pub spo: Option<(String, Vec<String>)>,
}

/// Copies text to the clipboard (the browser may refuse silently without a user gesture).
pub fn copy(text: &str) {
    let clipboard = gloo::utils::window().navigator().clipboard();
    let _ = clipboard.write_text(text);
}

/// The export panel.
#[function_component]
pub fn ExportPanel(props: &ExportProps) -> Html {
    let items = snippets(&props.profile, &props.file_name).into_iter().map(|s| {
        let body = s.body.clone();
        html! {
            <li>
                <h3>{ s.title }</h3>
                <pre class="snippet">{ s.body }</pre>
                <button type="button" onclick={Callback::from(move |_| copy(&body))}>{ "Copy" }</button>
            </li>
        }
    });
    let dl = props.on_download.reform(|_: MouseEvent| ());
    html! {
        <section class="export" aria-label="export">
            <button type="button" id="download" class="primary" onclick={dl}>
                { format!("Download {}", props.file_name) }
            </button>
            <ul class="snippets">
                { for items }
                if let Some((yaml, losses)) = &props.spo {
                    <li>
                        <h3>{ "Security Profiles Operator AppArmorProfile" }</h3>
                        <pre class="snippet" id="spo-yaml">{ yaml.clone() }</pre>
                        <button type="button" onclick={{ let y = yaml.clone(); Callback::from(move |_| copy(&y)) }}>{ "Copy" }</button>
                        if !losses.is_empty() {
                            <p class="hint">{ "Not expressed in the operator's structured form:" }</p>
                            <ul class="losses">{ for losses.iter().map(|l| html! { <li>{ l.clone() }</li> }) }</ul>
                        }
                    </li>
                }
            </ul>
        </section>
    }
}
