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

/// Copy button properties.
#[derive(Properties, PartialEq)]
pub struct CopyButtonProps {
    /// The text to copy.
    pub text: AttrValue,
    /// What is copied, for screen readers (`Copy` alone does not say what).
    pub what: AttrValue,
}

/// A Copy button that says "Copied" for a moment afterwards: without it, a click gives no
/// sign that anything happened.
#[function_component]
pub fn CopyButton(props: &CopyButtonProps) -> Html {
    let copied = use_state(|| false);
    let timer = use_mut_ref(|| None::<gloo::timers::callback::Timeout>);
    let onclick = {
        let copied = copied.clone();
        let text = props.text.clone();
        Callback::from(move |_: MouseEvent| {
            copy(&text);
            copied.set(true);
            let copied = copied.clone();
            *timer.borrow_mut() = Some(gloo::timers::callback::Timeout::new(1500, move || {
                copied.set(false)
            }));
        })
    };
    html! {
        <button type="button" class={classes!("copy", (*copied).then_some("copied"))}
                aria-label={format!("copy {}", props.what)} {onclick}>
            { if *copied { "Copied ✓" } else { "Copy" } }
        </button>
    }
}

/// The export panel.
#[function_component]
pub fn ExportPanel(props: &ExportProps) -> Html {
    let items = snippets(&props.profile, &props.file_name)
        .into_iter()
        .map(|s| {
            html! {
                <li>
                    <h3>{ s.title }</h3>
                    <pre class="snippet">{ s.body.clone() }</pre>
                    <CopyButton text={s.body} what={s.title} />
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
                        <CopyButton text={yaml.clone()} what="Security Profiles Operator YAML" />
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
