//! Templates and attribution.

use crate::library::{BUNDLED, TEMPLATES};
use crate::state::Action;
use yew::prelude::*;

/// About panel properties.
#[derive(Properties, PartialEq)]
pub struct AboutProps {
    /// Sends actions.
    pub dispatch: Callback<Action>,
}

/// The about / templates panel.
#[function_component]
pub fn About(props: &AboutProps) -> Html {
    let items = TEMPLATES.iter().map(|t| {
        let d = props.dispatch.clone();
        let id = t.id.to_owned();
        html! {
            <li>
                <button type="button" onclick={Callback::from(move |_| d.emit(Action::LoadTemplate(id.clone())))}>
                    { format!("Open {}", t.title) }
                </button>
                <p><code>{ t.id }</code>{ " — " }{ t.origin }</p>
                <p class="license">{ format!("License: {}", t.license) }</p>
            </li>
        }
    });
    html! {
        <section class="about" aria-label="about">
            <h2>{ "Templates" }</h2>
            <ul class="templates">{ for items }</ul>
            <h2>{ "Include library" }</h2>
            <p>{ format!("{} files from /etc/apparmor.d (tunables, abstractions, abi) of Debian's apparmor package, bundled at build time; GPL-2.0, Copyright the AppArmor project and contributors.", BUNDLED.len()) }</p>
            <h2>{ "Privacy" }</h2>
            <p>{ "Everything runs in your browser. Nothing is sent anywhere: share links keep the state in the part of the URL after #, which browsers never send to a server." }</p>
        </section>
    }
}
