//! A tiny command-line parser: `--flag`, `--name value`, `--name=value` and
//! positional words, enough for the two entry points without a dependency.

use std::str::FromStr;

/// The arguments not yet consumed.
pub struct Args {
    items: Vec<String>,
}

impl Args {
    /// Wraps the arguments after the program name.
    pub fn new(items: impl IntoIterator<Item = String>) -> Args {
        Args { items: items.into_iter().collect() }
    }

    /// Removes `--name` and says whether it was there.
    pub fn flag(&mut self, name: &str) -> bool {
        let flag = format!("--{name}");
        let before = self.items.len();
        self.items.retain(|item| *item != flag);
        self.items.len() != before
    }

    /// Removes `--name value` (or `--name=value`) and parses the value.
    pub fn value<T: FromStr>(&mut self, name: &str) -> Result<Option<T>, String> {
        let flag = format!("--{name}");
        let prefix = format!("--{name}=");
        let Some(at) = self.items.iter().position(|item| *item == flag || item.starts_with(&prefix)) else {
            return Ok(None);
        };
        let item = self.items.remove(at);
        let raw = match item.strip_prefix(&prefix) {
            Some(raw) => raw.to_string(),
            None if at < self.items.len() => self.items.remove(at),
            None => return Err(format!("{flag} needs a value")),
        };
        raw.parse().map(Some).map_err(|_| format!("{flag}: cannot parse {raw:?}"))
    }

    /// The positional words left; an error if an unknown `--flag` is left.
    pub fn finish(self) -> Result<Vec<String>, String> {
        match self.items.iter().find(|item| item.starts_with("--")) {
            Some(unknown) => Err(format!("unknown option {unknown}")),
            None => Ok(self.items),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Args;

    fn args(line: &str) -> Args {
        Args::new(line.split_whitespace().map(String::from))
    }

    #[test]
    fn parses_flags_values_and_words() {
        let mut a = args("echo --quick --reps 3 --out=dir http");
        assert!(a.flag("quick"));
        assert!(!a.flag("quick"));
        assert_eq!(a.value::<u32>("reps"), Ok(Some(3)));
        assert_eq!(a.value::<String>("out"), Ok(Some("dir".into())));
        assert_eq!(a.value::<u32>("missing"), Ok(None));
        assert_eq!(a.finish(), Ok(vec!["echo".to_string(), "http".to_string()]));
    }

    #[test]
    fn rejects_unknown_and_bad_values() {
        let mut a = args("--reps x");
        assert!(a.value::<u32>("reps").is_err());
        assert!(args("--nope").finish().is_err());
    }
}
