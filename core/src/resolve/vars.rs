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
                    return Some(Err(start));
                }
                let name = s.get(name_start..j).unwrap_or("").to_owned();
                return Some(Ok((start, j + 1, name)));
            }
            _ => i += 1,
        }
    }
    None
}

impl Vars {
    /// Expands every reference in `s`, returning the list of alternatives (more than one
    /// when a multi-valued variable is referenced).
    pub fn expand_all(&self, s: &str) -> Result<Vec<String>, ExpandError> {
        self.expand_inner(s, 0, &mut Vec::new())
    }

    fn expand_inner(
        &self,
        s: &str,
        depth: usize,
        stack: &mut Vec<String>,
    ) -> Result<Vec<String>, ExpandError> {
        let Some(found) = find_ref(s) else {
            return Ok(vec![s.to_owned()]);
        };
        let (start, end, name) = found.map_err(|_| ExpandError::Malformed(s.to_owned()))?;
        if depth > MAX_VAR_DEPTH || stack.contains(&name) {
            return Err(ExpandError::Recursive(name));
        }
        let value = self
            .map
            .get(&name)
            .ok_or_else(|| ExpandError::Undefined(name.clone()))?;
        stack.push(name.clone());
        let mut vals = Vec::new();
        for v in &value.values {
            for e in self.expand_inner(v, depth + 1, stack)? {
                if !vals.contains(&e) {
                    vals.push(e);
                }
            }
        }
        stack.pop();
        let prefix = s.get(..start).unwrap_or("");
        let rest = s.get(end..).unwrap_or("");
        let tails = self.expand_inner(rest, depth, stack)?;
        let mut out = Vec::new();
        for v in &vals {
            for t in &tails {
                out.push(format!("{prefix}{v}{t}"));
            }
        }
        if vals.is_empty() {
            // An empty variable expands to nothing: the rule keeps only its other parts.
            for t in &tails {
                out.push(format!("{prefix}{t}"));
            }
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
        let Some(found) = find_ref(s) else {
            return Ok(s.to_owned());
        };
        let (start, end, name) = found.map_err(|_| ExpandError::Malformed(s.to_owned()))?;
        if depth > MAX_VAR_DEPTH || stack.contains(&name) {
            return Err(ExpandError::Recursive(name));
        }
        let value = self
            .map
            .get(&name)
            .ok_or_else(|| ExpandError::Undefined(name.clone()))?;
        stack.push(name.clone());
        let mut vals: Vec<String> = Vec::new();
        for v in &value.values {
            let e = self.expand_glob(v, depth + 1, stack)?;
            if !vals.contains(&e) {
                vals.push(e);
            }
        }
        stack.pop();
        let inner = match vals.len() {
            0 => String::new(),
            1 => vals.into_iter().next().unwrap_or_default(),
            _ => format!("{{{}}}", vals.join(",")),
        };
        let prefix = s.get(..start).unwrap_or("");
        let rest = self.expand_glob(s.get(end..).unwrap_or(""), depth, stack)?;
        Ok(format!("{prefix}{inner}{rest}"))
    }
}
