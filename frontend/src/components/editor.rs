//! The code editor: a `<textarea>` over a highlighted `<pre>`, with a line-number gutter,
//! diagnostic markers and the jump highlight.
//!
//! The textarea keeps the browser's own editing, selection, accessibility and undo/redo; the
//! `<pre>` underneath draws the colours. Both are sized to the whole text and scroll together
//! inside one container, so they never drift apart. Profile text is only ever put into text
//! nodes, never parsed as HTML.

use crate::engine::DiagView;
use crate::highlight::highlight;
use crate::positions::{byte_to_utf16, longest_line_chars, LineIndex};
use wasm_bindgen::JsCast;
use web_sys::{HtmlDocument, HtmlElement, HtmlTextAreaElement};
use yew::prelude::*;

/// Pixel height of one line; the CSS uses the same value.
pub const LINE_PX: f64 = 20.0;

/// Padding around the code in pixels; the CSS `--pad` has the same value.
pub const PAD_PX: f64 = 8.0;

/// Editor properties.
#[derive(Properties, PartialEq)]
pub struct EditorProps {
    /// The text.
    pub text: AttrValue,
    /// Accessible label (which file this is).
    pub label: AttrValue,
    /// The textarea's id.
    pub id: AttrValue,
    /// Diagnostics in this file.
    pub diagnostics: Vec<DiagView>,
    /// A byte range to select and scroll to, with a sequence number that changes per jump.
    #[prop_or_default]
    pub mark: Option<(usize, usize, u32)>,
    /// Read-only (embed mode).
    #[prop_or_default]
    pub readonly: bool,
    /// Called with the new text on every edit.
    pub on_change: Callback<String>,
}

/// Inserts text at the caret through the browser's editing commands, so that the change is
/// part of the native undo history (setting `value` would erase it).
fn insert_text(text: &str) -> bool {
    gloo::utils::document()
        .dyn_into::<HtmlDocument>()
        .ok()
        .and_then(|d| {
            d.exec_command_with_show_ui_and_value("insertText", false, text)
                .ok()
        })
        .unwrap_or(false)
}

/// One highlighted line's properties.
#[derive(Properties, PartialEq)]
struct HlLineProps {
    text: AttrValue,
    newline: bool,
}

/// One line of the coloured copy of the text.
#[function_component]
fn HlLine(props: &HlLineProps) -> Html {
    let text = props.text.as_str();
    let pieces = highlight(text).into_iter().map(|(class, range)| {
        let piece = text.get(range).unwrap_or("").to_owned();
        let css = class.css();
        if css.is_empty() {
            html! { { piece } }
        } else {
            html! { <span class={css}>{ piece }</span> }
        }
    });
    html! { <>{ for pieces }if props.newline { { "\n" } }</> }
}

/// The editor.
#[function_component]
pub fn Editor(props: &EditorProps) -> Html {
    let textarea = use_node_ref();
    let scroller = use_node_ref();
    // After Escape, the next Tab moves focus out instead of indenting (keyboard users must
    // be able to leave the editor).
    let escaped = use_mut_ref(|| false);
    let text = props.text.as_str();
    let index = LineIndex::new(text);
    let lines = index.line_count();
    let width_ch = longest_line_chars(text) + 4;

    // Select and reveal a jump target whenever a new jump happens.
    {
        let textarea = textarea.clone();
        let scroller = scroller.clone();
        let text = props.text.clone();
        use_effect_with(props.mark, move |mark| {
            if let (Some((start, end, _)), Some(ta)) =
                (mark, textarea.cast::<HtmlTextAreaElement>())
            {
                let s = byte_to_utf16(&text, *start);
                let e = byte_to_utf16(&text, *end);
                let _ = ta.focus();
                let _ = ta.set_selection_range(s, e);
                if let Some(sc) = scroller.cast::<HtmlElement>() {
                    let line = LineIndex::new(&text).line_of(*start);
                    let top = (line as f64 - 3.0).max(0.0) * LINE_PX;
                    sc.set_scroll_top(top as i32);
                }
            }
        });
    }

    let oninput = {
        let cb = props.on_change.clone();
        Callback::from(move |e: InputEvent| {
            if let Some(ta) = e.target_dyn_into::<HtmlTextAreaElement>() {
                cb.emit(ta.value());
            }
        })
    };
    let onkeydown = {
        let escaped = escaped.clone();
        let readonly = props.readonly;
        Callback::from(move |e: KeyboardEvent| {
            if readonly {
                return;
            }
            let plain = !e.ctrl_key() && !e.alt_key() && !e.meta_key();
            match e.key().as_str() {
                "Escape" => *escaped.borrow_mut() = true,
                "Tab" if plain && !*escaped.borrow() => {
                    let shift = e.shift_key();
                    let Some(ta) = e.target_dyn_into::<HtmlTextAreaElement>() else {
                        return;
                    };
                    let value = ta.value();
                    let sel = |v: Result<Option<u32>, _>| {
                        crate::positions::utf16_to_byte(&value, v.ok().flatten().unwrap_or(0))
                    };
                    let (a, b) = (sel(ta.selection_start()), sel(ta.selection_end()));
                    // Over several lines, Tab indents each of them (and Shift+Tab outdents)
                    // instead of replacing the selection with two spaces. The edit goes
                    // through insertText so that undo takes it back in one step.
                    if let Some(edit) = crate::indent::block_indent(&value, a, b, shift) {
                        let _ = ta.set_selection_range(
                            byte_to_utf16(&value, edit.start),
                            byte_to_utf16(&value, edit.end),
                        );
                        if insert_text(&edit.text) {
                            let new = ta.value();
                            let _ = ta.set_selection_range(
                                byte_to_utf16(&new, edit.select_start),
                                byte_to_utf16(&new, edit.select_end),
                            );
                            e.prevent_default();
                        }
                    } else if !shift && insert_text(crate::indent::INDENT) {
                        e.prevent_default();
                    }
                }
                "Enter" if plain && !e.shift_key() => {
                    // Keep the current line's indentation on a new line.
                    if let Some(ta) = e.target_dyn_into::<HtmlTextAreaElement>() {
                        let value = ta.value();
                        let caret = ta.selection_start().ok().flatten().unwrap_or(0);
                        let byte = crate::positions::utf16_to_byte(&value, caret);
                        let line_start = value
                            .get(..byte)
                            .and_then(|b| b.rfind('\n'))
                            .map(|i| i + 1)
                            .unwrap_or(0);
                        let indent: String = value
                            .get(line_start..byte)
                            .unwrap_or("")
                            .chars()
                            .take_while(|c| *c == ' ' || *c == '\t')
                            .collect();
                        if !indent.is_empty() && insert_text(&format!("\n{indent}")) {
                            e.prevent_default();
                        }
                    }
                    *escaped.borrow_mut() = false;
                }
                _ => *escaped.borrow_mut() = false,
            }
        })
    };

    // Lines with diagnostics, worst first per line.
    let mut marks: Vec<(usize, &DiagView)> = props
        .diagnostics
        .iter()
        .map(|d| (index.line_of(d.start), d))
        .collect();
    marks.sort_by_key(|(line, d)| (*line, d.level as u8));

    // The textarea covers the coloured text and the squiggles, so it carries the hover
    // message itself: moving the pointer over a line with diagnostics sets its title.
    let line_titles: Vec<(usize, String)> = {
        let mut out: Vec<(usize, String)> = Vec::new();
        for (line, d) in &marks {
            let mut msg = format!("{}: {}", d.level.as_str(), d.message);
            if let Some(h) = &d.help {
                msg.push_str(&format!("\nhelp: {h}"));
            }
            match out.last_mut() {
                Some((l, t)) if l == line => {
                    t.push('\n');
                    t.push_str(&msg);
                }
                _ => out.push((*line, msg)),
            }
        }
        out
    };
    let onmousemove = Callback::from(move |e: MouseEvent| {
        let Some(ta) = e.target_dyn_into::<HtmlTextAreaElement>() else {
            return;
        };
        let y = f64::from(e.offset_y()) - PAD_PX;
        let line = if y < 0.0 {
            0
        } else {
            (y / LINE_PX).floor() as usize + 1
        };
        let title = line_titles
            .iter()
            .find(|(l, _)| *l == line)
            .map(|(_, t)| t.as_str())
            .unwrap_or("");
        if ta.title() != title {
            ta.set_title(title);
        }
    });

    let gutter = (1..=lines).map(|n| {
        let here: Vec<&DiagView> = marks
            .iter()
            .filter(|(l, _)| *l == n)
            .map(|(_, d)| *d)
            .collect();
        match here.first() {
            Some(d) => {
                let title = here
                    .iter()
                    .map(|d| format!("{}: {}", d.level.as_str(), d.message))
                    .collect::<Vec<_>>()
                    .join("\n");
                html! {
                    <div class={classes!("ln", format!("ln-{}", d.level.as_str()))} title={title}>
                        <span class="marker" aria-hidden="true">{ "●" }</span>{ n }
                    </div>
                }
            }
            None => html! { <div class="ln">{ n }</div> },
        }
    });

    // One component per line: Yew skips lines whose text did not change, so a keystroke in
    // a long profile re-renders one line, not all of them. Every token of the highlighter
    // ends at a newline, so colouring line by line gives the same result as the whole text.
    let line_count = lines;
    let pieces = text.split('\n').enumerate().map(|(i, line)| {
        html! { <HlLine key={i} text={AttrValue::from(line.to_owned())} newline={i + 1 < line_count} /> }
    });

    // Squiggles under diagnostic spans (first line of each span) and the jump highlight.
    let squiggles = props.diagnostics.iter().map(|d| {
        let line = index.line_of(d.start);
        let line_range = index.line_range(line);
        let col = text
            .get(line_range.start..d.start.min(line_range.end))
            .map(|s| s.chars().count())
            .unwrap_or(0);
        let len = text
            .get(d.start.min(line_range.end)..d.end.clamp(d.start, line_range.end))
            .map(|s| s.chars().count())
            .unwrap_or(0)
            .max(1);
        let style = format!(
            "top:{}px;left:calc({}ch + var(--pad));width:{}ch",
            (line - 1) as f64 * LINE_PX,
            col,
            len
        );
        html! { <div class={classes!("squiggle", d.level.as_str())} style={style} title={d.message.clone()}></div> }
    });
    let mark_bg = props.mark.map(|(start, end, _)| {
        let first = index.line_of(start);
        let last = index.line_of(end.saturating_sub(1).max(start));
        let style = format!(
            "top:{}px;height:{}px",
            (first - 1) as f64 * LINE_PX,
            (last - first + 1) as f64 * LINE_PX
        );
        html! { <div class="mark-bg" style={style}></div> }
    });

    // A minimum, not a size: the code area also stretches to fill the editor, so a click
    // anywhere in the editor (below the last line, right of the longest) lands in the
    // textarea, which covers the whole code area.
    let size = format!(
        "min-height:calc({}px + 2 * var(--pad));min-width:calc({}ch + 2 * var(--pad))",
        lines as f64 * LINE_PX,
        width_ch
    );
    html! {
        <div class="editor" ref={scroller}>
          // Tab indents here, so keyboard users need to hear how to get out.
          if !props.readonly {
              <p id={format!("{}-hint", props.id)} class="sr-only">
                  { "Tab inserts spaces. To leave the editor, press Escape, then Tab." }
              </p>
          }
          <div class="editor-inner">
            <div class="gutter" aria-hidden="true">{ for gutter }</div>
            <div class="code" style={size}>
                { for mark_bg }
                { for squiggles }
                <pre class="hl" aria-hidden="true">{ for pieces }{ "\n" }</pre>
                <textarea
                    id={props.id.clone()}
                    ref={textarea}
                    aria-label={props.label.clone()}
                    aria-describedby={(!props.readonly).then(|| format!("{}-hint", props.id))}
                    spellcheck="false"
                    autocomplete="off"
                    autocapitalize="off"
                    wrap="off"
                    readonly={props.readonly}
                    value={props.text.clone()}
                    {oninput}
                    {onkeydown}
                    {onmousemove}
                />
            </div>
          </div>
        </div>
    }
}
