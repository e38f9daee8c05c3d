//! The playground's state and its pure reducer.
//!
//! Every change goes through [`State::apply`] with an [`Action`], so the behaviour is tested
//! natively without a browser. The analysis is not state: it is recomputed from the texts
//! (see [`crate::engine`]).

use crate::denial::parse_denial;
use crate::library::{self, SEARCH_DIR};
use armorlab_core::share::{self, Fragment, ShareState};
use armorlab_core::source::MemoryProvider;
use std::collections::BTreeMap;

/// Which file the editor shows.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum OpenFile {
    /// The profile.
    #[default]
    Main,
    /// An include file, by absolute path.
    Include(String),
}

/// The side panels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Panel {
    /// Queries and verdicts.
    #[default]
    Queries,
    /// The include library.
    Includes,
    /// Downloads and deployment snippets.
    Export,
    /// Templates and attribution.
    About,
}

/// One query row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryRow {
    /// Stable id for keys and actions (not the position).
    pub id: u32,
    /// The query text.
    pub text: String,
}

/// A range to highlight in the editor after a jump.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mark {
    /// The file the range is in.
    pub file: OpenFile,
    /// Byte range.
    pub start: usize,
    /// End of the byte range.
    pub end: usize,
    /// Incremented on every jump so that jumping to the same rule twice still scrolls.
    pub seq: u32,
}

/// The whole playground state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct State {
    /// The profile text.
    pub profile: String,
    /// The template the profile started from.
    pub template: Option<String>,
    /// Include files the user changed or added: path → text.
    pub includes: BTreeMap<String, String>,
    /// The queries, in order.
    pub queries: Vec<QueryRow>,
    /// Next query id.
    pub next_id: u32,
    /// The profile to evaluate (`None`: the first one).
    pub selected_profile: Option<String>,
    /// The file shown in the editor.
    pub open: OpenFile,
    /// The side panel shown.
    pub panel: Panel,
    /// Whether the keyboard help overlay is open.
    pub help: bool,
    /// Whether the share dialog is open.
    pub share: bool,
    /// Compact layout for `<iframe>`s.
    pub embed: bool,
    /// A message for the user (a bad share link, a bad denial line, ...).
    pub banner: Option<String>,
    /// The editor range to highlight.
    pub mark: Option<Mark>,
    /// Query rows whose "why" is expanded.
    pub expanded: Vec<u32>,
    /// Bumped whenever `includes` changes, so the provider is rebuilt only then.
    pub includes_rev: u32,
    /// The edited profile (and its template) that the last template load replaced, so one
    /// click can bring it back: picking a template from the menu must not silently throw
    /// away work, and the browser's undo history does not survive the replacement.
    pub replaced: Option<(String, Option<String>)>,
}

/// Everything a user can do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// The profile text changed (typing).
    SetProfile(String),
    /// Replace the profile with a template (and its default queries if there are none).
    LoadTemplate(String),
    /// An include file's text changed.
    EditInclude {
        /// Absolute path.
        path: String,
        /// New text.
        text: String,
    },
    /// Create a new include file (relative names go under `/etc/apparmor.d/`).
    AddInclude(String),
    /// Drop the user's version of an include (back to the bundled one, or gone if added).
    ResetInclude(String),
    /// Show a file in the editor.
    Open(OpenFile),
    /// Append a query.
    AddQuery(String),
    /// Change a query's text.
    EditQuery {
        /// Row id.
        id: u32,
        /// New text.
        text: String,
    },
    /// Remove a query.
    RemoveQuery(u32),
    /// Move a query up (negative) or down (positive).
    MoveQuery {
        /// Row id.
        id: u32,
        /// Steps.
        delta: i32,
    },
    /// Replace the queries with the template's defaults.
    ResetQueries,
    /// A pasted kernel denial line: becomes a query.
    AddDenial(String),
    /// Choose the profile to evaluate.
    SelectProfile(Option<String>),
    /// Show a panel.
    ShowPanel(Panel),
    /// Toggle the keyboard help.
    ToggleHelp,
    /// Toggle the share dialog.
    ToggleShare,
    /// Close overlays (Escape).
    CloseOverlays,
    /// Jump to a range in a file.
    Jump {
        /// The file (main profile name or include path, as the core names it).
        file: OpenFile,
        /// Byte range start.
        start: usize,
        /// Byte range end.
        end: usize,
    },
    /// Expand or collapse a query's "why".
    ToggleWhy(u32),
    /// Restore from a share link or autosave.
    Restore(Fragment),
    /// Show a message.
    Banner(String),
    /// Hide the message.
    DismissBanner,
    /// Put back the edited profile the last template load replaced.
    UndoTemplate,
    /// Forget the replaced profile (dismiss the offer to bring it back).
    ForgetReplaced,
}

impl Default for State {
    fn default() -> State {
        let t = library::default_template();
        let mut s = State {
            profile: t.text.to_owned(),
            template: Some(t.id.to_owned()),
            includes: BTreeMap::new(),
            queries: Vec::new(),
            next_id: 1,
            selected_profile: None,
            open: OpenFile::Main,
            panel: Panel::Queries,
            help: false,
            share: false,
            embed: false,
            banner: None,
            mark: None,
            expanded: Vec::new(),
            includes_rev: 0,
            replaced: None,
        };
        s.set_queries(library::default_queries(t.id));
        s
    }
}

/// Turns a user-typed include name into an absolute path under the search directory.
pub fn include_path(name: &str) -> String {
    let name = name
        .trim()
        .trim_start_matches('<')
        .trim_end_matches('>')
        .trim();
    if name.starts_with('/') {
        name.to_owned()
    } else {
        format!("{SEARCH_DIR}/{name}")
    }
}

impl State {
    fn set_queries(&mut self, queries: Vec<String>) {
        self.queries.clear();
        self.expanded.clear();
        for q in queries {
            self.push_query(q);
        }
    }

    fn push_query(&mut self, text: String) -> u32 {
        let id = self.next_id;
        self.next_id += 1;
        self.queries.push(QueryRow { id, text });
        id
    }

    /// The text of an include file as the playground sees it (user version or bundled).
    pub fn include_text(&self, path: &str) -> Option<&str> {
        self.includes
            .get(path)
            .map(String::as_str)
            .or_else(|| library::bundled(path))
    }

    /// The text of the file the editor shows.
    pub fn open_text(&self) -> &str {
        match &self.open {
            OpenFile::Main => &self.profile,
            OpenFile::Include(p) => self.include_text(p).unwrap_or(""),
        }
    }

    /// Whether an include file differs from the bundled library.
    pub fn include_modified(&self, path: &str) -> bool {
        self.includes.contains_key(path)
    }

    /// The file name the profile downloads as, and the main file's name in diagnostics.
    pub fn file_name(&self) -> &'static str {
        self.template
            .as_deref()
            .and_then(library::template)
            .map(|t| t.file_name)
            .unwrap_or("profile")
    }

    /// Whether the profile is a template's text, unchanged.
    pub fn is_pristine_template(&self) -> bool {
        self.template
            .as_deref()
            .and_then(library::template)
            .is_some_and(|t| t.text == self.profile)
    }

    /// The include provider: the bundled library with the user's edits applied.
    pub fn provider(&self) -> MemoryProvider {
        let mut p = MemoryProvider::new([SEARCH_DIR]);
        for (path, text) in library::BUNDLED {
            p.insert(*path, *text);
        }
        for (path, text) in &self.includes {
            p.insert(path.clone(), text.clone());
        }
        p
    }

    /// The query texts, in order.
    pub fn query_texts(&self) -> Vec<String> {
        self.queries.iter().map(|q| q.text.clone()).collect()
    }

    /// What a share link carries.
    pub fn to_share(&self) -> ShareState {
        ShareState {
            profile: self.profile.clone(),
            includes: self
                .includes
                .iter()
                .map(|(p, t)| (p.clone(), t.clone()))
                .collect(),
            queries: self.query_texts(),
            template: self.template.clone(),
        }
    }

    /// Applies an action.
    pub fn apply(&mut self, action: Action) {
        match action {
            Action::SetProfile(text) => {
                self.profile = text;
                self.mark = None;
            }
            Action::LoadTemplate(id) => match library::template(&id) {
                Some(t) => {
                    let edited = !self.is_pristine_template();
                    let old = std::mem::replace(&mut self.profile, t.text.to_owned());
                    self.replaced = edited.then(|| (old, self.template.clone()));
                    self.template = Some(t.id.to_owned());
                    self.open = OpenFile::Main;
                    self.selected_profile = None;
                    self.mark = None;
                    if self.queries.is_empty() {
                        self.set_queries(library::default_queries(t.id));
                    }
                }
                None => self.banner = Some(format!("unknown template `{id}`")),
            },
            Action::EditInclude { path, text } => {
                if library::bundled(&path) == Some(text.as_str()) {
                    self.includes.remove(&path);
                } else {
                    self.includes.insert(path, text);
                }
                self.includes_rev += 1;
            }
            Action::AddInclude(name) => {
                let path = include_path(&name);
                if name.trim().is_empty() || path.ends_with('/') {
                    self.banner = Some(
                        "give the new include file a name, e.g. `local/docker-default`".into(),
                    );
                    return;
                }
                if self.include_text(&path).is_none() {
                    self.includes.insert(path.clone(), String::new());
                    self.includes_rev += 1;
                }
                self.open = OpenFile::Include(path);
                self.panel = Panel::Includes;
            }
            Action::ResetInclude(path) => {
                if self.includes.remove(&path).is_some() {
                    self.includes_rev += 1;
                }
                if self.open == OpenFile::Include(path.clone()) && library::bundled(&path).is_none()
                {
                    self.open = OpenFile::Main;
                }
            }
            Action::Open(file) => {
                self.open = file;
                self.mark = None;
            }
            Action::AddQuery(text) => {
                let text = text.trim().to_owned();
                if !text.is_empty() {
                    self.push_query(text);
                    self.panel = Panel::Queries;
                }
            }
            Action::EditQuery { id, text } => {
                if let Some(q) = self.queries.iter_mut().find(|q| q.id == id) {
                    q.text = text;
                }
            }
            Action::RemoveQuery(id) => {
                self.queries.retain(|q| q.id != id);
                self.expanded.retain(|e| *e != id);
            }
            Action::MoveQuery { id, delta } => {
                if let Some(i) = self.queries.iter().position(|q| q.id == id) {
                    let last = self.queries.len().saturating_sub(1);
                    let j = if delta < 0 {
                        i.saturating_sub(delta.unsigned_abs() as usize)
                    } else {
                        (i + delta as usize).min(last)
                    };
                    if i != j {
                        let row = self.queries.remove(i);
                        self.queries.insert(j, row);
                    }
                }
            }
            Action::ResetQueries => {
                let id = self.template.clone().unwrap_or_default();
                self.set_queries(library::default_queries(&id));
            }
            Action::AddDenial(line) => match parse_denial(&line) {
                Ok(d) => {
                    let id = self.push_query(d.query);
                    if !self.expanded.contains(&id) {
                        self.expanded.push(id);
                    }
                    if let Some(p) = d.profile {
                        self.selected_profile = Some(p);
                    }
                    self.panel = Panel::Queries;
                    self.banner = None;
                }
                Err(e) => self.banner = Some(format!("cannot read the denial line: {e}")),
            },
            Action::SelectProfile(p) => self.selected_profile = p,
            Action::ShowPanel(p) => self.panel = p,
            Action::ToggleHelp => self.help = !self.help,
            Action::ToggleShare => self.share = !self.share,
            Action::CloseOverlays => {
                self.help = false;
                self.share = false;
            }
            Action::Jump { file, start, end } => {
                self.open = file.clone();
                let seq = self.mark.as_ref().map(|m| m.seq + 1).unwrap_or(0);
                self.mark = Some(Mark {
                    file,
                    start,
                    end,
                    seq,
                });
            }
            Action::ToggleWhy(id) => {
                if let Some(i) = self.expanded.iter().position(|e| *e == id) {
                    self.expanded.remove(i);
                } else {
                    self.expanded.push(id);
                }
            }
            Action::Restore(fragment) => self.restore(fragment),
            Action::Banner(msg) => self.banner = Some(msg),
            Action::DismissBanner => self.banner = None,
            Action::UndoTemplate => {
                if let Some((profile, template)) = self.replaced.take() {
                    self.profile = profile;
                    self.template = template;
                    self.open = OpenFile::Main;
                    self.selected_profile = None;
                    self.mark = None;
                }
            }
            Action::ForgetReplaced => self.replaced = None,
        }
    }

    fn restore(&mut self, fragment: Fragment) {
        let Fragment { state, embed } = fragment;
        self.embed = embed;
        self.replaced = None;
        // A message about the previous link (say, that it could not be opened) no longer
        // applies once another link opened.
        self.banner = None;
        let template = state.template.as_deref().and_then(library::template);
        if let (Some(id), None) = (state.template.as_deref(), template) {
            self.banner = Some(format!(
                "the link names an unknown template `{id}`; showing docker-default"
            ));
        }
        self.profile = if state.profile.is_empty() {
            template
                .unwrap_or_else(|| library::default_template())
                .text
                .to_owned()
        } else {
            state.profile
        };
        self.template = Some(
            template
                .unwrap_or_else(|| library::default_template())
                .id
                .to_owned(),
        );
        if state.template.is_none() && !self.profile.is_empty() {
            // A profile without template: keep the default file name but do not claim a
            // template it did not come from.
            self.template = None;
        }
        self.includes = state.includes.into_iter().collect();
        self.includes_rev += 1;
        self.open = OpenFile::Main;
        self.selected_profile = None;
        self.mark = None;
        if state.queries.is_empty() {
            let id = self.template.clone().unwrap_or_default();
            self.set_queries(library::default_queries(&id));
        } else {
            self.set_queries(state.queries);
        }
    }
}

impl State {
    /// The share-link fragment (without `#`) that restores this playground exactly.
    pub fn share_fragment(&self) -> String {
        share::encode(&self.to_share())
    }

    /// The fragment of an embed URL: the template by id when unchanged (short, readable
    /// links), else the compressed text; the whole state when includes were edited.
    pub fn embed_fragment(&self) -> String {
        if !self.includes.is_empty() {
            return format!("embed&{}", self.share_fragment());
        }
        let mut out = String::from("embed&");
        match (&self.template, self.is_pristine_template()) {
            (Some(id), true) => out.push_str(&format!("template={id}")),
            _ => out.push_str(&format!("profile={}", share::encode_text(&self.profile))),
        }
        for q in &self.queries {
            out.push_str("&q=");
            out.push_str(&share::encode_query(&q.text));
        }
        out
    }
}

/// The debounce before re-analysing after a keystroke: none when the last analysis was fast
/// (the answer then arrives within the same frame), otherwise about twice its duration, so
/// typing stays responsive on slow machines and big profiles.
pub fn debounce_ms(last_analysis_ms: f64) -> u32 {
    if last_analysis_ms < 8.0 {
        0
    } else {
        (last_analysis_ms * 2.0).clamp(16.0, 400.0) as u32
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use armorlab_core::share;

    #[test]
    fn embed_fragments_restore_the_same_rows() {
        let mut s = State::default();
        let f = s.embed_fragment();
        assert!(f.starts_with("embed&template=docker-default&q="), "{f}");
        let mut t = State::default();
        t.apply(Action::Restore(share::parse_fragment(&f).unwrap()));
        assert!(t.embed);
        assert_eq!(t.query_texts(), s.query_texts());
        s.apply(Action::SetProfile("profile e { }\n".into()));
        let f = s.embed_fragment();
        assert!(f.contains("profile=1."));
        let mut u = State::default();
        u.apply(Action::Restore(share::parse_fragment(&f).unwrap()));
        assert_eq!(u.profile, "profile e { }\n");
    }

    #[test]
    fn starts_on_docker_default_with_default_queries() {
        let s = State::default();
        assert_eq!(s.template.as_deref(), Some("docker-default"));
        assert!(s.is_pristine_template());
        assert!(s.queries.iter().any(|q| q.text == "w /proc/sysrq-trigger"));
        assert_eq!(s.file_name(), "docker-default");
    }

    #[test]
    fn editing_leaves_the_template_and_loading_one_keeps_queries() {
        let mut s = State::default();
        s.apply(Action::SetProfile("profile x { }".into()));
        assert!(!s.is_pristine_template());
        let n = s.queries.len();
        s.apply(Action::LoadTemplate("docker-default-docs".into()));
        assert!(s.profile.contains("**^[0-9*]"));
        assert_eq!(
            s.queries.len(),
            n,
            "loading a template keeps the user's queries"
        );
        s.apply(Action::LoadTemplate("nope".into()));
        assert_eq!(s.banner.as_deref(), Some("unknown template `nope`"));
    }

    #[test]
    fn opening_a_good_link_clears_the_message_about_a_bad_one() {
        let mut s = State::default();
        s.apply(Action::Banner("This link could not be opened".into()));
        let link = State::default().share_fragment();
        s.apply(Action::Restore(share::parse_fragment(&link).unwrap()));
        assert_eq!(s.banner, None);
        // A link with its own problem still says so.
        s.apply(Action::Restore(
            share::parse_fragment("template=nope&q=r%20/x").unwrap(),
        ));
        assert!(s.banner.as_deref().unwrap_or("").contains("nope"));
    }

    #[test]
    fn loading_a_template_over_edits_can_be_undone() {
        let mut s = State::default();
        // From a pristine template there is nothing to bring back.
        s.apply(Action::LoadTemplate("empty".into()));
        assert_eq!(s.replaced, None);
        s.apply(Action::SetProfile("profile mine { file, }\n".into()));
        s.apply(Action::LoadTemplate("docker-default-docs".into()));
        assert!(s.profile.contains("**^[0-9*]"));
        assert_eq!(
            s.replaced,
            Some(("profile mine { file, }\n".into(), Some("empty".into())))
        );
        s.apply(Action::UndoTemplate);
        assert_eq!(s.profile, "profile mine { file, }\n");
        assert_eq!(s.template.as_deref(), Some("empty"));
        assert_eq!(s.replaced, None);
        // A second undo does nothing.
        s.apply(Action::UndoTemplate);
        assert_eq!(s.profile, "profile mine { file, }\n");
        s.apply(Action::LoadTemplate("docker-default".into()));
        s.apply(Action::ForgetReplaced);
        assert_eq!(s.replaced, None);
    }

    #[test]
    fn queries_add_edit_move_remove() {
        let mut s = State::default();
        s.queries.clear();
        s.apply(Action::AddQuery("  r /a ".into()));
        s.apply(Action::AddQuery("".into()));
        s.apply(Action::AddQuery("r /b".into()));
        s.apply(Action::AddQuery("r /c".into()));
        let ids: Vec<u32> = s.queries.iter().map(|q| q.id).collect();
        assert_eq!(s.query_texts(), ["r /a", "r /b", "r /c"]);
        s.apply(Action::MoveQuery {
            id: ids[2],
            delta: -1,
        });
        assert_eq!(s.query_texts(), ["r /a", "r /c", "r /b"]);
        s.apply(Action::MoveQuery {
            id: ids[0],
            delta: -5,
        });
        s.apply(Action::MoveQuery {
            id: ids[1],
            delta: 9,
        });
        assert_eq!(s.query_texts(), ["r /a", "r /c", "r /b"]);
        s.apply(Action::EditQuery {
            id: ids[0],
            text: "w /a".into(),
        });
        s.apply(Action::ToggleWhy(ids[0]));
        s.apply(Action::RemoveQuery(ids[0]));
        assert_eq!(s.query_texts(), ["r /c", "r /b"]);
        assert!(s.expanded.is_empty());
    }

    #[test]
    fn a_denial_line_becomes_an_expanded_query() {
        let mut s = State::default();
        let before = s.queries.len();
        s.apply(Action::AddDenial(r#"audit: type=1400 audit(1.2:3): apparmor="DENIED" operation="open" profile="docker-default" name="/proc/sysrq-trigger" pid=1 comm="sh" requested_mask="w" denied_mask="w" fsuid=0 ouid=0"#.into()));
        assert_eq!(s.queries.len(), before + 1);
        let row = s.queries.last().unwrap();
        assert_eq!(row.text, "w /proc/sysrq-trigger");
        assert!(s.expanded.contains(&row.id));
        assert_eq!(s.selected_profile.as_deref(), Some("docker-default"));
        s.apply(Action::AddDenial("nonsense".into()));
        assert!(s
            .banner
            .as_deref()
            .unwrap()
            .starts_with("cannot read the denial line"));
        assert_eq!(s.queries.len(), before + 1);
    }

    #[test]
    fn include_edits_are_tracked_against_the_bundle() {
        let mut s = State::default();
        let g = "/etc/apparmor.d/tunables/global".to_string();
        let bundled = s.include_text(&g).unwrap().to_owned();
        s.apply(Action::EditInclude {
            path: g.clone(),
            text: "@{PROC}=/proc/\n".into(),
        });
        assert!(s.include_modified(&g));
        assert_eq!(s.provider().files().get(&g).unwrap(), "@{PROC}=/proc/\n");
        // Editing back to the bundled text is no edit at all.
        s.apply(Action::EditInclude {
            path: g.clone(),
            text: bundled,
        });
        assert!(!s.include_modified(&g));
        s.apply(Action::AddInclude("<local/mine>".into()));
        let mine = "/etc/apparmor.d/local/mine".to_string();
        assert_eq!(s.open, OpenFile::Include(mine.clone()));
        assert_eq!(s.include_text(&mine), Some(""));
        s.apply(Action::ResetInclude(mine.clone()));
        assert_eq!(s.include_text(&mine), None);
        assert_eq!(s.open, OpenFile::Main);
        s.apply(Action::AddInclude("  ".into()));
        assert!(s.banner.is_some());
    }

    #[test]
    fn share_state_round_trips_through_a_link() {
        let mut s = State::default();
        s.apply(Action::SetProfile("profile p { file, }\n".into()));
        s.apply(Action::EditInclude {
            path: "/etc/apparmor.d/local/x".into(),
            text: "deny /x w,\n".into(),
        });
        s.apply(Action::AddQuery("w /x".into()));
        let link = share::encode(&s.to_share());
        let mut t = State::default();
        t.apply(Action::Restore(share::parse_fragment(&link).unwrap()));
        assert_eq!(t.profile, s.profile);
        assert_eq!(t.includes, s.includes);
        assert_eq!(t.query_texts(), s.query_texts());
        assert_eq!(t.to_share(), s.to_share());
    }

    #[test]
    fn embed_fragment_with_template_and_queries() {
        let mut s = State::default();
        let f = share::parse_fragment(
            "#embed&template=docker-default-docs&q=w%20/proc/sys/kernel/core_pattern",
        )
        .unwrap();
        s.apply(Action::Restore(f));
        assert!(s.embed);
        assert_eq!(s.template.as_deref(), Some("docker-default-docs"));
        assert!(s.is_pristine_template());
        assert_eq!(s.query_texts(), ["w /proc/sys/kernel/core_pattern"]);
        // An unknown template falls back with a message, never a blank page.
        let mut u = State::default();
        u.apply(Action::Restore(
            share::parse_fragment("template=zzz").unwrap(),
        ));
        assert!(u.banner.is_some());
        assert!(u.is_pristine_template());
        assert!(!u.queries.is_empty());
    }

    #[test]
    fn jumps_open_the_file_and_mark_the_range() {
        let mut s = State::default();
        let inc = OpenFile::Include("/etc/apparmor.d/abstractions/base".into());
        s.apply(Action::Jump {
            file: inc.clone(),
            start: 3,
            end: 9,
        });
        assert_eq!(s.open, inc);
        let m = s.mark.clone().unwrap();
        assert_eq!((m.start, m.end, m.seq), (3, 9, 0));
        s.apply(Action::Jump {
            file: inc,
            start: 3,
            end: 9,
        });
        assert_eq!(s.mark.as_ref().unwrap().seq, 1);
        s.apply(Action::SetProfile("x".into()));
        assert!(s.mark.is_none());
    }

    #[test]
    fn debounce_is_zero_for_fast_analyses() {
        assert_eq!(debounce_ms(1.0), 0);
        assert_eq!(debounce_ms(10.0), 20);
        assert_eq!(debounce_ms(1000.0), 400);
    }
}
