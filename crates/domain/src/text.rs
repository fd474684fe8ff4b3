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

    /// At least [`Self::MIN`] characters once spaces at either end are set aside, no control
    /// characters (eight NUL bytes are not a password), and not one of the passwords every
    /// guessing list starts with. The password is kept as typed.
    pub fn parse(raw: &str) -> Result<NewPassword, Invalid> {
        if raw.len() > 1024 {
            return Err(Invalid::new("password", Rule::TooLong { max: 1024 }));
        }
        if raw.chars().any(char::is_control) {
            return Err(Invalid::new("password", Rule::PasswordControl));
        }
        if raw.trim().chars().count() < Self::MIN {
            return Err(Invalid::new("password", Rule::PasswordTooShort { min: Self::MIN }));
        }
        if is_common_password(raw.trim()) {
            return Err(Invalid::new("password", Rule::PasswordCommon));
        }
        Ok(NewPassword(raw.to_string()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

/// The most common passwords of eight characters or more (from the published breach lists),
/// and the obvious ones of a Chinese workplace, compared without case.
const COMMON_PASSWORDS: &[&str] = &[
    "12345678",
    "123456789",
    "1234567890",
    "12345678910",
    "87654321",
    "11111111",
    "00000000",
    "88888888",
    "66666666",
    "99999999",
    "11223344",
    "12341234",
    "123123123",
    "147258369",
    "123456abc",
    "abc12345",
    "abcd1234",
    "a1234567",
    "a12345678",
    "qwertyui",
    "qwerty123",
    "qwertyuiop",
    "1qaz2wsx",
    "1q2w3e4r",
    "1q2w3e4r5t",
    "zaq12wsx",
    "asdfghjk",
    "asdf1234",
    "zxcvbnm1",
    "password",
    "password1",
    "password123",
    "passw0rd",
    "p@ssw0rd",
    "p@ssword",
    "iloveyou",
    "iloveyou1",
    "sunshine",
    "princess",
    "football",
    "baseball",
    "superman",
    "starwars",
    "whatever",
    "trustno1",
    "letmein1",
    "welcome1",
    "welcome123",
    "admin123",
    "admin1234",
    "administrator",
    "changeme",
    "default1",
    "woaini1314",
    "woaini520",
    "5201314520",
    "1314520520",
    "aa123456",
    "qq123456",
    "abc123456",
    "a123456789",
    "wang1234",
    "zhang123",
    "tandem123",
    "tandem2026",
];

fn is_common_password(p: &str) -> bool {
    let lower = p.to_lowercase();
    let first = lower.chars().next();
    COMMON_PASSWORDS.contains(&lower.as_str()) || lower.chars().all(|c| Some(c) == first)
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

/// Free text a person writes (a note, a reason, a comment): trimmed, line breaks and tabs kept,
/// at most `max` characters, no other control characters. May be empty.
pub fn note(field: &str, raw: &str, max: usize) -> Result<String, Invalid> {
    let t = raw.trim();
    if t.chars().count() > max {
        return Err(Invalid::new(field, Rule::TooLong { max }));
    }
    if t.chars().any(|c| c.is_control() && c != '\n' && c != '\t' && c != '\r') {
        return Err(Invalid::new(field, Rule::NotText));
    }
    Ok(t.replace("\r\n", "\n"))
}

/// A number as a person types it: full-width digits and signs (`３．０`, `－２`) are read as
/// their ASCII forms, spaces are ignored, and a comma is a thousands separator only between full
/// groups of three digits (`1,250`, `12，000`); any other comma (`3,0`) is refused as ambiguous
/// rather than guessed. An empty input is `None`.
pub fn parse_number(field: &str, raw: &str) -> Result<Option<f64>, Invalid> {
    let s: String = raw
        .chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| match c {
            '０'..='９' => char::from(b'0' + (c as u32 - '０' as u32) as u8),
            '．' | '。' => '.',
            '－' | '−' => '-',
            '＋' => '+',
            '，' => ',',
            _ => c,
        })
        .collect();
    if s.is_empty() {
        return Ok(None);
    }
    let s = if s.contains(',') {
        let (int, frac) = s.split_once('.').map_or((s.as_str(), None), |(i, f)| (i, Some(f)));
        let digits = int.trim_start_matches(['-', '+']);
        let groups: Vec<&str> = digits.split(',').collect();
        let grouped = !groups[0].is_empty()
            && groups[0].len() <= 3
            && groups[0].chars().all(|c| c.is_ascii_digit())
            && groups[1..].iter().all(|g| g.len() == 3 && g.chars().all(|c| c.is_ascii_digit()))
            && frac.is_none_or(|f| !f.contains(','));
        if !grouped {
            return Err(Invalid::new(field, Rule::AmbiguousComma));
        }
        s.replace(',', "")
    } else {
        s
    };
    let v = s.parse::<f64>().map_err(|_| Invalid::new(field, Rule::NotANumber))?;
    crate::goal::finite(field, v).map(Some)
}

#[cfg(test)]
mod mention_tests {
    use super::mentions;
    use std::collections::HashMap;

    #[test]
    fn names_and_emails_after_an_at_sign_are_mentions() {
        let known: HashMap<String, Option<i64>> = [
            ("张伟".to_string(), Some(1)),
            ("张伟伟".to_string(), Some(2)),
            ("李娜".to_string(), Some(3)),
            ("王芳".to_string(), None),
            ("li.na@demo.example".to_string(), Some(3)),
            ("Ada Lovelace".to_string(), Some(4)),
        ]
        .into_iter()
        .collect();
        assert_eq!(mentions("@张伟 请看一下，@李娜 也看看", &known), vec![1, 3]);
        assert_eq!(mentions("@张伟伟：第二台封口机到了", &known), vec![2], "the longest name that fits");
        assert_eq!(mentions("抄送 @li.na@demo.example 和@李娜", &known), vec![3], "once each");
        assert_eq!(mentions("@王芳 重名的人不算", &known), Vec::<i64>::new(), "a shared name means nobody");
        assert_eq!(mentions("thanks @Ada Lovelace!", &known), vec![4]);
        assert_eq!(mentions("邮箱 a@b 不是提及，@ 单独也不是", &known), Vec::<i64>::new());
        assert_eq!(mentions("", &known), Vec::<i64>::new());
    }

    #[test]
    fn one_text_mentions_at_most_twenty_people() {
        let known: HashMap<String, Option<i64>> = (0..100).map(|i| (format!("p{i:03}"), Some(i))).collect();
        let text: String = (0..100).map(|i| format!("@p{i:03} ")).collect();
        assert_eq!(mentions(&text, &known), (0..super::MAX_MENTIONS as i64).collect::<Vec<_>>());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_read_as_people_type_them() {
        let n = |s: &str| parse_number("value", s);
        assert_eq!(n("３．０"), Ok(Some(3.0)), "full-width digits and point");
        assert_eq!(n("－２．５"), Ok(Some(-2.5)));
        assert_eq!(n(" 1,250 "), Ok(Some(1250.0)));
        assert_eq!(n("12，000.5"), Ok(Some(12000.5)));
        assert_eq!(n("1,234,567"), Ok(Some(1234567.0)));
        assert_eq!(n(""), Ok(None));
        for ambiguous in ["3,0", "3,05", "1,2345", ",5", "1,,000", "12,00"] {
            assert_eq!(n(ambiguous).map_err(|e| e.rule), Err(Rule::AmbiguousComma), "{ambiguous}");
        }
        assert_eq!(n("3.0.1").map_err(|e| e.rule), Err(Rule::NotANumber));
        assert_eq!(n("1e308").map_err(|e| e.rule), Err(Rule::TooLarge));
        assert_eq!(n("inf").map_err(|e| e.rule), Err(Rule::NotANumber));
    }

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
        let rule = |p: &str| NewPassword::parse(p).err().map(|e| e.rule);
        assert_eq!(rule("        "), Some(Rule::PasswordTooShort { min: 8 }), "eight spaces");
        assert_eq!(rule("  abc12  "), Some(Rule::PasswordTooShort { min: 8 }), "spaces at the ends do not count");
        assert_eq!(rule("\0\0\0\0\0\0\0\0"), Some(Rule::PasswordControl));
        assert_eq!(rule("abc\tdefgh"), Some(Rule::PasswordControl));
        assert_eq!(rule("Password123"), Some(Rule::PasswordCommon));
        assert_eq!(rule("zzzzzzzzzz"), Some(Rule::PasswordCommon), "one character repeated");
        assert_eq!(rule("密码密码密码密码"), None, "eight characters, not bytes");
        assert_eq!(rule("密码太短"), Some(Rule::PasswordTooShort { min: 8 }));
        assert!(NewPassword::parse(" correct horse battery ").is_ok());
    }

    #[test]
    fn slugs() {
        assert!(Slug::parse("slug", "demo").is_ok());
        assert!(Slug::parse("slug", "Demo-2").is_ok());
        assert!(Slug::parse("slug", "de mo").is_err());
    }
}

/// The most people one text may mention.
pub const MAX_MENTIONS: usize = 20;

/// Who a text mentions: each `@` followed by a known name (the longest that fits: `@张伟伟` is
/// 张伟伟 when both 张伟 and 张伟伟 are known) or a known email. `known` maps a name or an email
/// to whom it means; a name two people share means nobody (the writer is asked to use the
/// email). Each one once, in the order first mentioned, at most [`MAX_MENTIONS`]: one text
/// cannot page a whole company.
pub fn mentions<T: Copy + PartialEq>(text: &str, known: &std::collections::HashMap<String, Option<T>>) -> Vec<T> {
    let mut out: Vec<T> = vec![];
    for (at, _) in text.match_indices('@') {
        let rest = &text[at + 1..];
        // Candidates end where a character could end a name: try the longest first.
        let ends: Vec<usize> = rest.char_indices().map(|(i, c)| i + c.len_utf8()).take(64).collect();
        if let Some(who) = ends.iter().rev().find_map(|&end| known.get(&rest[..end]).copied().flatten())
            && !out.contains(&who)
        {
            out.push(who);
            if out.len() == MAX_MENTIONS {
                break;
            }
        }
    }
    out
}
