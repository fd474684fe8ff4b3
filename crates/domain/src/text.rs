//! Parsed text values: a `Name` or an `Email` cannot exist unless it passed its rules.

use crate::{Invalid, Rule};
use serde::Serialize;

/// A display name or title: trimmed, non-empty, at most `MAX` characters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Name(String);

impl Name {
    pub const MAX: usize = 200;

    pub fn parse(field: &str, raw: &str) -> Result<Name, Invalid> {
        let t = raw.trim();
        if t.is_empty() {
            return Err(Invalid::new(field, Rule::Required));
        }
        if t.chars().count() > Self::MAX {
            return Err(Invalid::new(field, Rule::TooLong { max: Self::MAX }));
        }
        if t.chars().any(|c| c.is_control()) {
            return Err(Invalid::new(field, Rule::Required));
        }
        Ok(Name(t.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

/// An email address, lower-cased so that sign-in is case-insensitive.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Email(String);

impl Email {
    pub fn parse(field: &str, raw: &str) -> Result<Email, Invalid> {
        let t = raw.trim().to_lowercase();
        if t.is_empty() {
            return Err(Invalid::new(field, Rule::Required));
        }
        if t.len() > 254 {
            return Err(Invalid::new(field, Rule::TooLong { max: 254 }));
        }
        let Some((local, domain)) = t.split_once('@') else {
            return Err(Invalid::new(field, Rule::BadEmail));
        };
        let ok = !local.is_empty()
            && domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !t.chars().any(|c| c.is_whitespace() || c.is_control())
            && !domain.contains('@');
        if !ok {
            return Err(Invalid::new(field, Rule::BadEmail));
        }
        Ok(Email(t))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

/// A new password that meets the policy. It is never stored; only its hash is.
pub struct NewPassword(String);

impl NewPassword {
    pub const MIN: usize = 8;

    pub fn parse(raw: &str) -> Result<NewPassword, Invalid> {
        if raw.chars().count() < Self::MIN {
            return Err(Invalid::new("password", Rule::PasswordTooShort { min: Self::MIN }));
        }
        if raw.len() > 1024 {
            return Err(Invalid::new("password", Rule::TooLong { max: 1024 }));
        }
        Ok(NewPassword(raw.to_string()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for NewPassword {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("NewPassword(…)")
    }
}

/// A tenant's short name used in sign-in and URLs: lower-case letters, digits and dashes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Slug(String);

impl Slug {
    pub fn parse(field: &str, raw: &str) -> Result<Slug, Invalid> {
        let t = raw.trim().to_ascii_lowercase();
        if t.is_empty() {
            return Err(Invalid::new(field, Rule::Required));
        }
        if t.len() > 40 {
            return Err(Invalid::new(field, Rule::TooLong { max: 40 }));
        }
        if !t.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-') {
            return Err(Invalid::new(field, Rule::OneOf(&["a-z", "0-9", "-"])));
        }
        Ok(Slug(t))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(Name::parse("name", "  华东大区 ").map(|n| n.into_string()), Ok("华东大区".into()));
        assert!(Name::parse("name", "   ").is_err());
        assert!(Name::parse("name", &"字".repeat(201)).is_err());
        assert!(Name::parse("name", &"字".repeat(200)).is_ok());
        assert!(Name::parse("name", "a\u{0}b").is_err());
    }

    #[test]
    fn emails_are_lowercased_and_checked() {
        assert_eq!(
            Email::parse("email", " Li.Na@Demo.Example ").map(|e| e.into_string()),
            Ok("li.na@demo.example".into())
        );
        for bad in ["", "no-at", "@x.cn", "a@b", "a@.cn", "a b@x.cn", "a@x.cn."] {
            assert!(Email::parse("email", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn password_policy() {
        assert!(NewPassword::parse("short").is_err());
        assert!(NewPassword::parse("demo-2026").is_ok());
    }

    #[test]
    fn slugs() {
        assert!(Slug::parse("slug", "demo").is_ok());
        assert!(Slug::parse("slug", "Demo-2").is_ok());
        assert!(Slug::parse("slug", "de mo").is_err());
    }
}
