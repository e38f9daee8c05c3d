//! The queries panel: add queries or paste denial lines, see each verdict and why.

use super::rich;
use crate::engine::{Outcome, Verdict};
use crate::state::{Action, OpenFile, QueryRow};
use wasm_bindgen::JsCast;
use web_sys::HtmlInputElement;
use yew::prelude::*;

/// Queries panel properties.
#[derive(Properties, PartialEq)]
pub struct QueriesProps {
    /// The rows.
    pub rows: Vec<QueryRow>,
    /// One outcome per row (may be shorter while an analysis is pending).
    pub outcomes: Vec<Outcome>,
    /// Rows with "why" expanded.
    pub expanded: Vec<u32>,
    /// The main file's name, to tell main-file rules from include rules.
    pub main_name: AttrValue,
    /// The profile evaluated.
    pub evaluated: Option<AttrValue>,
    /// Compact, read-only rows (embed mode).
    #[prop_or_default]
    pub compact: bool,
    /// A profile asked for (by a pasted denial line) that the text does not define.
    #[prop_or_default]
    pub missing_profile: Option<AttrValue>,
    /// Sends actions.
    pub dispatch: Callback<Action>,
}

fn input_value(r: &NodeRef) -> String {
    r.cast::<HtmlInputElement>()
        .map(|i| i.value())
        .unwrap_or_default()
}

fn clear(r: &NodeRef) {
    if let Some(i) = r.cast::<HtmlInputElement>() {
        i.set_value("");
    }
}

/// The queries panel.
#[function_component]
pub fn Queries(props: &QueriesProps) -> Html {
    let add_ref = use_node_ref();
    let denial_ref = use_node_ref();
    let on_add = {
        let d = props.dispatch.clone();
        let r = add_ref.clone();
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            d.emit(Action::AddQuery(input_value(&r)));
            clear(&r);
        })
    };
    let on_denial = {
        let d = props.dispatch.clone();
        let r = denial_ref.clone();
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let v = input_value(&r);
            if !v.trim().is_empty() {
                d.emit(Action::AddDenial(v));
                clear(&r);
            }
        })
    };
    // The syntax reference: clicking an example puts it into the box, ready to edit.
    let examples_ref = add_ref.clone();
    let examples = crate::prose::QUERY_EXAMPLES.iter().map(move |(example, what)| {
        let r = examples_ref.clone();
        let onclick = Callback::from(move |_: MouseEvent| {
            if let Some(i) = r.cast::<HtmlInputElement>() {
                i.set_value(example);
                let _ = i.focus();
            }
        });
        html! {
            <li>
                <button type="button" class="example" {onclick}><code>{ *example }</code></button>
                <span class="what">{ " — " }{ rich(what) }</span>
            </li>
        }
    });
    let count = props.rows.len();
    let rows = props.rows.iter().enumerate().map(|(i, row)| {
        let outcome = props.outcomes.get(i);
        html! { <Row key={row.id} row={row.clone()} outcome={outcome.cloned()}
        expanded={props.expanded.contains(&row.id)}
        main_name={props.main_name.clone()} compact={props.compact}
        first={i == 0} last={i + 1 == count}
        dispatch={props.dispatch.clone()} /> }
    });
    html! {
        <section class="queries" aria-label="queries">
            if !props.compact {
                <form class="add-query" onsubmit={on_add}>
                    <label for="add-query">{ "Test an access" }</label>
                    <div class="row">
                        <input id="add-query" ref={add_ref} type="text"
                               placeholder="w /proc/sysrq-trigger · capability sys_admin · network inet stream"
                               spellcheck="false" autocomplete="off" />
                        <button type="submit">{ "Add" }</button>
                    </div>
                </form>
                <details class="syntax">
                    <summary>{ "Query syntax" }</summary>
                    <p class="hint">{ "One access per query, as " }<code>{ "armorlab test" }</code>{ " reads it. Click an example to put it in the box." }</p>
                    <ul class="examples">{ for examples }</ul>
                </details>
                <form class="add-denial" onsubmit={on_denial}>
                    <label for="add-denial">{ "…or paste a kernel denial line" }</label>
                    <div class="row">
                        <input id="add-denial" ref={denial_ref} type="text"
                               placeholder={r#"apparmor="DENIED" operation="open" profile="docker-default" name="/proc/sysrq-trigger" requested_mask="w" …"#}
                               spellcheck="false" autocomplete="off" />
                        <button type="submit">{ "Explain" }</button>
                    </div>
                </form>
                if let Some(p) = &props.evaluated {
                    <p class="evaluated">{ "Evaluated against profile " }<code>{ p.clone() }</code></p>
                }
                // A denial from another profile answered by this one would mislead: say so.
                if let Some(m) = &props.missing_profile {
                    <p class="warning-note" role="status">
                        { "The denial line names profile " }<code>{ m.clone() }</code>
                        { ", which this text does not define: the answers below are for " }
                        <code>{ props.evaluated.clone().unwrap_or_default() }</code>{ "." }
                    </p>
                }
            }
            <ol class="rows">{ for rows }</ol>
        </section>
    }
}

/// Row properties.
#[derive(Properties, PartialEq)]
pub struct RowProps {
    /// The row.
    pub row: QueryRow,
    /// Its outcome.
    pub outcome: Option<Outcome>,
    /// Why expanded.
    pub expanded: bool,
    /// Main file name.
    pub main_name: AttrValue,
    /// Compact mode.
    pub compact: bool,
    /// The first row (it cannot move up).
    #[prop_or_default]
    pub first: bool,
    /// The last row (it cannot move down).
    #[prop_or_default]
    pub last: bool,
    /// Sends actions.
    pub dispatch: Callback<Action>,
}

/// One query row.
#[function_component]
pub fn Row(props: &RowProps) -> Html {
    let id = props.row.id;
    let d = &props.dispatch;
    let verdict = match &props.outcome {
        Some(Outcome::Decided(dec)) => Some(dec.verdict),
        _ => None,
    };
    let (badge, badge_class) = match &props.outcome {
        Some(Outcome::Decided(dec)) if dec.verdict == Verdict::Allow => ("allow", "badge allow"),
        Some(Outcome::Decided(_)) => ("deny", "badge deny"),
        Some(Outcome::BadQuery(_)) => ("bad query", "badge error"),
        Some(Outcome::NotEvaluated(_)) => ("n/a", "badge error"),
        None => ("…", "badge pending"),
    };
    let detail = match &props.outcome {
        Some(Outcome::Decided(dec)) => {
            let mut parts = Vec::new();
            if !dec.allowed.is_empty() {
                parts.push(format!("allowed {}", dec.allowed));
            }
            if !dec.denied.is_empty() {
                parts.push(format!("denied {}", dec.denied));
            }
            if !dec.audit.is_empty() {
                parts.push(format!("audit {}", dec.audit));
            }
            parts.join(" · ")
        }
        Some(Outcome::BadQuery(m)) | Some(Outcome::NotEvaluated(m)) => m.clone(),
        None => String::new(),
    };
    let why = match (&props.outcome, props.expanded || props.compact) {
        (Some(Outcome::Decided(dec)), true) => {
            let rules = dec.rules.iter().map(|r| {
                let file = if r.file == props.main_name.as_str() || r.file.is_empty() {
                    OpenFile::Main
                } else {
                    OpenFile::Include(r.file.clone())
                };
                let place = if file == OpenFile::Main {
                    format!("line {}", r.line)
                } else {
                    format!(
                        "{}:{}",
                        r.file.trim_start_matches("/etc/apparmor.d/"),
                        r.line
                    )
                };
                let role = crate::prose::rule_role(&r.effect, &r.perms);
                let main_file = file == OpenFile::Main;
                let onclick = {
                    let d = d.clone();
                    let (start, end) = (r.start, r.end);
                    Callback::from(move |_| {
                        d.emit(Action::Jump {
                            file: file.clone(),
                            start,
                            end,
                        })
                    })
                };
                html! {
                    <li class={classes!("rule", r.effect.clone())}>
                        if r.implicit {
                            <span class="jump implicit" title="added by apparmor_parser itself">{ "implicit" }</span>
                        } else if props.compact && !main_file {
                            // An embed shows only the profile: an include's rule has nowhere
                            // to jump to, so its place is plain text.
                            <span class="jump static">{ place }</span>
                        } else {
                            <button type="button" class="jump" {onclick}
                                    title="show this rule in the editor">{ place }</button>
                        }
                        <span class="rule-body">
                            <code class="rule-text">{ r.text.clone() }</code>
                            if !role.is_empty() {
                                { " " }<span class="perms"><span aria-hidden="true">{ "→ " }</span>{ role }</span>
                            }
                        </span>
                    </li>
                }
            });
            let notes = dec
                .notes
                .iter()
                .map(|n| html! { <li class="note">{ rich(n) }</li> });
            html! {
                <ul class="why">
                    { for rules }
                    { for notes }
                    if dec.rules.is_empty() && dec.notes.is_empty() {
                        <li class="note">{ "no rule matches: AppArmor denies what is not allowed" }</li>
                    }
                </ul>
            }
        }
        _ => html! {},
    };
    let on_edit = {
        let d = d.clone();
        Callback::from(move |e: InputEvent| {
            if let Some(i) = e.target_dyn_into::<HtmlInputElement>() {
                d.emit(Action::EditQuery {
                    id,
                    text: i.value(),
                });
            }
        })
    };
    // Removing a row must not drop keyboard focus on <body>: it moves to the remove button
    // of the row that takes its place (the next one, or the previous one at the end).
    let on_remove = {
        let d = d.clone();
        Callback::from(move |e: MouseEvent| {
            let next = e
                .target()
                .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
                .and_then(|el| el.closest(".q-row").ok().flatten())
                .and_then(|row| {
                    row.next_element_sibling()
                        .or_else(|| row.previous_element_sibling())
                })
                .and_then(|row| {
                    row.query_selector("button[aria-label='remove query']")
                        .ok()
                        .flatten()
                })
                .and_then(|b| b.dyn_into::<web_sys::HtmlElement>().ok());
            d.emit(Action::RemoveQuery(id));
            if let Some(b) = next {
                gloo::timers::callback::Timeout::new(0, move || {
                    let _ = b.focus();
                })
                .forget();
            }
        })
    };
    // Moving a row moves its DOM node, which drops focus; give it back to the same button
    // (rows are keyed, so the node survives) so ↑ can be pressed again.
    let on_move = |delta: i32| {
        let d = d.clone();
        Callback::from(move |e: MouseEvent| {
            let button = e
                .target()
                .and_then(|t| t.dyn_into::<web_sys::HtmlElement>().ok());
            d.emit(Action::MoveQuery { id, delta });
            if let Some(b) = button {
                gloo::timers::callback::Timeout::new(0, move || {
                    let _ = b.focus();
                })
                .forget();
            }
        })
    };
    let act = |a: Action| {
        let d = d.clone();
        Callback::from(move |_| d.emit(a.clone()))
    };
    html! {
        <li class="q-row" data-query={props.row.text.clone()}
            data-verdict={verdict.map(|v| AttrValue::from(v.as_str()))}>
            <div class="q-main">
                <span class={badge_class} aria-label={format!("verdict: {badge}")}>{ badge }</span>
                if props.compact {
                    <code class="q-text">{ props.row.text.clone() }</code>
                } else {
                    <input class="q-text" type="text" value={props.row.text.clone()}
                           title={props.row.text.clone()}
                           aria-label="query" spellcheck="false" oninput={on_edit} />
                    <button type="button" class="why-btn" aria-expanded={props.expanded.to_string()}
                            onclick={act(Action::ToggleWhy(id))}>{ "why" }</button>
                    <button type="button" class="icon" aria-label="move up" title="move up"
                            aria-disabled={props.first.then_some("true")}
                            onclick={on_move(-1)}>{ "↑" }</button>
                    <button type="button" class="icon" aria-label="move down" title="move down"
                            aria-disabled={props.last.then_some("true")}
                            onclick={on_move(1)}>{ "↓" }</button>
                    <button type="button" class="icon" aria-label="remove query" title="remove"
                            onclick={on_remove}>{ "✕" }</button>
                }
            </div>
            if !detail.is_empty() { <div class="q-detail">{ rich(&detail) }</div> }
            { why }
        </li>
    }
}
