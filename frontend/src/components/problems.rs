//! The problems list under the editor.

use super::rich;
use crate::engine::DiagView;
use crate::state::{Action, OpenFile};
use yew::prelude::*;

/// Problems list properties.
#[derive(Properties, PartialEq)]
pub struct ProblemsProps {
    /// All diagnostics.
    pub diagnostics: Vec<DiagView>,
    /// The main file's name.
    pub main_name: AttrValue,
    /// Sends actions.
    pub dispatch: Callback<Action>,
}

/// The problems list.
#[function_component]
pub fn Problems(props: &ProblemsProps) -> Html {
    if props.diagnostics.is_empty() {
        return html! { <div class="problems ok" role="status" aria-live="polite">{ "No problems." }</div> };
    }
    let items = props.diagnostics.iter().map(|d| {
        let file = if d.file == props.main_name.as_str() || d.file.is_empty() {
            OpenFile::Main
        } else {
            OpenFile::Include(d.file.clone())
        };
        let place = match &file {
            OpenFile::Main => format!("{}:{}", d.line, d.column),
            OpenFile::Include(p) => format!("{}:{}:{}", p, d.line, d.column),
        };
        let onclick = {
            let dispatch = props.dispatch.clone();
            let (start, end) = (d.start, d.end);
            Callback::from(move |_| {
                dispatch.emit(Action::Jump {
                    file: file.clone(),
                    start,
                    end,
                })
            })
        };
        html! {
            <li class={classes!("diag", d.level.as_str())} data-code={d.code.clone()}>
                <button type="button" class="jump" {onclick}>{ place }</button>
                <span class="level">{ d.level.as_str() }</span>
                <span class="msg">{ rich(&d.message) }</span>
                if let Some(h) = &d.help { <div class="help">{ "help: " }{ rich(h) }</div> }
            </li>
        }
    });
    html! {
        <section class="problems" aria-label="problems" role="status" aria-live="polite">
            <ul>{ for items }</ul>
        </section>
    }
}
