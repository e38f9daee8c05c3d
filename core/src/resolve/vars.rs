//! Set variables (`@{NAME}`) and their expansion.
//!
//! A variable holds a list of values; a reference expands to the value itself when the
//! list has one element and to the alternation `{a,b}` otherwise, which is how
//! apparmor_parser turns a rule with a multi-valued variable into one glob.

use std::collections::HashMap;

/// How deeply variable values may refer to other variables before we call it a cycle.
const MAX_VAR_DEPTH: usize = 32;

/// One variable's values.
#[derive(Debug, Clone, Default)]
pub struct VarValue {
    /// The values as written (they may contain references).
    pub values: Vec<String>,
}

/// Why an expansion failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExpandError {
    /// `@{name}` is not defined.
    Undefined(String),
    /// The variable refers to itself, directly or not.
    Recursive(String),
    /// `@{` without a closing `}` or an invalid name.
    Malformed(String),
    /// The expansion would exceed the size limit.
    TooLarge(String),
}

/// The variable table.
#[derive(Debug, Clone, Default)]
pub struct Vars {
    /// By name (without `@{}`).
    pub map: HashMap<String, VarValue>,
}

/// Finds the first variable reference in `s`: returns (start, end, name). Escaped `\@` is
/// skipped.
pub fn find_ref(s: &str) -> Option<Result<(usize, usize, String), usize>> {
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b.get(i) {
            Some(b'\\') => i += 2,
            Some(b'@') if b.get(i + 1) == Some(&b'{') => {
                let start = i;
                let name_start = i + 2;
                let mut j = name_start;
                while b
                    .get(j)
                    .is_some_and(|c| c.is_ascii_alphanumeric() || *c == b'_')
                {
                    j += 1;
                }
                if b.get(j) != Some(&b'}')
                    || j == name_start
                    || !b.get(name_start).is_some_and(|c| c.is_ascii_alphabetic())
                {
                    // Not a variable name (`@{a,b}`): the text is a literal glob.
                    i += 2;
                    continue;
                }
                let name = s.get(name_start..j).unwrap_or("").to_owned();
                return Some(Ok((start, j + 1, name)));
            }
            _ => i += 1,
        }
    }
    None
}

/// The largest expansion we build (bytes, or alternatives for [`Vars::expand_all`]):
/// variables whose values refer to other variables can grow exponentially.
const MAX_EXPANSION: usize = 1 << 20;

/// The most alternatives [`Vars::expand_all`] enumerates.
const MAX_ALTERNATIVES: usize = 4096;

impl Vars {
    fn lookup<'a>(
        &'a self,
        name: &str,
        depth: usize,
        stack: &[String],
    ) -> Result<&'a VarValue, ExpandError> {
        if depth > MAX_VAR_DEPTH || stack.iter().any(|n| n == name) {
            return Err(ExpandError::Recursive(name.to_owned()));
        }
        self.map
            .get(name)
            .ok_or_else(|| ExpandError::Undefined(name.to_owned()))
    }

    /// Expands every reference in `s`, returning the list of alternatives (more than one
    /// when a multi-valued variable is referenced).
    pub fn expand_all(&self, s: &str) -> Result<Vec<String>, ExpandError> {
        self.expand_list(s, 0, &mut Vec::new())
    }

    fn expand_list(
        &self,
        s: &str,
        depth: usize,
        stack: &mut Vec<String>,
    ) -> Result<Vec<String>, ExpandError> {
        let mut out = vec![String::new()];
        let mut rest = s;
        while let Some(found) = find_ref(rest) {
            let (start, end, name) = found.map_err(|_| ExpandError::Malformed(s.to_owned()))?;
            let prefix = rest.get(..start).unwrap_or("");
            let value = self.lookup(&name, depth, stack)?;
            stack.push(name.clone());
            let mut vals: Vec<String> = Vec::new();
            for v in &value.values {
                for e in self.expand_list(v, depth + 1, stack)? {
                    if !vals.contains(&e) {
                        vals.push(e);
                    }
                }
            }
            stack.pop();
            if vals.is_empty() {
                vals.push(String::new());
            }
            if rest.get(end..).is_some_and(|r| r.starts_with('/')) {
                for v in vals.iter_mut() {
                    if v.len() > 1 && v.ends_with('/') {
                        v.pop();
                    }
                }
            }
            if prefix.ends_with('/') {
                for v in vals.iter_mut() {
                    if v.len() > 1 && v.starts_with('/') {
                        v.remove(0);
                    }
                }
            }
            if out.len() * vals.len() > MAX_ALTERNATIVES {
                return Err(ExpandError::TooLarge(name));
            }
            let mut next = Vec::with_capacity(out.len() * vals.len());
            for o in &out {
                for v in &vals {
                    next.push(format!("{o}{prefix}{v}"));
                }
            }
            out = next;
            rest = rest.get(end..).unwrap_or("");
        }
        for o in out.iter_mut() {
            o.push_str(rest);
        }
        Ok(out)
    }

    /// Expands `s` into one string: alternatives become `{a,b}` at the reference.
    pub fn expand_one(&self, s: &str) -> Result<String, ExpandError> {
        self.expand_glob(s, 0, &mut Vec::new())
    }

    fn expand_glob(
        &self,
        s: &str,
        depth: usize,
        stack: &mut Vec<String>,
    ) -> Result<String, ExpandError> {
        let mut out = String::new();
        let mut rest = s;
        while let Some(found) = find_ref(rest) {
            let (start, end, name) = found.map_err(|_| ExpandError::Malformed(s.to_owned()))?;
            out.push_str(rest.get(..start).unwrap_or(""));
            let value = self.lookup(&name, depth, stack)?;
            stack.push(name.clone());
            // Like apparmor_parser, a variable's values are expanded into the full list
            // of alternatives first (`@{B}=@{A}/z` with `@{A}=/x /y` is `/x/z /y/z`), and
            // only the reference in the rule becomes one `{...}` alternation.
            let mut vals: Vec<String> = Vec::new();
            for v in &value.values {
                for e in self.expand_list(v, depth + 1, stack)? {
                    if !vals.contains(&e) {
                        vals.push(e);
                    }
                }
            }
            stack.pop();
            // `@{etc_ro}/x` with `@{etc_ro}=/etc/ /usr/etc/` is `{/etc,/usr/etc}/x`: a
            // value's trailing slash merges with the slash that follows the reference.
            let rest_after = rest.get(end..).unwrap_or("");
            if rest_after.starts_with('/') {
                for v in vals.iter_mut() {
                    if v.len() > 1 && v.ends_with('/') {
                        v.pop();
                    }
                }
            }
            // Likewise a leading slash merges with a slash before the reference.
            if out.ends_with('/') {
                for v in vals.iter_mut() {
                    if v.len() > 1 && v.starts_with('/') {
                        v.remove(0);
                    }
                }
            }
            match vals.len() {
                0 => {}
                1 => out.push_str(vals.first().map(String::as_str).unwrap_or("")),
                _ => {
                    out.push('{');
                    out.push_str(&vals.join(","));
                    out.push('}');
                }
            }
            if out.len() > MAX_EXPANSION {
                return Err(ExpandError::TooLarge(name));
            }
            rest = rest.get(end..).unwrap_or("");
        }
        out.push_str(rest);
        Ok(out)
    }
}
