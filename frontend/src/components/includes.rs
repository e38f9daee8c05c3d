//! The include library panel: browse, open, add and reset include files.

use crate::library::BUNDLED;
use crate::state::{Action, OpenFile};
use std::collections::BTreeSet;
use web_sys::HtmlInputElement;
use yew::prelude::*;

/// Includes panel properties.
#[derive(Properties, PartialEq)]
pub struct IncludesProps {
    /// Paths the user changed or added.
    pub modified: Vec<String>,
    /// The file open in the editor.
    pub open: OpenFile,
    /// Sends actions.
    pub dispatch: Callback<Action>,
}

/// The includes panel.
#[function_component]
pub fn Includes(props: &IncludesProps) -> Html {
    let filter = use_state(String::new);
    let new_ref = use_node_ref();
    let mut paths: BTreeSet<String> = BUNDLED.iter().map(|(p, _)| (*p).to_owned()).collect();
    paths.extend(props.modified.iter().cloned());
    let f = filter.to_lowercase();
    let shown: Vec<&String> = paths
        .iter()
        .filter(|p| f.is_empty() || p.to_lowercase().contains(&f))
        .collect();
    let total = shown.len();
    let items = shown.into_iter().take(300).map(|p| {
        let open = props.open == OpenFile::Include(p.clone());
        let modified = props.modified.contains(p);
        let d = props.dispatch.clone();
        let path = p.clone();
        let onclick = Callback::from(move |_| d.emit(Action::Open(OpenFile::Include(path.clone()))));
        let reset = modified.then(|| {
            let d = props.dispatch.clone();
            let path = p.clone();
            html! {
                <button type="button" class="icon" title="discard my changes"
                        aria-label={format!("discard changes to {path}")}
                        onclick={Callback::from(move |_| d.emit(Action::ResetInclude(path.clone())))}>{ "↺" }</button>
            }
        });
        html! {
            <li class={classes!(open.then_some("open"), modified.then_some("modified"))}>
                <button type="button" class="file" {onclick} aria-current={open.then_some("true")}>
                    { p.trim_start_matches("/etc/apparmor.d/").to_owned() }
                    if modified { <span class="dot" title="changed">{ " ●" }</span> }
                </button>
                { for reset }
            </li>
        }
    });
    let on_filter = {
        let filter = filter.clone();
        Callback::from(move |e: InputEvent| {
            if let Some(i) = e.target_dyn_into::<HtmlInputElement>() {
                filter.set(i.value());
            }
        })
    };
    let on_new = {
        let d = props.dispatch.clone();
        let r = new_ref.clone();
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            if let Some(i) = r.cast::<HtmlInputElement>() {
                d.emit(Action::AddInclude(i.value()));
                i.set_value("");
            }
        })
    };
    let d = props.dispatch.clone();
    html! {
        <section class="includes" aria-label="include files">
            <p class="hint">{ "The include library of Debian's apparmor package (/etc/apparmor.d). Open a file to view or edit it; edits apply at once." }</p>
            // Only offered while an include file is open: on the profile it led nowhere.
            if props.open != OpenFile::Main {
                <button type="button" class="file main"
                        onclick={Callback::from(move |_| d.emit(Action::Open(OpenFile::Main)))}>{ "← back to the profile" }</button>
            }
            <form class="row" onsubmit={on_new}>
                <input ref={new_ref} id="new-include" type="text" placeholder="local/docker-default"
                       aria-label="new include file name" spellcheck="false" />
                <button type="submit">{ "New file" }</button>
            </form>
            <input type="search" class="filter" placeholder="filter…" aria-label="filter include files"
                   value={(*filter).clone()} oninput={on_filter} />
            <ul class="files">{ for items }</ul>
            if total > 300 { <p class="hint">{ format!("{} more; refine the filter", total - 300) }</p> }
        </section>
    }
}
