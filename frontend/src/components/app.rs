//! The root component: wires the reducer, the analysis, the URL, storage and the keyboard.

use super::about::About;
use super::editor::Editor;
use super::export_panel::ExportPanel;
use super::help::Help;
use super::includes::Includes;
use super::problems::Problems;
use super::queries::Queries;
use super::share_dialog::ShareDialog;
use crate::engine::{self, AnalysisView, DiagView};
use crate::library::TEMPLATES;
use crate::state::{debounce_ms, Action, OpenFile, Panel, State};
use armorlab_core::share;
use gloo::events::{EventListener, EventListenerOptions};
use gloo::timers::callback::Timeout;
use std::rc::Rc;
use wasm_bindgen::JsCast;
use web_sys::{HtmlElement, HtmlSelectElement};
use yew::prelude::*;

/// The localStorage key of the autosave.
const AUTOSAVE_KEY: &str = "armorlab.autosave.v1";

impl Reducible for State {
    type Action = Action;
    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        let mut next = (*self).clone();
        next.apply(action);
        Rc::new(next)
    }
}

fn now_ms() -> f64 {
    gloo::utils::window()
        .performance()
        .map(|p| p.now())
        .unwrap_or(0.0)
}

fn storage() -> Option<web_sys::Storage> {
    gloo::utils::window().local_storage().ok().flatten()
}

/// The state at startup: the URL fragment wins, then the autosave, then docker-default.
fn initial_state() -> State {
    let mut state = State::default();
    let hash = gloo::utils::window().location().hash().unwrap_or_default();
    if hash.len() > 1 {
        match share::parse_fragment(&hash) {
            Ok(f) => state.apply(Action::Restore(f)),
            Err(e) => state.apply(Action::Banner(format!(
                "This link could not be opened: {e}. Showing docker-default instead."
            ))),
        }
    } else if let Some(saved) = storage().and_then(|s| s.get_item(AUTOSAVE_KEY).ok().flatten()) {
        if let Ok(f) = share::parse_fragment(&saved) {
            state.apply(Action::Restore(f));
        }
    }
    state
}

/// Downloads `text` as a file named `name`, entirely in the browser.
fn download(name: &str, text: &str) {
    let run = || -> Option<()> {
        let parts = js_sys::Array::of1(&wasm_bindgen::JsValue::from_str(text));
        let opts = web_sys::BlobPropertyBag::new();
        // A generic type: with text/plain, Chromium appends `.txt` to the profile's file name.
        opts.set_type("application/octet-stream");
        let blob = web_sys::Blob::new_with_str_sequence_and_options(&parts, &opts).ok()?;
        let url = web_sys::Url::create_object_url_with_blob(&blob).ok()?;
        let a: web_sys::HtmlAnchorElement = gloo::utils::document()
            .create_element("a")
            .ok()?
            .dyn_into()
            .ok()?;
        a.set_href(&url);
        a.set_download(name);
        a.click();
        // Revoke later: the download starts asynchronously.
        Timeout::new(10_000, move || {
            let _ = web_sys::Url::revoke_object_url(&url);
        })
        .forget();
        Some(())
    };
    let _ = run();
}

fn base_url() -> String {
    let loc = gloo::utils::window().location();
    format!(
        "{}{}",
        loc.origin().unwrap_or_default(),
        loc.pathname().unwrap_or_default()
    )
}

fn focus(id: &str) {
    if let Some(el) = gloo::utils::document()
        .get_element_by_id(id)
        .and_then(|e| e.dyn_into::<HtmlElement>().ok())
    {
        let _ = el.focus();
    }
}

/// An analysis result with its timing, for the status line and the benchmark.
#[derive(Clone, PartialEq, Default)]
struct Analyzed {
    view: Rc<AnalysisView>,
    ms: f64,
    seq: u32,
}

/// Everything an analysis depends on: profile text, include revision, queries, selected
/// profile, main file name.
type AnalysisKey = Rc<(String, u32, Vec<String>, Option<String>, &'static str)>;

/// The playground.
#[function_component]
pub fn App() -> Html {
    let state = use_reducer(initial_state);
    let result = use_mut_ref(Analyzed::default);
    let done = use_mut_ref(|| None::<AnalysisKey>);
    let pending = use_mut_ref(|| None::<AnalysisKey>);
    let force = use_force_update();
    let timer = use_mut_ref(|| None::<Timeout>);
    let last_ms = use_mut_ref(|| 0.0f64);
    let seq = use_mut_ref(|| 0u32);
    let latest = use_mut_ref(|| state.clone());
    *latest.borrow_mut() = state.clone();

    // The include provider is rebuilt only when the include files change.
    let provider = {
        let s = state.clone();
        use_memo(state.includes_rev, move |_| s.provider())
    };

    // Re-analyse whenever an input of the analysis changes. When analyses are fast, it runs
    // inside this render, so a keystroke costs one render; when they are slow, a timer runs
    // it later (debounced) and forces a render with the result.
    {
        let key: AnalysisKey = Rc::new((
            state.profile.clone(),
            state.includes_rev,
            state.query_texts(),
            state.selected_profile.clone(),
            state.file_name(),
        ));
        let analyse = {
            let provider = provider.clone();
            let last_ms = last_ms.clone();
            let seq = seq.clone();
            let result = result.clone();
            let done = done.clone();
            move |key: &AnalysisKey| {
                let (text, _, queries, selected, name) = &**key;
                let t0 = now_ms();
                let view = engine::run(&engine::Inputs {
                    name,
                    text,
                    provider: &provider,
                    queries,
                    profile: selected.as_deref(),
                });
                let ms = now_ms() - t0;
                let n = {
                    let mut s = seq.borrow_mut();
                    *s += 1;
                    *s
                };
                // The first analysis pays one-time costs (building the include library's
                // matchers); it must not slow down the first keystrokes.
                if n > 1 {
                    *last_ms.borrow_mut() = ms;
                }
                *result.borrow_mut() = Analyzed {
                    view: Rc::new(view),
                    ms,
                    seq: n,
                };
                *done.borrow_mut() = Some(key.clone());
            }
        };
        let delay = debounce_ms(*last_ms.borrow());
        let stale = done.borrow().as_ref() != Some(&key);
        if stale && delay == 0 {
            timer.borrow_mut().take();
            pending.borrow_mut().take();
            analyse(&key);
        } else if stale && pending.borrow().as_ref() != Some(&key) {
            // Replacing the timer drops (cancels) the one for the previous text.
            let force = force.clone();
            let pending_done = pending.clone();
            let k = key.clone();
            *pending.borrow_mut() = Some(key.clone());
            *timer.borrow_mut() = Some(Timeout::new(delay, move || {
                analyse(&k);
                pending_done.borrow_mut().take();
                force.force_update();
            }));
        }
    }
    let analyzed = result.borrow().clone();

    // Autosave (not in embed mode, which must not overwrite the user's own work).
    {
        let s = state.clone();
        use_effect_with(
            (
                state.profile.clone(),
                state.includes_rev,
                state.query_texts(),
                state.embed,
            ),
            move |_| {
                let t = (!s.embed).then(|| {
                    Timeout::new(400, move || {
                        if let Some(st) = storage() {
                            let _ = st.set_item(AUTOSAVE_KEY, &s.share_fragment());
                        }
                    })
                });
                move || drop(t)
            },
        );
    }

    // Global keyboard shortcuts and following the URL when the user pastes a new link.
    {
        let dispatch = state.dispatcher();
        let latest = latest.clone();
        use_effect_with((), move |_| {
            let d = dispatch.clone();
            let keys = EventListener::new_with_options(
                &gloo::utils::document(),
                "keydown",
                EventListenerOptions::enable_prevent_default(),
                move |e| {
                    let Some(e) = e.dyn_ref::<KeyboardEvent>() else {
                        return;
                    };
                    let ctrl = e.ctrl_key() || e.meta_key();
                    let in_field = e
                        .target()
                        .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
                        .map(|el| matches!(el.tag_name().as_str(), "INPUT" | "TEXTAREA" | "SELECT"))
                        .unwrap_or(false);
                    let key = e.key();
                    let handled = match key.as_str() {
                        "Enter" if ctrl => {
                            d.dispatch(Action::ShowPanel(Panel::Queries));
                            Timeout::new(0, || focus("add-query")).forget();
                            true
                        }
                        "s" | "S" if ctrl && e.shift_key() => {
                            d.dispatch(Action::ToggleShare);
                            true
                        }
                        "s" if ctrl => {
                            let s = latest.borrow().clone();
                            download(s.file_name(), &s.profile);
                            true
                        }
                        "Escape" => {
                            d.dispatch(Action::CloseOverlays);
                            false
                        }
                        "F1" => {
                            d.dispatch(Action::ToggleHelp);
                            true
                        }
                        "?" if !in_field => {
                            d.dispatch(Action::ToggleHelp);
                            true
                        }
                        _ if e.alt_key() && !ctrl => match e.code().as_str() {
                            "Digit1" => {
                                d.dispatch(Action::ShowPanel(Panel::Queries));
                                true
                            }
                            "Digit2" => {
                                d.dispatch(Action::ShowPanel(Panel::Includes));
                                true
                            }
                            "Digit3" => {
                                d.dispatch(Action::ShowPanel(Panel::Export));
                                true
                            }
                            "Digit4" => {
                                d.dispatch(Action::ShowPanel(Panel::About));
                                true
                            }
                            "KeyE" => {
                                focus("editor");
                                true
                            }
                            _ => false,
                        },
                        _ => false,
                    };
                    if handled {
                        e.prevent_default();
                    }
                },
            );
            let d = dispatch.clone();
            let hash = EventListener::new(&gloo::utils::window(), "hashchange", move |_| {
                let h = gloo::utils::window().location().hash().unwrap_or_default();
                if h.len() > 1 {
                    match share::parse_fragment(&h) {
                        Ok(f) => d.dispatch(Action::Restore(f)),
                        Err(e) => d.dispatch(Action::Banner(format!(
                            "This link could not be opened: {e}"
                        ))),
                    }
                }
            });
            move || drop((keys, hash))
        });
    }

    let dispatch: Callback<Action> = {
        let d = state.dispatcher();
        Callback::from(move |a| d.dispatch(a))
    };
    let view = analyzed.view.clone();
    let main_name = state.file_name();
    let evaluated = view.evaluated.clone();

    // The editor shows the profile or an include file.
    let (editor_text, editor_label, on_change, file_key): (
        String,
        String,
        Callback<String>,
        String,
    ) = match &state.open {
        OpenFile::Main => (
            state.profile.clone(),
            "profile text".into(),
            dispatch.reform(Action::SetProfile),
            main_name.to_owned(),
        ),
        OpenFile::Include(p) => {
            let path = p.clone();
            (
                state.include_text(p).unwrap_or("").to_owned(),
                format!("include file {p}"),
                dispatch.reform(move |text| Action::EditInclude {
                    path: path.clone(),
                    text,
                }),
                p.clone(),
            )
        }
    };
    let file_diags: Vec<DiagView> = view
        .diagnostics
        .iter()
        .filter(|d| d.file == file_key || (state.open == OpenFile::Main && d.file.is_empty()))
        .cloned()
        .collect();
    let mark = state
        .mark
        .as_ref()
        .filter(|m| m.file == state.open)
        .map(|m| (m.start, m.end, m.seq));
    let on_download = {
        let s = state.clone();
        Callback::from(move |_| download(s.file_name(), &s.profile))
    };

    let status = {
        let errors = view.error_count();
        let warnings = view.diagnostics.len() - errors;
        format!(
            "{} error{} · {} other diagnostic{} · analysis {:.1} ms",
            errors,
            if errors == 1 { "" } else { "s" },
            warnings,
            if warnings == 1 { "" } else { "s" },
            analyzed.ms
        )
    };
    let root_attrs = (format!("{:.3}", analyzed.ms), analyzed.seq.to_string());

    let banner = state.banner.clone().map(|msg| {
        let d = dispatch.clone();
        html! {
            <div class="banner" role="alert">
                <span>{ super::rich(&msg) }</span>
                <button type="button" aria-label="dismiss" onclick={Callback::from(move |_| d.emit(Action::DismissBanner))}>{ "✕" }</button>
            </div>
        }
    });

    // After a template replaced an edited profile: offer to bring the edits back.
    let undo_template = state.replaced.as_ref().map(|_| {
        let title = state
            .template
            .as_deref()
            .and_then(crate::library::template)
            .map(|t| t.title)
            .unwrap_or("the template");
        let undo = dispatch.reform(|_: MouseEvent| Action::UndoTemplate);
        let forget = dispatch.reform(|_: MouseEvent| Action::ForgetReplaced);
        html! {
            <div class="banner" role="status" id="template-undo">
                <span>{ format!("Loaded {title}; your edited profile was replaced.") }</span>
                <span class="banner-actions">
                    <button type="button" id="undo-template" onclick={undo}>{ "Bring back my edits" }</button>
                    <button type="button" aria-label="dismiss" onclick={forget}>{ "✕" }</button>
                </span>
            </div>
        }
    });

    if state.embed {
        let open_link = format!("{}#{}", base_url(), state.share_fragment());
        return html! {
            <div class="app embed" data-analysis-ms={root_attrs.0} data-analysis-seq={root_attrs.1}>
                <header class="embed-head">
                    <span class="brand">{ "armorlab" }</span>
                    <span class="name">{ main_name }</span>
                    <a href={open_link} target="_blank" rel="noopener">{ "Open in playground ↗" }</a>
                </header>
                <div class="banners">{ for banner }</div>
                <div class="embed-body">
                    <Editor id="editor" label="profile text" text={state.profile.clone()}
                            diagnostics={file_diags} readonly=true {mark} on_change={Callback::noop()} />
                    <Queries rows={state.queries.clone()} outcomes={view.outcomes.clone()}
                             expanded={state.expanded.clone()} main_name={main_name}
                             evaluated={evaluated.map(AttrValue::from)} compact=true dispatch={dispatch.clone()} />
                </div>
            </div>
        };
    }

    let template_value = if state.is_pristine_template() {
        state.template.clone().unwrap_or_default()
    } else {
        String::new()
    };
    let on_template = {
        let d = dispatch.clone();
        Callback::from(move |e: Event| {
            if let Some(sel) = e.target_dyn_into::<HtmlSelectElement>() {
                if !sel.value().is_empty() {
                    d.emit(Action::LoadTemplate(sel.value()));
                }
            }
        })
    };
    let template_options = TEMPLATES.iter().map(|t| {
        html! { <option value={t.id} selected={template_value == t.id}>{ t.title }</option> }
    });
    let profile_select = (view.profiles.len() > 1).then(|| {
        let d = dispatch.clone();
        let on = Callback::from(move |e: Event| {
            if let Some(sel) = e.target_dyn_into::<HtmlSelectElement>() {
                d.emit(Action::SelectProfile(Some(sel.value())));
            }
        });
        let opts = view.profiles.iter().map(|p| {
            html! { <option value={p.clone()} selected={evaluated.as_deref() == Some(p)}>{ p.clone() }</option> }
        });
        html! {
            <label class="field">{ "Profile " }
                <select id="profile-select" onchange={on}>{ for opts }</select>
            </label>
        }
    });
    let tab = |panel: Panel, label: &'static str, key: &'static str| {
        let d = dispatch.clone();
        let selected = state.panel == panel;
        html! {
            <button type="button" role="tab" id={format!("tab-{key}")} aria-selected={selected.to_string()}
                    class={classes!("tab", selected.then_some("selected"))}
                    onclick={Callback::from(move |_| d.emit(Action::ShowPanel(panel)))}>{ label }</button>
        }
    };
    let panel = match state.panel {
        Panel::Queries => {
            let missing_profile = state
                .selected_profile
                .clone()
                .filter(|p| !view.profiles.contains(p))
                .map(AttrValue::from);
            html! {
                <Queries rows={state.queries.clone()} outcomes={view.outcomes.clone()}
                         expanded={state.expanded.clone()} main_name={main_name}
                         evaluated={evaluated.clone().map(AttrValue::from)} {missing_profile}
                         dispatch={dispatch.clone()} />
            }
        }
        Panel::Includes => html! {
            <Includes modified={state.includes.keys().cloned().collect::<Vec<_>>()}
                      open={state.open.clone()} dispatch={dispatch.clone()} />
        },
        Panel::Export => {
            let spo = engine::spo_export(&engine::Inputs {
                name: main_name,
                text: &state.profile,
                provider: &provider,
                queries: &[],
                profile: evaluated.as_deref(),
            });
            html! {
                <ExportPanel profile={evaluated.clone().unwrap_or_else(|| main_name.to_owned())}
                             file_name={main_name} on_download={on_download.clone()} {spo} />
            }
        }
        Panel::About => html! { <About dispatch={dispatch.clone()} /> },
    };
    let file_tab = match &state.open {
        OpenFile::Main => html! { <span class="file-name">{ main_name }</span> },
        OpenFile::Include(p) => {
            let d = dispatch.clone();
            html! {
                <>
                    <button type="button" class="link" onclick={Callback::from(move |_| d.emit(Action::Open(OpenFile::Main)))}>{ main_name }</button>
                    <span class="sep">{ " › " }</span>
                    <span class="file-name">{ p.clone() }</span>
                    if state.include_modified(p) { <span class="dot">{ " (changed)" }</span> }
                </>
            }
        }
    };
    let toggle_share = dispatch.reform(|_: MouseEvent| Action::ToggleShare);
    let toggle_help = dispatch.reform(|_: MouseEvent| Action::ToggleHelp);
    let overlays = html! {
        <>
            if state.help { <Help on_close={dispatch.reform(|_| Action::CloseOverlays)} /> }
            if state.share {
                <ShareDialog link={format!("{}#{}", base_url(), state.share_fragment())}
                             embed_link={format!("{}#{}", base_url(), state.embed_fragment())}
                             on_close={dispatch.reform(|_| Action::CloseOverlays)} />
            }
        </>
    };
    let dl = on_download.reform(|_: MouseEvent| ());
    let on_embed = {
        let d = dispatch.clone();
        let open = state.share;
        Callback::from(move |_: MouseEvent| {
            if !open {
                d.emit(Action::ToggleShare);
            }
            // The dialog renders on the next tick; then select the snippet for copying.
            Timeout::new(0, || {
                if let Some(el) = gloo::utils::document()
                    .get_element_by_id("embed-code")
                    .and_then(|e| e.dyn_into::<web_sys::HtmlTextAreaElement>().ok())
                {
                    let _ = el.focus();
                    el.select();
                }
            })
            .forget();
        })
    };

    html! {
        <div class="app" data-analysis-ms={root_attrs.0} data-analysis-seq={root_attrs.1}>
            <header class="top">
                <h1 class="brand">{ "armorlab" }<span class="sub">{ " AppArmor playground" }</span></h1>
                <label class="field">{ "Template " }
                    <select id="template-select" onchange={on_template}>
                        if template_value.is_empty() { <option value="" selected=true>{ "(edited)" }</option> }
                        { for template_options }
                    </select>
                </label>
                { for profile_select }
                <div class="actions">
                    <button type="button" id="share-btn" onclick={toggle_share} title="Ctrl+Shift+S">{ "Share" }</button>
                    <button type="button" id="embed-btn" onclick={on_embed} title="an <iframe> for documentation">{ "Embed" }</button>
                    <button type="button" id="download-btn" onclick={dl} title="Ctrl+S">{ "Download" }</button>
                    <button type="button" id="help-btn" onclick={toggle_help} aria-label="keyboard shortcuts" title="? or F1">{ "?" }</button>
                </div>
            </header>
            // One grid row holds every message, present or not, so the layout's rows stay
            // header, messages, main, status.
            <div class="banners">
                { for banner }
                { for undo_template }
            </div>
            <main class="layout">
                <section class="left" aria-label="editor">
                    <div class="file-bar">{ file_tab }</div>
                    <Editor id="editor" label={editor_label} text={editor_text}
                            diagnostics={file_diags} {mark} {on_change} />
                    <Problems diagnostics={view.diagnostics.clone()} main_name={main_name}
                              dispatch={dispatch.clone()} />
                </section>
                <aside class="right">
                    <nav class="tabs" role="tablist" aria-label="panels">
                        { tab(Panel::Queries, "Queries", "queries") }
                        { tab(Panel::Includes, "Includes", "includes") }
                        { tab(Panel::Export, "Export", "export") }
                        { tab(Panel::About, "About", "about") }
                    </nav>
                    <div class="panel" role="tabpanel">{ panel }</div>
                </aside>
            </main>
            <footer class="status" role="status">{ status }</footer>
            { overlays }
        </div>
    }
}
