//! Syntax trees → resolved [`Policy`]: includes through a [`SourceProvider`], variables,
//! aliases, conditionals, and the semantic checks apparmor_parser makes.
//!
//! Resolution walks the main file's tree in order. An include is parsed once per file and
//! walked in place, in the context (top level or profile body) where it appears, as
//! apparmor_parser's lexer splices the included text in. Variables are collected during
//! the walk and expanded afterwards, as upstream does after parsing, so a rule may use a
//! variable defined later in the file; conditionals are decided during the walk from the
//! variables defined so far, as upstream's grammar actions do.
//!
//! Diagnostic codes (stable; the CLI's `--format json` and the web app key on them):
//!
//! - syntax (from [`crate::syntax`] or rule shapes): `syntax-error`, `missing-comma`,
//!   `unclosed-brace`, `unexpected-close-brace`, `unclosed-paren`, `unterminated-string`,
//!   `trailing-comma`, `nesting-too-deep`, `rule-outside-profile`, `unknown-rule`,
//!   `missing-permissions`, `qualifier-order`, `duplicate-qualifier`,
//!   `conflicting-qualifiers`, `invalid-qualifier`, `invalid-priority`;
//! - includes: `missing-include`, `missing-abi`, `unreadable-include`, `include-depth`,
//!   `include-cycle` (a warning: the file is skipped, as upstream skips it);
//! - variables and conditionals: `undefined-variable`, `redefined-variable`,
//!   `recursive-variable`, `invalid-variable`, `expansion-too-large`, `empty-variable`,
//!   `variable-in-profile`, `invalid-boolean`, `invalid-condition`,
//!   `version-dependent-variable` (a warning);
//! - profiles: `duplicate-profile`, `invalid-attachment`, `unknown-flag`,
//!   `invalid-flag-value`, `conflicting-flags`;
//! - rules: `invalid-mode`, `conflicting-permissions`, `conflicting-exec-modes`,
//!   `ignored-exec-target` (a warning), `unknown-capability`, `unknown-network-family`,
//!   `unknown-network-type`, `unknown-access`, `unknown-condition`, `duplicate-condition`,
//!   `unknown-signal`, `unknown-rlimit`, `invalid-rlimit`, `unknown-mount-option`,
//!   `conflicting-mount-options`, `invalid-mount`;
//! - portability: `needs-newer-parser` (a warning: syntax that the upstream tests accept
//!   but that Debian 12's apparmor_parser 3.0.8 rejects, such as `priority=`, `all,`,
//!   `userns`, `io_uring`, `mqueue`, network access lists or conditions, profile flags
//!   such as `prompt` or `error=`, and the `?=` and `:=` assignments);
//! - globs: `invalid-glob`, `unbalanced-braces`, `brace-nesting` (more than 50 levels).

mod rules;
pub mod tables;
pub mod vars;

use std::collections::HashMap;
use std::rc::Rc;

use crate::diagnostics::Diagnostic;
use crate::model::{Owner, Policy, Profile, ProfileMode, Qualifiers, Rule, RuleKind};
use crate::source::{
    FileId, IncludeStyle, Location, Resolved, SourceFile, SourceMap, SourceProvider, Span,
};
use crate::syntax::{self, AssignOp, Block, IfItem, Include, Item, SyntaxTree, Token, TokenKind};
use vars::{ExpandError, VarValue, Vars};

/// How deeply includes may nest. apparmor_parser has no documented limit (its include
/// cache already breaks cycles); this bound keeps hostile include chains from exhausting
/// the stack.
pub const MAX_INCLUDE_DEPTH: usize = 100;

/// Files larger than this are refused rather than parsed (bounded memory).
const MAX_FILE_BYTES: usize = 64 * 1024 * 1024;

/// Everything resolution produced.
#[derive(Debug, Clone)]
pub struct Resolution {
    /// The policy.
    pub policy: Policy,
    /// Every diagnostic (syntax and semantic), positions not yet filled.
    pub diagnostics: Vec<Diagnostic>,
    /// Every file read.
    pub sources: SourceMap,
}

/// Resolves a main text through a provider.
pub fn resolve(name: &str, text: &str, provider: &dyn SourceProvider) -> Resolution {
    let mut sources = SourceMap::new();
    let main = sources.add(SourceFile::new(name, text));
    let mut r = Resolver {
        provider,
        sources,
        diags: Vec::new(),
        vars: Vars::default(),
        var_defs: HashMap::new(),
        bools: HashMap::new(),
        aliases: Vec::new(),
        trees: HashMap::new(),
        by_path: HashMap::new(),
        stack: Vec::new(),
        abi: None,
        profile_names: Default::default(),
        include_cache: Default::default(),
        reported: Default::default(),
    };
    let tree = Rc::new(syntax::parse(text, main));
    r.diags.extend(tree.diagnostics.iter().cloned());
    r.trees.insert(main, tree.clone());
    let mut top = Vec::new();
    let ctx = Ctx {
        file: main,
        included_from: Vec::new(),
        quals: Qualifiers::default(),
        depth: 0,
    };
    r.walk(&tree.items, &ctx, &mut Scope::Top(&mut top));
    let mut profiles = top;
    r.finish(&mut profiles);
    Resolution {
        policy: Policy {
            profiles,
            abi: r.abi,
        },
        diagnostics: r.diags,
        sources: r.sources,
    }
}

/// Where the walk currently puts what it finds.
enum Scope<'a> {
    /// Top level: profiles only.
    Top(&'a mut Vec<Profile>),
    /// A profile body.
    Body(&'a mut Profile),
}

/// The context of the walk.
#[derive(Clone)]
struct Ctx {
    file: FileId,
    included_from: Vec<Location>,
    quals: Qualifiers,
    depth: usize,
}

impl Ctx {
    fn loc(&self, span: Span) -> Location {
        Location {
            file: self.file,
            span,
        }
    }
}

struct Resolver<'p> {
    provider: &'p dyn SourceProvider,
    sources: SourceMap,
    diags: Vec<Diagnostic>,
    vars: Vars,
    var_defs: HashMap<String, Location>,
    bools: HashMap<String, bool>,
    aliases: Vec<(String, String)>,
    trees: HashMap<FileId, Rc<SyntaxTree>>,
    by_path: HashMap<String, FileId>,
    stack: Vec<FileId>,
    abi: Option<String>,
    /// Files included so far in the current profile (or preamble).
    include_cache: std::collections::HashSet<FileId>,
    /// Full names of the profiles seen so far (duplicate detection).
    profile_names: std::collections::HashSet<String>,
    /// Expansion errors already reported, by location and code.
    reported: std::collections::HashSet<(Location, String)>,
}

/// Collapses runs of white space into single spaces.
pub(crate) fn collapse_ws(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

impl Resolver<'_> {
    fn err(&mut self, ctx: &Ctx, code: &str, msg: impl Into<String>, span: Span) {
        let mut d = Diagnostic::error(code, msg, ctx.file, span);
        d.included_from = ctx.included_from.clone();
        self.diags.push(d);
    }

    fn err_help(&mut self, ctx: &Ctx, code: &str, msg: impl Into<String>, span: Span, help: &str) {
        let mut d = Diagnostic::error(code, msg, ctx.file, span).with_help(help);
        d.included_from = ctx.included_from.clone();
        self.diags.push(d);
    }

    /// Warns that `what` needs a parser at least as new as AppArmor `version`: a profile
    /// using it fails to load on hosts with an older parser (Debian 12 ships 3.0.8).
    fn needs_newer(&mut self, ctx: &Ctx, what: &str, version: &str, span: Span) {
        let msg = format!(
            "{what} needs AppArmor {version} or newer; older parsers such as Debian 12's \
             apparmor_parser 3.0.8 reject the whole profile"
        );
        self.push_needs_newer(ctx, msg, span);
    }

    /// Like [`Self::needs_newer`] for syntax whose first release is not pinned down: only
    /// that 3.0.8 rejects it is known (checked against the installed parser).
    fn newer_than_3_0(&mut self, ctx: &Ctx, what: &str, span: Span) {
        let msg = format!(
            "{what} is newer than AppArmor 3.0; Debian 12's apparmor_parser 3.0.8 rejects \
             the whole profile"
        );
        self.push_needs_newer(ctx, msg, span);
    }

    fn push_needs_newer(&mut self, ctx: &Ctx, msg: String, span: Span) {
        let mut d = Diagnostic::warning("needs-newer-parser", msg, ctx.file, span).with_help(
            "leave it out of profiles that must load on hosts with an older apparmor_parser",
        );
        d.included_from = ctx.included_from.clone();
        self.diags.push(d);
    }

    /// [`Self::needs_newer`] for a rule already resolved (no walking context left).
    fn rule_needs_newer(&mut self, what: &str, version: &str, r: &Rule) {
        let msg = format!(
            "{what} needs AppArmor {version} or newer; older parsers such as Debian 12's \
             apparmor_parser 3.0.8 reject the whole profile"
        );
        let mut d =
            Diagnostic::warning("needs-newer-parser", msg, r.location.file, r.location.span)
                .with_help(
                "leave it out of profiles that must load on hosts with an older apparmor_parser",
            );
        d.included_from = r.included_from.clone();
        self.diags.push(d);
    }

    fn text(&self, file: FileId, span: Span) -> String {
        self.sources
            .get(file)
            .map(|f| f.slice(span).to_owned())
            .unwrap_or_default()
    }

    fn walk(&mut self, items: &[Item], ctx: &Ctx, scope: &mut Scope) {
        for item in items {
            match item {
                Item::Comment(_) | Item::Error(_) => {}
                Item::Include(inc) => self.include(inc, ctx, scope),
                Item::Abi(a) => {
                    // apparmor_parser reads the abi file, so a missing one is an error.
                    // `kernel` and `default` name the running kernel's abi and the parser's
                    // default, not files.
                    let special = a.style == IncludeStyle::Angle
                        && (a.name == "kernel" || a.name == "default");
                    if !a.name.is_empty()
                        && !special
                        && self.provider.resolve(&a.name, a.style).is_none()
                    {
                        let msg = format!("could not open abi `{}`", a.name);
                        self.err_help(
                            ctx,
                            "missing-abi",
                            msg,
                            a.span,
                            "check the name and the include search path",
                        );
                    }
                    if ctx.file == FileId(0) && self.abi.is_none() {
                        self.abi = Some(a.name.clone());
                    }
                }
                Item::VarDef(v) if matches!(scope, Scope::Body(_)) => {
                    self.err_help(
                        ctx,
                        "variable-in-profile",
                        format!("variable `@{{{}}}` is defined inside a profile", v.name),
                        v.span,
                        "define variables before the profile",
                    );
                }
                Item::BoolDef(b) if matches!(scope, Scope::Body(_)) => {
                    self.err_help(
                        ctx,
                        "variable-in-profile",
                        format!("boolean `${}` is defined inside a profile", b.name),
                        b.span,
                        "define variables before the profile",
                    );
                }
                Item::VarDef(v) => self.var_def(v, ctx),
                Item::BoolDef(b) => {
                    let lower = b.value.as_ref().map(|t| t.text.to_ascii_lowercase());
                    let val = match lower.as_deref() {
                        Some("true") => true,
                        Some("false") => false,
                        Some(_) => {
                            let other = b.value.as_ref().map(|t| t.text.as_str()).unwrap_or("");
                            let msg =
                                format!("boolean value must be `true` or `false`, not `{other}`");
                            self.err(ctx, "invalid-boolean", msg, b.span);
                            false
                        }
                        None => false,
                    };
                    self.assign_portability(b.op, b.span, ctx);
                    let defined = self.bools.contains_key(&b.name);
                    match b.op {
                        AssignOp::Set if defined => {
                            let msg = format!("boolean `${}` is already defined", b.name);
                            self.err(ctx, "redefined-variable", msg, b.span);
                        }
                        AssignOp::Append => {
                            let msg = format!("`+=` does not apply to boolean `${}`", b.name);
                            self.err(ctx, "syntax-error", msg, b.span);
                        }
                        AssignOp::SetIfUndefined if defined => {}
                        _ => {
                            self.bools.insert(b.name.clone(), val);
                        }
                    }
                }
                Item::If(i) if matches!(scope, Scope::Top(_)) => {
                    self.err_help(
                        ctx,
                        "syntax-error",
                        "conditionals are only allowed inside a profile",
                        i.span,
                        "move the `if` inside the profile",
                    );
                }
                Item::If(i) => self.if_item(i, ctx, scope),
                Item::Block(b) => self.block(b, ctx, scope),
                Item::Rule(r) => self.rule(&r.tokens, r.span, ctx, scope),
            }
        }
    }

    /// `?=` and `:=` are newer than 3.0: apparmor_parser 3.0.8 stops at the operator.
    fn assign_portability(&mut self, op: AssignOp, span: Span, ctx: &Ctx) {
        let what = match op {
            AssignOp::SetIfUndefined => "the `?=` assignment",
            AssignOp::Override => "the `:=` assignment",
            AssignOp::Set | AssignOp::Append => return,
        };
        self.newer_than_3_0(ctx, what, span);
    }

    fn var_def(&mut self, v: &syntax::VarDef, ctx: &Ctx) {
        self.assign_portability(v.op, v.span, ctx);
        let values: Vec<String> = v.values.iter().map(|t| t.text.clone()).collect();
        if v.op == AssignOp::SetIfUndefined && self.vars.map.contains_key(&v.name) {
            return;
        }
        if v.op == AssignOp::Override {
            self.vars.map.insert(v.name.clone(), VarValue { values });
            self.var_defs.insert(v.name.clone(), ctx.loc(v.name_span));
            return;
        }
        if v.op == AssignOp::Append {
            match self.vars.map.get_mut(&v.name) {
                Some(existing) => existing.values.extend(values),
                None => {
                    let msg = format!(
                        "variable `@{{{}}}` is appended to before it is defined",
                        v.name
                    );
                    self.err_help(
                        ctx,
                        "undefined-variable",
                        msg,
                        v.name_span,
                        "define it with `=` before using `+=`",
                    );
                }
            }
            return;
        }
        if self.vars.map.contains_key(&v.name) {
            let msg = format!("variable `@{{{}}}` is already defined", v.name);
            self.err_help(
                ctx,
                "redefined-variable",
                msg,
                v.name_span,
                "use `+=` to add values",
            );
            return;
        }
        if v.values.is_empty() {
            let msg = format!("variable `@{{{}}}` is defined without a value", v.name);
            self.err(ctx, "empty-variable", msg, v.span);
        }
        self.vars.map.insert(v.name.clone(), VarValue { values });
        self.var_defs.insert(v.name.clone(), ctx.loc(v.name_span));
    }

    fn include(&mut self, inc: &Include, ctx: &Ctx, scope: &mut Scope) {
        if inc.name.is_empty() {
            return;
        }
        if ctx.included_from.len() >= MAX_INCLUDE_DEPTH {
            let msg = format!("includes nested more than {MAX_INCLUDE_DEPTH} levels deep");
            self.err(ctx, "include-depth", msg, inc.span);
            return;
        }
        let Some(resolved) = self.provider.resolve(&inc.name, inc.style) else {
            if !inc.if_exists {
                let shown = match inc.style {
                    IncludeStyle::Angle => format!("<{}>", inc.name),
                    IncludeStyle::Quoted => format!("\"{}\"", inc.name),
                };
                let msg = format!("could not open include {shown}");
                self.err_help(
                    ctx,
                    "missing-include",
                    msg,
                    inc.span,
                    "check the name and the include search path",
                );
            }
            return;
        };
        let mut inner = ctx.clone();
        inner.included_from.push(ctx.loc(inc.span));
        match resolved {
            Resolved::File(path) => self.include_file(&path, inc, &inner, ctx, scope),
            Resolved::Directory(dir) => match self.provider.list_dir(&dir) {
                Ok(entries) => {
                    for path in entries {
                        let base = path.rsplit('/').next().unwrap_or(&path);
                        if skipped_include_entry(base) {
                            continue;
                        }
                        self.include_file(&path, inc, &inner, ctx, scope);
                    }
                }
                Err(e) => {
                    let msg = format!("could not read include directory: {e}");
                    self.err(ctx, "unreadable-include", msg, inc.span);
                }
            },
        }
    }

    fn include_file(
        &mut self,
        path: &str,
        inc: &Include,
        inner: &Ctx,
        outer: &Ctx,
        scope: &mut Scope,
    ) {
        let id = match self.by_path.get(path) {
            Some(&id) => id,
            None => {
                let text = match self.provider.read(path) {
                    Ok(t) if t.len() > MAX_FILE_BYTES => {
                        let msg = format!("include `{path}` is larger than 64 MiB");
                        self.err(outer, "unreadable-include", msg, inc.span);
                        return;
                    }
                    Ok(t) => t,
                    Err(e) => {
                        let msg = format!("could not read include: {e}");
                        self.err(outer, "unreadable-include", msg, inc.span);
                        return;
                    }
                };
                let id = self.sources.add(SourceFile::new(path, text.clone()));
                self.by_path.insert(path.to_owned(), id);
                let tree = Rc::new(syntax::parse(&text, id));
                for d in &tree.diagnostics {
                    let mut d = d.clone();
                    d.included_from = inner.included_from.clone();
                    self.diags.push(d);
                }
                self.trees.insert(id, tree);
                id
            }
        };
        if self.stack.contains(&id) || id == FileId(0) {
            // apparmor_parser skips a file that is already being included rather than
            // failing; we do the same and say so.
            let msg = format!("include cycle: `{path}` is already being included, skipped");
            let mut d = Diagnostic::warning("include-cycle", msg, outer.file, inc.span)
                .with_help("remove the include that leads back to this file");
            d.included_from = outer.included_from.clone();
            self.diags.push(d);
            return;
        }
        // Like apparmor_parser, a file already included in this profile (or, outside
        // profiles, in the preamble) is skipped: abstractions that include each other
        // contribute their rules once.
        if !self.include_cache.insert(id) {
            return;
        }
        let Some(tree) = self.trees.get(&id).cloned() else {
            return;
        };
        let mut c = inner.clone();
        c.file = id;
        self.stack.push(id);
        self.walk(&tree.items, &c, scope);
        self.stack.pop();
    }

    fn if_item(&mut self, item: &IfItem, ctx: &Ctx, scope: &mut Scope) {
        for (cond, body) in &item.branches {
            let span = match (cond.first(), cond.last()) {
                (Some(f), Some(l)) => f.span.join(l.span),
                _ => item.span,
            };
            let mut p = CondParser {
                toks: cond,
                pos: 0,
                depth: 0,
            };
            let value = match p.or_expr(self) {
                Ok(v) if p.pos == cond.len() => Some(v),
                Ok(_) | Err(()) => {
                    self.err(ctx, "invalid-condition", "invalid condition", span);
                    None
                }
            };
            if value.is_some() {
                // 3.0.8 takes one `[not] [defined] $VAR` per condition: no `and`, `or`,
                // parentheses or literal `true`/`false` (checked against the binary).
                let newer = cond.iter().find(|t| {
                    t.kind == TokenKind::LParen
                        || (t.kind == TokenKind::Word
                            && matches!(t.text.as_str(), "and" | "or" | "true" | "false"))
                });
                if let Some(t) = newer {
                    let what = format!("`{}` in a condition", t.text);
                    self.newer_than_3_0(ctx, &what, t.span);
                }
            }
            if let Some(CondVal::Undefined(name)) = &value {
                let msg = format!("boolean `${name}` is not defined");
                self.err(ctx, "undefined-variable", msg, span);
                return;
            }
            if value == Some(CondVal::Bool(true)) {
                let mut c = ctx.clone();
                c.depth += 1;
                self.walk(body, &c, scope);
                return;
            }
            if value.is_none() {
                return;
            }
        }
        if let Some(body) = &item.else_body {
            self.walk(body, ctx, scope);
        }
    }

    /// A block: a profile, a hat, or a qualifier block.
    fn block(&mut self, b: &Block, ctx: &Ctx, scope: &mut Scope) {
        let toks = &b.header;
        let (quals, rest) = match self.qualifiers(toks, ctx) {
            Some(x) => x,
            None => return,
        };
        if rest.is_empty() {
            // `owner { ... }`, `audit deny { ... }`: qualifiers for the rules inside.
            let Scope::Body(_) = scope else {
                self.err(
                    ctx,
                    "syntax-error",
                    "a qualifier block is only allowed inside a profile",
                    b.header_span,
                );
                return;
            };
            if quals.effect == crate::model::Effect::Deny {
                self.err_help(
                    ctx,
                    "syntax-error",
                    "`deny` cannot qualify a block",
                    b.header_span,
                    "write `deny` on each rule inside",
                );
                return;
            }
            let Some(merged) = merge_quals(ctx.quals, quals) else {
                self.err(
                    ctx,
                    "conflicting-qualifiers",
                    "conflicting qualifiers",
                    b.header_span,
                );
                return;
            };
            let mut c = ctx.clone();
            c.quals = merged;
            self.walk(&b.body, &c, scope);
            return;
        }
        if quals != Qualifiers::default()
            && !(quals.audit
                && quals.effect == crate::model::Effect::Allow
                && quals.owner == Owner::Any)
        {
            self.err(
                ctx,
                "syntax-error",
                "profiles take no rule qualifiers",
                b.header_span,
            );
        }
        let Some(mut profile) = self.profile_header(rest, b, ctx, scope) else {
            return;
        };
        let mut c = ctx.clone();
        c.quals = Qualifiers::default();
        // Each profile starts with an empty include cache, restored afterwards.
        let saved_cache = std::mem::take(&mut self.include_cache);
        self.walk(&b.body, &c, &mut Scope::Body(&mut profile));
        self.include_cache = saved_cache;
        if !self.profile_names.insert(profile.full_name.clone()) {
            let msg = format!("profile `{}` is defined more than once", profile.full_name);
            self.err_help(
                ctx,
                "duplicate-profile",
                msg,
                b.header_span,
                "rename one of the profiles or merge them",
            );
        }
        match scope {
            Scope::Top(list) => list.push(profile),
            Scope::Body(parent) => parent.children.push(profile),
        }
    }

    /// Parses `profile NAME [ATTACH] [xattrs=(..)] [flags=(..)]`, `hat NAME`, `^NAME`,
    /// `/path`, `:ns:NAME`.
    fn profile_header(
        &mut self,
        toks: &[Token],
        b: &Block,
        ctx: &Ctx,
        scope: &Scope,
    ) -> Option<Profile> {
        let in_profile = matches!(scope, Scope::Body(_));
        let parent_name = match scope {
            Scope::Body(p) => Some(p.full_name.clone()),
            Scope::Top(_) => None,
        };
        let parent_is_hat = match scope {
            Scope::Body(p) => p.is_hat,
            Scope::Top(_) => false,
        };
        let mut i = 0;
        let mut is_hat = false;
        let mut keyword = false;
        let first = toks.first()?;
        if first.is_word("profile") {
            keyword = true;
            i = 1;
        } else if first.is_word("hat") || first.kind == TokenKind::Caret {
            is_hat = true;
            i = 1;
        } else if in_profile {
            let msg = format!("unexpected `{}` before `{{`", first.text);
            self.err_help(
                ctx,
                "syntax-error",
                msg,
                b.header_span,
                "a child profile starts with `profile NAME`",
            );
            return None;
        }
        // A hat outside any profile is loaded by apparmor_parser as a profile of that
        // name; it keeps its hat flag here.
        let _ = parent_is_hat;
        let Some(name_tok) = toks.get(i).filter(|t| t.is_value()) else {
            self.err(ctx, "syntax-error", "missing profile name", b.header_span);
            return None;
        };
        if first.kind == TokenKind::Caret && first.span.end != name_tok.span.start {
            self.err_help(
                ctx,
                "syntax-error",
                "space between `^` and the hat name",
                first.span.join(name_tok.span),
                "write `^name`",
            );
            return None;
        }
        // apparmor_parser reads a name up to white space, so `name{` is not `name {`.
        if name_tok.kind == TokenKind::Word
            && self.text(
                ctx.file,
                Span::new(name_tok.span.end as usize, name_tok.span.end as usize + 1),
            ) == "{"
        {
            let msg = format!("missing space between `{}` and `{{`", name_tok.text);
            self.err_help(ctx, "syntax-error", msg, name_tok.span, "write `NAME {`");
            return None;
        }
        if !keyword && !is_hat {
            // A path-named profile: the name must look like a path or a namespace.
            let n = &name_tok.text;
            if !(n.starts_with('/') || n.starts_with(':')) {
                let msg = format!("unexpected `{n}` before `{{`");
                self.err_help(
                    ctx,
                    "syntax-error",
                    msg,
                    name_tok.span,
                    "a profile starts with `profile NAME` or an absolute path",
                );
                return None;
            }
        }
        i += 1;
        let mut raw_name = name_tok.text.clone();
        let mut namespace = None;
        if raw_name.starts_with(':') && !is_hat {
            // `:ns:name` or `:ns://name`.
            let rest = raw_name.get(1..).unwrap_or("");
            match rest.find(':') {
                Some(pos) => {
                    namespace = Some(rest.get(..pos).unwrap_or("").to_owned());
                    let n = rest.get(pos + 1..).unwrap_or("");
                    let n = n.strip_prefix("//").unwrap_or(n);
                    raw_name = n.to_owned();
                }
                None => {
                    self.err(
                        ctx,
                        "syntax-error",
                        "missing `:` after the namespace",
                        name_tok.span,
                    );
                    return None;
                }
            }
            if namespace.as_deref() == Some("") {
                self.err(ctx, "syntax-error", "empty namespace name", name_tok.span);
                return None;
            }
            if raw_name.is_empty() {
                self.err(
                    ctx,
                    "syntax-error",
                    "missing profile name after the namespace",
                    name_tok.span,
                );
                return None;
            }
        }
        let mut attachment = None;
        let mut flags = Vec::new();
        let mut seen_flags = false;
        let mut xattrs = Vec::new();
        while let Some(t) = toks.get(i) {
            if t.is_word("+") && toks.get(i + 1).is_some_and(|t| t.is_word("identities")) {
                // `+ identities=(...)`: accepted, not modelled.
                self.newer_than_3_0(
                    ctx,
                    "`+ identities=`",
                    t.span.join(toks.get(i + 1).map_or(t.span, |n| n.span)),
                );
                i += 3;
                let mut n = 0;
                if toks.get(i).is_some_and(|t| t.kind == TokenKind::LParen) {
                    i += 1;
                    while let Some(t) = toks.get(i) {
                        i += 1;
                        if t.kind == TokenKind::RParen {
                            break;
                        }
                        if t.text.is_empty()
                            || (t.text.contains(char::is_whitespace) && !t.text.starts_with('/'))
                        {
                            let msg = format!("invalid identity `{}`", t.text);
                            self.err(ctx, "syntax-error", msg, t.span);
                            return None;
                        }
                        n += 1;
                    }
                } else if toks.get(i).is_some() {
                    i += 1;
                    n += 1;
                }
                if n == 0 {
                    self.err(ctx, "syntax-error", "empty identities", t.span);
                    return None;
                }
                continue;
            }
            if t.is_word("flags") || t.is_word("xattrs") || t.kind == TokenKind::LParen {
                let is_flags = t.text != "xattrs";
                if is_flags && seen_flags {
                    self.err(
                        ctx,
                        "syntax-error",
                        "flags are given more than once",
                        t.span,
                    );
                    return None;
                }
                seen_flags |= is_flags;
                if !is_flags && (is_hat || !flags.is_empty()) {
                    let msg = if is_hat {
                        "hats cannot have xattrs"
                    } else {
                        "`xattrs` must come before `flags`"
                    };
                    self.err(ctx, "syntax-error", msg, t.span);
                    return None;
                }
                if t.kind != TokenKind::LParen {
                    i += 1;
                }
                if toks.get(i).is_some_and(|t| t.kind == TokenKind::Eq) {
                    i += 1;
                }
                if !toks.get(i).is_some_and(|t| t.kind == TokenKind::LParen) {
                    let msg = format!("`{}=` needs a parenthesised list", t.text);
                    self.err_help(ctx, "syntax-error", msg, t.span, "write `flags=(complain)`");
                    return None;
                }
                let mut vals: Vec<&Token> = Vec::new();
                if toks.get(i).is_some_and(|t| t.kind == TokenKind::LParen) {
                    i += 1;
                    while let Some(t) = toks.get(i) {
                        i += 1;
                        if t.kind == TokenKind::RParen {
                            break;
                        }
                        vals.push(t);
                    }
                } else if let Some(t) = toks.get(i).filter(|t| t.is_value()) {
                    vals.push(t);
                    i += 1;
                }
                if vals.is_empty() && is_flags {
                    self.err(ctx, "syntax-error", "empty flags", t.span);
                }
                if is_flags {
                    self.flags(&vals, ctx, &mut flags);
                } else {
                    let mut j = 0;
                    while let Some(k) = vals.get(j) {
                        if vals.get(j + 1).is_some_and(|t| t.kind == TokenKind::Eq) {
                            let v = vals.get(j + 2).map(|t| t.text.clone()).unwrap_or_default();
                            xattrs.push((k.text.clone(), v));
                            j += 3;
                        } else {
                            xattrs.push((k.text.clone(), String::new()));
                            j += 1;
                        }
                    }
                }
                continue;
            }
            if t.is_value() && attachment.is_none() && flags.is_empty() && xattrs.is_empty() {
                if !(t.text.starts_with('/') || t.text.starts_with('@')) {
                    let msg = format!("attachment `{}` must be an absolute path", t.text);
                    self.err(ctx, "invalid-attachment", msg, t.span);
                }
                attachment = Some(t.text.clone());
                i += 1;
                continue;
            }
            let msg = format!("unexpected `{}` in the profile header", t.text);
            self.err(ctx, "syntax-error", msg, t.span);
            return None;
        }
        if !keyword && !is_hat && namespace.is_none() && attachment.is_none() {
            attachment = Some(raw_name.clone());
        }
        let mode = mode_of(&flags);
        let full_name = match &parent_name {
            Some(p) => format!("{p}//{raw_name}"),
            None => raw_name.clone(),
        };
        let full_name = match &namespace {
            Some(ns) => format!(":{ns}:{full_name}"),
            None => full_name,
        };
        Some(Profile {
            name: raw_name,
            full_name,
            namespace,
            attachment,
            xattrs,
            flags,
            mode,
            is_hat,
            rules: Vec::new(),
            children: Vec::new(),
            location: ctx.loc(b.header_span),
        })
    }

    /// Warns about a profile flag that Debian 12's apparmor_parser 3.0.8 rejects. The
    /// flags it accepts were checked against that binary one by one; the 4.0 ones are
    /// listed in AppArmor 4.0's release notes.
    fn flag_portability(&mut self, ctx: &Ctx, name: &str, span: Span) {
        const IN_3_0: &[&str] = &[
            "enforce",
            "complain",
            "kill",
            "unconfined",
            "audit",
            "mediate_deleted",
            "delegate_deleted",
            "attach_disconnected",
            "no_attach_disconnected",
            "chroot_relative",
            "namespace_relative",
            "chroot_attach",
            "chroot_no_attach",
        ];
        if IN_3_0.contains(&name) {
            return;
        }
        let what = format!("the profile flag `{name}`");
        match name {
            "prompt" | "kill.signal" | "attach_disconnected.path" | "debug" => {
                self.needs_newer(ctx, &what, "4.0", span);
            }
            _ => self.newer_than_3_0(ctx, &what, span),
        }
    }

    fn flags(&mut self, vals: &[&Token], ctx: &Ctx, out: &mut Vec<String>) {
        let mut i = 0;
        while let Some(t) = vals.get(i) {
            let name = t.text.clone();
            i += 1;
            if vals.get(i).is_some_and(|t| t.kind == TokenKind::Eq) {
                let v = vals.get(i + 1).map(|t| t.text.clone()).unwrap_or_default();
                i += 2;
                let valid = match name.as_str() {
                    "attach_disconnected.path" | "attach_disconnected.ipc" => {
                        if let Some(prev) = out.iter().find(|f| f.starts_with(&format!("{name}=")))
                        {
                            if *prev != format!("{name}={v}") {
                                let msg =
                                    format!("flag `{name}` is given twice with different values");
                                self.err(ctx, "conflicting-flags", msg, t.span);
                            }
                        }
                        true
                    }
                    "error" => tables::ERRNO_NAMES.contains(&v.as_str()),
                    "kill.signal" => {
                        let l = v.to_ascii_lowercase();
                        tables::SIGNALS.contains(&l.as_str())
                            || l.strip_prefix("rtmin+")
                                .is_some_and(|n| n.parse::<u32>().is_ok_and(|n| n <= 32))
                    }
                    _ => false,
                };
                match name.as_str() {
                    _ if valid => {
                        self.flag_portability(ctx, &name, t.span);
                        out.push(format!("{name}={v}"));
                    }
                    "error" | "kill.signal" => {
                        let msg = format!("invalid value `{v}` for flag `{name}`");
                        self.err(ctx, "invalid-flag-value", msg, t.span);
                    }
                    _ => {
                        let msg = format!("unknown profile flag `{name}`");
                        self.err(ctx, "unknown-flag", msg, t.span);
                    }
                }
                continue;
            }
            if t.kind != TokenKind::Word && t.kind != TokenKind::Quoted {
                let msg = format!("unexpected `{}` in flags", t.text);
                self.err(ctx, "syntax-error", msg, t.span);
                continue;
            }
            if !tables::PROFILE_FLAGS.contains(&name.as_str()) && name != "attach_disconnected.ipc"
            {
                let msg = format!("unknown profile flag `{}`", t.text);
                self.err_help(
                    ctx,
                    "unknown-flag",
                    msg,
                    t.span,
                    "known flags include `complain`, `enforce`, `attach_disconnected`, `mediate_deleted`",
                );
                continue;
            }
            self.flag_portability(ctx, &name, t.span);
            if !out.contains(&name) {
                out.push(name);
            }
        }
        if out.iter().any(|f| f.starts_with("attach_disconnected.ipc"))
            && out.iter().any(|f| f == "no_attach_disconnected")
        {
            let span = vals.first().map(|f| f.span).unwrap_or_default();
            self.err(
                ctx,
                "conflicting-flags",
                "conflicting profile flags `attach_disconnected.ipc` and `no_attach_disconnected`",
                span,
            );
        }
        for (a, b) in [
            ("attach_disconnected", "no_attach_disconnected"),
            ("namespace_relative", "chroot_relative"),
            ("chroot_attach", "chroot_no_attach"),
            ("mediate_deleted", "delegate_deleted"),
        ] {
            if out.iter().any(|f| f == a) && out.iter().any(|f| f == b) {
                let span = vals
                    .first()
                    .map(|f| f.span)
                    .unwrap_or_default()
                    .join(vals.last().map(|l| l.span).unwrap_or_default());
                let msg = format!("conflicting profile flags `{a}` and `{b}`");
                self.err(ctx, "conflicting-flags", msg, span);
            }
        }
        let modes: Vec<&String> = out
            .iter()
            .filter(|f| {
                matches!(
                    f.as_str(),
                    "enforce" | "complain" | "kill" | "unconfined" | "prompt" | "default_allow"
                )
            })
            .collect();
        if modes.len() > 1 {
            let span = vals
                .first()
                .map(|f| f.span)
                .unwrap_or_default()
                .join(vals.last().map(|l| l.span).unwrap_or_default());
            let msg = format!(
                "conflicting profile modes `{}`",
                modes
                    .iter()
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .join("` and `")
            );
            self.err(ctx, "conflicting-flags", msg, span);
        }
    }

    /// Reads leading qualifiers; returns them and the remaining tokens.
    fn qualifiers<'t>(
        &mut self,
        toks: &'t [Token],
        ctx: &Ctx,
    ) -> Option<(Qualifiers, &'t [Token])> {
        let mut q = Qualifiers::default();
        let mut i = 0;
        let mut seen_effect = false;
        let mut seen_owner = false;
        let mut last_rank = 0u8;
        while let Some(t) = toks.get(i) {
            if t.kind != TokenKind::Word {
                break;
            }
            // apparmor_parser's grammar fixes the order: `priority=`, `audit`,
            // `allow`/`deny`, `owner`/`other`.
            let rank = match t.text.as_str() {
                "priority" => 0,
                "audit" => 1,
                "allow" | "deny" => 2,
                "owner" | "user" | "other" => 3,
                _ => 4,
            };
            if rank < 4 && rank < last_rank {
                let msg = format!("qualifier `{}` is out of order", t.text);
                self.err_help(
                    ctx,
                    "qualifier-order",
                    msg,
                    t.span,
                    "write qualifiers in the order `priority=N audit allow|deny owner|other`",
                );
                return None;
            }
            if rank < 4 {
                last_rank = rank;
            }
            match t.text.as_str() {
                "audit" => {
                    if q.audit {
                        self.err(ctx, "duplicate-qualifier", "duplicate `audit`", t.span);
                    }
                    q.audit = true;
                }
                "allow" | "deny" => {
                    if seen_effect {
                        let msg = format!("conflicting qualifier `{}`", t.text);
                        self.err(ctx, "conflicting-qualifiers", msg, t.span);
                        return None;
                    }
                    seen_effect = true;
                    q.effect = if t.text == "deny" {
                        crate::model::Effect::Deny
                    } else {
                        crate::model::Effect::Allow
                    };
                }
                "owner" | "user" | "other" => {
                    if seen_owner {
                        let msg = format!("conflicting qualifier `{}`", t.text);
                        self.err(ctx, "conflicting-qualifiers", msg, t.span);
                        return None;
                    }
                    seen_owner = true;
                    q.owner = if t.text == "other" {
                        Owner::Other
                    } else {
                        Owner::Owner
                    };
                }
                "priority" => {
                    if toks.get(i + 1).is_some_and(|t| t.kind == TokenKind::Eq) {
                        let v = toks.get(i + 2);
                        match v.and_then(|v| v.text.parse::<i32>().ok()) {
                            Some(n) if (-1000..=1000).contains(&n) => {
                                q.priority = n;
                                // Rule priorities arrived with AppArmor 4.1.
                                let sp = v.map_or(t.span, |v| t.span.join(v.span));
                                self.needs_newer(ctx, "`priority=`", "4.1", sp);
                            }
                            _ => {
                                let sp = v.map(|v| v.span).unwrap_or(t.span);
                                self.err(
                                    ctx,
                                    "invalid-priority",
                                    "priority must be an integer between -1000 and 1000",
                                    sp,
                                );
                                return None;
                            }
                        }
                        i += 3;
                        continue;
                    }
                    break;
                }
                _ => break,
            }
            i += 1;
        }
        Some((q, toks.get(i..).unwrap_or(&[])))
    }

    fn rule(&mut self, toks: &[Token], span: Span, ctx: &Ctx, scope: &mut Scope) {
        let Some((quals, rest)) = self.qualifiers(toks, ctx) else {
            return;
        };
        let Some(first) = rest.first() else {
            self.err(ctx, "syntax-error", "qualifiers without a rule", span);
            return;
        };
        // Preamble statements.
        if first.is_word("abi") {
            let name = rest.get(1).map(|t| {
                t.text
                    .trim_start_matches('<')
                    .trim_end_matches('>')
                    .to_owned()
            });
            if rest.len() != 2 {
                self.err(ctx, "syntax-error", "expected `abi <name>,`", span);
                return;
            }
            if ctx.file == FileId(0) && self.abi.is_none() {
                self.abi = name;
            }
            return;
        }
        if first.is_word("alias") || first.is_word("rewrite") {
            match (rest.get(1), rest.get(2), rest.get(3), rest.len()) {
                (Some(a), Some(arrow), Some(b), 4) if arrow.kind == TokenKind::Arrow => {
                    if matches!(scope, Scope::Body(_)) {
                        self.err(
                            ctx,
                            "syntax-error",
                            "`alias` is only allowed outside profiles",
                            span,
                        );
                        return;
                    }
                    self.aliases.push((a.text.clone(), b.text.clone()));
                }
                _ => self.err_help(
                    ctx,
                    "syntax-error",
                    "expected `alias /from -> /to,`",
                    span,
                    "both sides are paths",
                ),
            }
            return;
        }
        let Scope::Body(profile) = scope else {
            let msg = format!(
                "rule `{}` outside of a profile",
                collapse_ws(&self.text(ctx.file, span))
            );
            self.err_help(
                ctx,
                "rule-outside-profile",
                msg,
                span,
                "put the rule inside `profile NAME { ... }`",
            );
            return;
        };
        // `owner` inherited from an `owner { ... }` block only concerns the file rules
        // inside it; other classes ignore it (written on the rule itself it is an error).
        let mut inherited = ctx.quals;
        if quals.owner == Owner::Any
            && !rest
                .first()
                .is_some_and(|t| t.kind != TokenKind::Word || rules::owner_applies(&t.text))
        {
            inherited.owner = Owner::Any;
        }
        let Some(q) = merge_quals(inherited, quals) else {
            self.err(
                ctx,
                "conflicting-qualifiers",
                "conflicting qualifiers",
                span,
            );
            return;
        };
        let text = collapse_ws(&self.text(ctx.file, span));
        let kinds = rules::interpret(self, rest, q, span, ctx);
        for kind in kinds {
            profile.rules.push(Rule {
                qualifiers: q,
                kind,
                text: text.clone(),
                location: ctx.loc(span),
                included_from: ctx.included_from.clone(),
                implicit: false,
            });
        }
    }

    /// Expands variables everywhere, applies aliases, runs the checks that need the whole
    /// policy.
    fn finish(&mut self, profiles: &mut [Profile]) {
        for p in profiles.iter_mut() {
            self.finish_profile(p);
        }
    }

    fn expand(&mut self, s: &mut String, loc: Location, included_from: &[Location]) {
        if !s.contains("@{") {
            return;
        }
        match self.vars.expand_one(s) {
            Ok(v) => *s = v,
            Err(e) => self.expand_error(e, loc, included_from),
        }
    }

    fn expand_error(&mut self, e: ExpandError, loc: Location, included_from: &[Location]) {
        let (code, msg, needle) = match &e {
            ExpandError::Undefined(n) => (
                "undefined-variable",
                format!("variable `@{{{n}}}` is not defined"),
                format!("@{{{n}}}"),
            ),
            ExpandError::Recursive(n) => (
                "recursive-variable",
                format!("variable `@{{{n}}}` refers to itself"),
                format!("@{{{n}}}"),
            ),
            ExpandError::TooLarge(n) => (
                "expansion-too-large",
                format!("expanding `@{{{n}}}` produces too large a glob"),
                format!("@{{{n}}}"),
            ),
            ExpandError::Malformed(s) => (
                "invalid-variable",
                format!("invalid variable reference in `{s}`"),
                "@{".to_owned(),
            ),
        };
        // Point at the reference itself when it is written literally in the rule.
        let span = self
            .sources
            .get(loc.file)
            .and_then(|f| {
                let text = f.slice(loc.span);
                text.find(&needle).map(|off| {
                    let start = loc.span.start as usize + off;
                    Span::new(start, start + needle.len())
                })
            })
            .unwrap_or(loc.span);
        let mut d = Diagnostic::error(code, msg, loc.file, span);
        if code == "undefined-variable" {
            d.help = Some(
                "define it first, e.g. `@{NAME} = value`, or include the tunables that define it"
                    .into(),
            );
        }
        d.included_from = included_from.to_vec();
        if self.reported.insert((d.location, d.code.clone())) {
            self.diags.push(d);
        }
    }

    fn finish_profile(&mut self, p: &mut Profile) {
        let loc = p.location;
        if let Some(a) = p.attachment.as_mut() {
            if let Ok(alts) = self.vars.expand_all(a) {
                if let Some(bad) = alts.iter().find(|x| !x.starts_with('/')) {
                    let msg = format!("attachment `{bad}` must be an absolute path");
                    self.diags.push(
                        Diagnostic::error("invalid-attachment", msg, loc.file, loc.span)
                            .with_help("an attachment is a path glob starting with `/`"),
                    );
                }
            }
            let mut a2 = a.clone();
            self.expand(&mut a2, loc, &[]);
            *a = a2;
        }
        if p.name.contains("@{") {
            let mut n = p.name.clone();
            self.expand(&mut n, loc, &[]);
            if p.attachment.as_deref() == Some(p.name.as_str()) {
                p.attachment = Some(n.clone());
            }
            p.full_name = p.full_name.replace(&p.name, &n);
            p.name = n;
        }
        let mut flags = std::mem::take(&mut p.flags);
        for f in flags.iter_mut() {
            if let Some(v) = f
                .strip_prefix("attach_disconnected.path=")
                .or_else(|| f.strip_prefix("attach_disconnected.ipc="))
            {
                let key = f.split('=').next().unwrap_or("").to_owned();
                let mut v = v.to_owned();
                self.expand(&mut v, loc, &[]);
                if !v.starts_with('/') {
                    let msg = format!("`{key}` must be an absolute path, not `{v}`");
                    self.diags.push(Diagnostic::error(
                        "invalid-flag-value",
                        msg,
                        loc.file,
                        loc.span,
                    ));
                }
                *f = format!("{key}={v}");
            }
        }
        p.flags = flags;
        let mut rules = std::mem::take(&mut p.rules);
        // `@{profile_name}` is defined by the parser for each profile.
        let own_name = p.full_name.clone();
        let saved = self.vars.map.insert(
            "profile_name".to_owned(),
            VarValue {
                values: vec![own_name],
            },
        );
        let attach = p
            .attachment
            .clone()
            .or_else(|| p.name.starts_with('/').then(|| p.name.clone()));
        let mut saved_auto = Vec::new();
        for n in ["exec_path", "attach_path"] {
            // apparmor_parser 4.0 and later define these from the attachment; 3.0.8 does
            // not know them and expands a global definition of the same name. Where the
            // policy defines one, keep its value as 3.0 compiles it, since that is the
            // binary this crate is checked against.
            let user_defined = self.vars.map.contains_key(n);
            if let (true, Some(a)) = (user_defined, &attach) {
                let same = self
                    .vars
                    .map
                    .get(n)
                    .is_some_and(|v| v.values.len() == 1 && v.values.first() == Some(a));
                let needle = format!("@{{{n}}}");
                if let Some(r) = rules.iter().find(|r| !same && r.text.contains(&needle)) {
                    let msg = format!(
                        "`{needle}` keeps its global value here; apparmor_parser 4.0 and later \
                         replace it with the attachment `{a}`"
                    );
                    let mut d = Diagnostic::warning(
                        "version-dependent-variable",
                        msg,
                        r.location.file,
                        r.location.span,
                    )
                    .with_help(
                        "rename the variable so that every parser version reads the same rule",
                    );
                    d.included_from = r.included_from.clone();
                    self.diags.push(d);
                }
            }
            if !user_defined && attach.is_some() {
                // 3.0.8 reports the automatic variable as never declared.
                let needle = format!("@{{{n}}}");
                if let Some(r) = rules.iter().find(|r| r.text.contains(&needle)) {
                    let what = format!("the automatic variable `{needle}`");
                    self.rule_needs_newer(&what, "4.0", r);
                }
            }
            let prev = match &attach {
                Some(a) if !user_defined => self.vars.map.insert(
                    n.to_owned(),
                    VarValue {
                        values: vec![a.clone()],
                    },
                ),
                _ => self.vars.map.get(n).cloned(),
            };
            saved_auto.push((n, prev));
        }
        for r in rules.iter_mut() {
            let loc = r.location;
            let inc = r.included_from.clone();
            let is_network = matches!(r.kind, RuleKind::Network(_));
            let mut fields = Vec::new();
            rules::string_fields(&mut r.kind, &mut fields);
            let mut reported = false;
            for f in fields {
                let before = self.diags.len();
                self.expand(f, loc, &inc);
                if self.diags.len() != before || reported || is_network {
                    continue;
                }
                if let Some((code, msg)) = rules::glob_error(f) {
                    let mut d = Diagnostic::error(code, msg, loc.file, loc.span);
                    d.included_from = inc.clone();
                    self.diags.push(d);
                    reported = true;
                }
            }
        }
        // Aliases: a file rule under the alias source also applies under its target.
        if !self.aliases.is_empty() {
            let mut extra = Vec::new();
            for r in &rules {
                if let RuleKind::File(f) = &r.kind {
                    if let Some(path) = &f.path {
                        for (from, to) in &self.aliases {
                            if let Some(rest) = path.strip_prefix(from.as_str()) {
                                let mut r2 = r.clone();
                                if let RuleKind::File(f2) = &mut r2.kind {
                                    f2.path = Some(format!("{to}{rest}"));
                                }
                                r2.implicit = true;
                                extra.push(r2);
                            }
                        }
                    }
                }
            }
            rules.extend(extra);
        }
        match saved {
            Some(v) => self.vars.map.insert("profile_name".to_owned(), v),
            None => self.vars.map.remove("profile_name"),
        };
        for (n, prev) in saved_auto {
            match prev {
                Some(v) => self.vars.map.insert(n.to_owned(), v),
                None => self.vars.map.remove(n),
            };
        }
        rules::check_profile(self, &rules);
        p.rules = rules;
        for c in p.children.iter_mut() {
            self.finish_profile(c);
        }
    }
}

/// Whether a directory include skips this entry, as apparmor_parser does: dot files,
/// `README`, and backup or package-manager leftovers.
pub fn skipped_include_entry(base: &str) -> bool {
    const SUFFIXES: &[&str] = &[
        ".dpkg-new",
        ".dpkg-old",
        ".dpkg-dist",
        ".dpkg-bak",
        ".dpkg-remove",
        ".pacsave",
        ".pacnew",
        ".rpmnew",
        ".rpmsave",
        ".orig",
        ".rej",
        "~",
    ];
    base.is_empty()
        || base.starts_with('.')
        || base == "README"
        || SUFFIXES.iter().any(|s| base.ends_with(s))
}

/// The mode the flags select.
fn mode_of(flags: &[String]) -> ProfileMode {
    for f in flags {
        match f.as_str() {
            "complain" => return ProfileMode::Complain,
            "unconfined" | "default_allow" => return ProfileMode::Unconfined,
            "kill" => return ProfileMode::Kill,
            "prompt" => return ProfileMode::Prompt,
            _ => {}
        }
    }
    ProfileMode::Enforce
}

/// Combines a block's qualifiers with a rule's; `None` when they conflict.
fn merge_quals(outer: Qualifiers, inner: Qualifiers) -> Option<Qualifiers> {
    use crate::model::Effect;
    let mut q = outer;
    q.audit |= inner.audit;
    if inner.effect != Effect::Allow {
        q.effect = inner.effect;
    }
    // A rule's own `owner`/`other` overrides its block's, as apparmor_parser does.
    if inner.owner != Owner::Any {
        q.owner = inner.owner;
    }
    if inner.priority != 0 {
        q.priority = inner.priority;
    }
    Some(q)
}

/// A condition value.
#[derive(Debug, Clone, PartialEq, Eq)]
enum CondVal {
    Bool(bool),
    Undefined(String),
}

struct CondParser<'t> {
    toks: &'t [Token],
    pos: usize,
    depth: usize,
}

impl CondParser<'_> {
    fn peek_word(&self, w: &str) -> bool {
        self.toks.get(self.pos).is_some_and(|t| t.is_word(w))
    }

    /// Reads a comparison operator (`==`, `!=`, `>=`, `<=`, `>`, `<`) at the position.
    fn comparator(&mut self) -> Option<&'static str> {
        let a = self.toks.get(self.pos)?;
        let b = self.toks.get(self.pos + 1);
        let (op, n) = match (a.kind, a.text.as_str(), b.map(|b| b.kind)) {
            (TokenKind::Eq, _, Some(TokenKind::Eq)) => ("==", 2),
            (TokenKind::Unknown, "!", Some(TokenKind::Eq)) => ("!=", 2),
            (TokenKind::Le, _, _) => ("<=", 1),
            (TokenKind::Word, ">", Some(TokenKind::Eq)) => (">=", 2),
            (TokenKind::Word, ">", _) => (">", 1),
            (TokenKind::Word, "<", _) => ("<", 1),
            _ => return None,
        };
        self.pos += n;
        Some(op)
    }

    fn or_expr(&mut self, r: &Resolver) -> Result<CondVal, ()> {
        let mut v = self.and_expr(r)?;
        while self.peek_word("or") {
            self.pos += 1;
            let rhs = self.and_expr(r)?;
            v = match (v, rhs) {
                (CondVal::Undefined(n), _) | (_, CondVal::Undefined(n)) => CondVal::Undefined(n),
                (CondVal::Bool(a), CondVal::Bool(b)) => CondVal::Bool(a || b),
            };
        }
        Ok(v)
    }

    fn and_expr(&mut self, r: &Resolver) -> Result<CondVal, ()> {
        let mut v = self.not_expr(r)?;
        while self.peek_word("and") {
            self.pos += 1;
            let rhs = self.not_expr(r)?;
            v = match (v, rhs) {
                (CondVal::Undefined(n), _) | (_, CondVal::Undefined(n)) => CondVal::Undefined(n),
                (CondVal::Bool(a), CondVal::Bool(b)) => CondVal::Bool(a && b),
            };
        }
        Ok(v)
    }

    fn not_expr(&mut self, r: &Resolver) -> Result<CondVal, ()> {
        // Bound the recursion of `not not ...` and `((...))` on hostile input.
        self.depth += 1;
        if self.depth > 64 {
            return Err(());
        }
        let v = self.not_inner(r);
        self.depth -= 1;
        v
    }

    fn not_inner(&mut self, r: &Resolver) -> Result<CondVal, ()> {
        if self.peek_word("not") {
            self.pos += 1;
            return Ok(match self.not_expr(r)? {
                CondVal::Bool(b) => CondVal::Bool(!b),
                u => u,
            });
        }
        self.atom(r)
    }

    fn atom(&mut self, r: &Resolver) -> Result<CondVal, ()> {
        let t = self.toks.get(self.pos).ok_or(())?;
        self.pos += 1;
        if t.kind == TokenKind::LParen {
            let v = self.or_expr(r)?;
            let close = self.toks.get(self.pos).ok_or(())?;
            if close.kind != TokenKind::RParen {
                return Err(());
            }
            self.pos += 1;
            return Ok(v);
        }
        if t.is_word("defined") {
            let v = self.toks.get(self.pos).ok_or(())?;
            self.pos += 1;
            if let Some(name) = set_var_name(&v.text) {
                return Ok(CondVal::Bool(r.vars.map.contains_key(name)));
            }
            if let Some(name) = bool_var_name(&v.text) {
                return Ok(CondVal::Bool(r.bools.contains_key(name)));
            }
            return Err(());
        }
        if let Some(op) = self.comparator() {
            let lhs = operand(r, t)?;
            let rhs_tok = self.toks.get(self.pos).ok_or(())?;
            self.pos += 1;
            let rhs = operand(r, rhs_tok)?;
            let ord = match (lhs.parse::<i64>(), rhs.parse::<i64>()) {
                (Ok(a), Ok(b)) => a.cmp(&b),
                _ => lhs.cmp(&rhs),
            };
            use std::cmp::Ordering::*;
            let v = match op {
                "==" => ord == Equal,
                "!=" => ord != Equal,
                ">=" => ord != Less,
                "<=" => ord != Greater,
                ">" => ord == Greater,
                "<" => ord == Less,
                _ => return Err(()),
            };
            return Ok(CondVal::Bool(v));
        }
        if t.kind == TokenKind::Word {
            match t.text.to_ascii_lowercase().as_str() {
                "true" => return Ok(CondVal::Bool(true)),
                "false" => return Ok(CondVal::Bool(false)),
                _ => {}
            }
        }
        if let Some(name) = bool_var_name(&t.text) {
            return Ok(match r.bools.get(name) {
                Some(b) => CondVal::Bool(*b),
                None => CondVal::Undefined(name.to_owned()),
            });
        }
        Err(())
    }
}

/// The value of a comparison operand: a single-valued set variable or a literal.
fn operand(r: &Resolver, t: &Token) -> Result<String, ()> {
    if !t.is_value() {
        return Err(());
    }
    if t.text.starts_with('@') {
        let mut v = r.vars.expand_all(&t.text).map_err(|_| ())?;
        return if v.len() == 1 {
            v.pop().ok_or(())
        } else {
            Err(())
        };
    }
    Ok(t.text.clone())
}

/// `@{name}` → `name`.
fn set_var_name(s: &str) -> Option<&str> {
    let n = s.strip_prefix('@')?;
    let n = n
        .strip_prefix('{')
        .and_then(|n| n.strip_suffix('}'))
        .unwrap_or(n);
    valid_var_name(n).then_some(n)
}

/// `$name` or `${name}` → `name`.
fn bool_var_name(s: &str) -> Option<&str> {
    let n = s.strip_prefix('$')?;
    let n = n
        .strip_prefix('{')
        .and_then(|n| n.strip_suffix('}'))
        .unwrap_or(n);
    valid_var_name(n).then_some(n)
}

fn valid_var_name(n: &str) -> bool {
    n.bytes().next().is_some_and(|b| b.is_ascii_alphabetic())
        && n.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

#[cfg(test)]
mod tests {
    use crate::model::{Effect, ExecKind, FilePerms, Owner, ProfileMode, RuleKind};
    use crate::{analyze, MemoryProvider, NoIncludes};

    fn kinds(text: &str, profile: &str) -> Vec<RuleKind> {
        let a = analyze("t", text, &NoIncludes);
        assert!(!a.has_errors(), "{:#?}", a.diagnostics);
        a.policy
            .find(profile)
            .unwrap()
            .rules
            .iter()
            .map(|r| r.kind.clone())
            .collect()
    }

    fn path(k: &RuleKind) -> &str {
        match k {
            RuleKind::File(f) => f.path.as_deref().unwrap(),
            other => panic!("not a file rule: {other:?}"),
        }
    }

    #[test]
    fn variables_expand_to_alternations_and_nest() {
        let text = "@{A} = /x /y\n@{A} += /z\n@{B} = @{A}/sub\nprofile p {\n  @{B}/** r,\n  /one@{C} w,\n}\n@{C} = tail\n";
        let k = kinds(text, "p");
        assert_eq!(path(&k[0]), "{/x/sub,/y/sub,/z/sub}/**");
        // Variables may be defined after use: upstream expands after parsing.
        assert_eq!(path(&k[1]), "/onetail");
    }

    #[test]
    fn aliases_add_a_rule_under_the_target() {
        let k = kinds(
            "alias /usr/ -> /mnt/usr/,\nprofile p {\n  /usr/bin/** r,\n}\n",
            "p",
        );
        let paths: Vec<&str> = k.iter().map(path).collect();
        assert_eq!(paths, vec!["/usr/bin/**", "/mnt/usr/bin/**"]);
    }

    #[test]
    fn hats_children_and_namespaces_get_full_names() {
        let text = "profile :ns:outer /bin/o flags=(complain) {\n  ^hat { }\n  hat h2 { }\n  profile child { }\n}\n/usr/bin/x { }\n";
        let a = analyze("t", text, &NoIncludes);
        assert!(!a.has_errors(), "{:#?}", a.diagnostics);
        let names: Vec<&str> = a
            .policy
            .all_profiles()
            .iter()
            .map(|p| p.full_name.as_str())
            .collect();
        assert_eq!(
            names,
            vec![
                ":ns:outer",
                ":ns:outer//hat",
                ":ns:outer//h2",
                ":ns:outer//child",
                "/usr/bin/x"
            ]
        );
        let outer = &a.policy.profiles[0];
        assert_eq!(outer.namespace.as_deref(), Some("ns"));
        assert_eq!(outer.attachment.as_deref(), Some("/bin/o"));
        assert_eq!(outer.mode, ProfileMode::Complain);
        assert!(outer.children[0].is_hat && outer.children[1].is_hat);
        assert!(!outer.children[2].is_hat);
        assert_eq!(
            a.policy.profiles[1].attachment.as_deref(),
            Some("/usr/bin/x")
        );
    }

    #[test]
    fn qualifier_blocks_and_rule_text() {
        let text =
            "profile p {\n  audit owner {\n    /home/**   rw,\n    deny /etc/shadow  r,\n  }\n}\n";
        let a = analyze("t", text, &NoIncludes);
        let rules = &a.policy.find("p").unwrap().rules;
        assert!(rules.iter().all(|r| r.qualifiers.audit));
        assert!(rules.iter().all(|r| r.qualifiers.owner == Owner::Owner));
        assert_eq!(rules[1].qualifiers.effect, Effect::Deny);
        assert_eq!(rules[0].text, "/home/** rw");
        assert_eq!(
            a.sources
                .get(rules[1].location.file)
                .unwrap()
                .slice(rules[1].location.span),
            "deny /etc/shadow  r"
        );
    }

    #[test]
    fn exec_modes_and_targets() {
        let text = "profile p {\n  /bin/a Pix,\n  /bin/b cux -> kid,\n  px /bin/c,\n  unsafe px /bin/d,\n  /bin/e rix,\n  file,\n}\n";
        let k = kinds(text, "p");
        let exec = |k: &RuleKind| match k {
            RuleKind::File(f) => f.exec.clone().unwrap(),
            _ => panic!(),
        };
        let a = exec(&k[0]);
        assert_eq!(
            (a.kind, a.scrub, a.fallback),
            (ExecKind::Profile, true, Some(ExecKind::Inherit))
        );
        let b = exec(&k[1]);
        assert_eq!(
            (b.kind, b.fallback, b.target.as_deref()),
            (ExecKind::Child, Some(ExecKind::Unconfined), Some("kid"))
        );
        // Perms-first: the letter case chooses scrubbing as in the path-first form.
        assert!(!exec(&k[2]).scrub);
        assert!(!exec(&k[3]).scrub);
        match &k[4] {
            RuleKind::File(f) => assert_eq!(f.perms.letters(), "rx"),
            _ => panic!(),
        }
        match &k[5] {
            RuleKind::File(f) => {
                assert!(f.path.is_none());
                assert!(f.perms.contains(FilePerms::WRITE.union(FilePerms::LINK)));
            }
            _ => panic!(),
        }
    }

    #[test]
    fn other_rule_classes() {
        let text = "profile p {\n  link subset /l -> /t,\n  /a l -> /b,\n  capability net_admin sys_ptrace,\n  network inet stream,\n  mount fstype=ext4 options=(ro, nosuid) /dev/sda1 -> /mnt/,\n  umount /mnt/,\n  pivot_root oldroot=/old/ /new/ -> child,\n  change_profile -> other,\n  set rlimit nofile <= 1024,\n  dbus send bus=session path=/org/x peer=(name=org.x label=foo),\n  signal (send, receive) set=(hup term) peer=bar,\n  ptrace trace peer=baz,\n  unix (connect) type=stream peer=(addr=@foo),\n  all,\n}\n";
        let k = kinds(text, "p");
        assert!(
            matches!(&k[0], RuleKind::Link(l) if l.subset && l.link == "/l" && l.target == "/t")
        );
        // Path-first, the arrow names an exec transition: `l` links to any target.
        assert!(
            matches!(&k[1], RuleKind::File(f) if f.perms == FilePerms::LINK && f.exec.is_none())
        );
        assert!(
            matches!(&k[2], RuleKind::Capability { names } if names == &["net_admin", "sys_ptrace"])
        );
        assert!(matches!(&k[3], RuleKind::Network(a) if a.words == ["inet", "stream"]));
        match &k[4] {
            RuleKind::Mount(m) => {
                assert_eq!(m.source.as_deref(), Some("/dev/sda1"));
                assert_eq!(m.target.as_deref(), Some("/mnt/"));
                assert_eq!(m.conds[1].values, vec!["ro", "nosuid"]);
            }
            _ => panic!(),
        }
        assert!(matches!(&k[5], RuleKind::Umount(m) if m.source.as_deref() == Some("/mnt/")));
        assert!(matches!(&k[6], RuleKind::PivotRoot(m) if m.target.as_deref() == Some("child")));
        assert!(
            matches!(&k[7], RuleKind::ChangeProfile(c) if c.target.as_deref() == Some("other"))
        );
        assert!(
            matches!(&k[8], RuleKind::Rlimit { resource, value } if resource == "nofile" && value == "1024")
        );
        match &k[9] {
            RuleKind::Dbus(d) => {
                assert_eq!(d.access, vec!["send"]);
                assert_eq!(d.peer.len(), 2);
            }
            _ => panic!(),
        }
        match &k[10] {
            RuleKind::Signal(s) => {
                assert_eq!(s.access, vec!["send", "receive"]);
                assert_eq!(s.conds[0].values, vec!["hup", "term"]);
                assert_eq!(s.peer[0].values, vec!["bar"]);
            }
            _ => panic!(),
        }
        assert!(matches!(&k[11], RuleKind::Ptrace(p) if p.access == ["trace"]));
        assert!(matches!(&k[12], RuleKind::Unix(u) if u.peer[0].key == "addr"));
        assert!(matches!(&k[13], RuleKind::All));
    }

    #[test]
    fn included_rules_carry_their_include_chain() {
        let mut p = MemoryProvider::new(["/d"]);
        p.insert("/d/abs/base", "  include <abs/inner>\n");
        p.insert("/d/abs/inner", "  /inner r,\n");
        p.insert("/d/tun/global", "@{HOME} = /home/*/ /root/\n");
        p.insert("/d/dir/a", "  /from/dir/a r,\n");
        p.insert("/d/dir/.hidden", "  /hidden r,\n");
        p.insert("/d/dir/b.dpkg-old", "  /old r,\n");
        let text = "include <tun/global>\nprofile p {\n  include <abs/base>\n  include <dir>\n  @{HOME}/x r,\n}\n";
        let a = analyze("main", text, &p);
        assert!(!a.has_errors(), "{:#?}", a.diagnostics);
        let rules = &a.policy.find("p").unwrap().rules;
        let paths: Vec<&str> = rules.iter().map(|r| path(&r.kind)).collect();
        assert_eq!(paths, vec!["/inner", "/from/dir/a", "{/home/*,/root}/x"]);
        assert_eq!(rules[0].included_from.len(), 2);
        assert_eq!(
            a.sources.get(rules[0].location.file).unwrap().name,
            "/d/abs/inner"
        );
        assert!(rules[2].included_from.is_empty());
    }
}
