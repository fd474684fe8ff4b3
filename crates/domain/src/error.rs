//! Why a value was refused at the edge: a stable code and a message in both languages.

use crate::Lang;
use std::fmt;

/// A broken rule about one input value.
#[derive(Debug, Clone, PartialEq)]
pub enum Rule {
    Required,
    TooLong {
        max: usize,
    },
    BadEmail,
    PasswordTooShort {
        min: usize,
    },
    /// A password with a control character in it.
    PasswordControl,
    /// A password from the top of every guessing list.
    PasswordCommon,
    /// The new password is the current one.
    PasswordUnchanged,
    NotANumber,
    OutOfRange {
        min: f64,
        max: f64,
    },
    BadDate,
    EndBeforeStart,
    OneOf(&'static [&'static str]),
    BandOrder,
    Cycle,
    /// An alignment link (objective parent) would make a loop.
    AlignmentLoop,
    OutsideParent,
    BadTransition {
        from: &'static str,
        to: &'static str,
    },
    Duplicate,
    UnknownRef,
    /// Not a cron schedule of five fields (minute hour day month weekday), or more often than
    /// once a minute.
    BadSchedule,
    /// Not a connection string or URL of a supported kind.
    BadSource,
    /// A source Tandem may not read: its own database, or a file outside the sources folder.
    SourceNotAllowed,
    /// The server has no key to seal secrets with.
    NoSecretKey,
    /// An address Tandem will not connect to: loopback, private, link-local or reserved.
    NotPublic,
    /// A bot channel posts only to its vendor's hosts (these).
    VendorHost(&'static [&'static str]),
    /// A number too large in magnitude to be a real measurement (see `goal::MAX_MAGNITUDE`).
    TooLarge,
    /// A document nests lists or maps deeper than this.
    TooDeep {
        max: usize,
    },
    /// A list with more entries than this.
    TooMany {
        max: usize,
    },
    /// Text holding control characters (other than line breaks and tabs).
    NotText,
    /// Below zero in a unit that cannot be (a duration, a count, money).
    Negative {
        unit: String,
    },
    /// A period that has not begun yet.
    FuturePeriod,
    /// A period outside the cycle it is recorded in.
    OutsideCycle,
    /// The period already has this value; replacing it must be asked for.
    AlreadyRecorded {
        value: f64,
    },
    /// A comma that may be a decimal point or a thousands separator ("3,0").
    AmbiguousComma,
    /// Not a time zone of the IANA database.
    UnknownZone,
    /// An import would create these units: a tick must say so.
    ConfirmNewUnits {
        names: String,
    },
}

/// An input value that breaks a rule. `field` names the input as the caller sent it.
#[derive(Debug, Clone, PartialEq)]
pub struct Invalid {
    pub field: String,
    pub rule: Rule,
}

impl Invalid {
    pub fn new(field: impl Into<String>, rule: Rule) -> Self {
        Invalid { field: field.into(), rule }
    }

    /// The stable, machine-readable code of this refusal.
    pub fn code(&self) -> &'static str {
        match self.rule {
            Rule::Cycle => "org_cycle",
            Rule::AlignmentLoop => "alignment_loop",
            Rule::BadTransition { .. } => "bad_state_transition",
            Rule::Duplicate => "duplicate",
            Rule::AlreadyRecorded { .. } => "period_recorded",
            Rule::ConfirmNewUnits { .. } => "confirm_new_units",
            _ => "invalid_input",
        }
    }

    pub fn message(&self, lang: Lang) -> String {
        let f = &self.field;
        match (&self.rule, lang) {
            (Rule::Required, Lang::Zh) => format!("“{f}”不能为空"),
            (Rule::Required, Lang::En) => format!("“{f}” is required"),
            (Rule::TooLong { max }, Lang::Zh) => format!("“{f}”最多 {max} 个字符"),
            (Rule::TooLong { max }, Lang::En) => format!("“{f}” may have at most {max} characters"),
            (Rule::BadEmail, Lang::Zh) => format!("“{f}”不是有效的邮箱地址"),
            (Rule::BadEmail, Lang::En) => format!("“{f}” is not a valid email address"),
            (Rule::PasswordTooShort { min }, Lang::Zh) => format!("密码至少需要 {min} 个字符"),
            (Rule::PasswordTooShort { min }, Lang::En) => {
                format!("The password needs at least {min} characters")
            }
            (Rule::PasswordControl, Lang::Zh) => "密码不能包含控制字符（如制表符、换行）".to_string(),
            (Rule::PasswordControl, Lang::En) => {
                "The password may not contain control characters (tabs, line breaks…)".into()
            }
            (Rule::PasswordCommon, Lang::Zh) => "这个密码太常见，很容易被猜中，请换一个".to_string(),
            (Rule::PasswordCommon, Lang::En) => "This password is too common and easily guessed; choose another".into(),
            (Rule::PasswordUnchanged, Lang::Zh) => "新密码不能与当前密码相同".to_string(),
            (Rule::PasswordUnchanged, Lang::En) => "The new password must differ from the current one".into(),
            (Rule::NotANumber, Lang::Zh) => format!("“{f}”必须是数字"),
            (Rule::NotANumber, Lang::En) => format!("“{f}” must be a number"),
            (Rule::OutOfRange { min, max }, Lang::Zh) => {
                format!("“{f}”必须在 {min} 到 {max} 之间")
            }
            (Rule::OutOfRange { min, max }, Lang::En) => {
                format!("“{f}” must be between {min} and {max}")
            }
            (Rule::BadDate, Lang::Zh) => format!("“{f}”不是有效日期（格式 YYYY-MM-DD）"),
            (Rule::BadDate, Lang::En) => format!("“{f}” is not a valid date (YYYY-MM-DD)"),
            (Rule::EndBeforeStart, Lang::Zh) => "结束日期必须晚于开始日期".to_string(),
            (Rule::EndBeforeStart, Lang::En) => "The end date must be after the start date".into(),
            (Rule::OneOf(opts), Lang::Zh) => format!("“{f}”必须是以下之一：{}", opts.join("、")),
            (Rule::OneOf(opts), Lang::En) => format!("“{f}” must be one of: {}", opts.join(", ")),
            (Rule::BandOrder, Lang::Zh) => "颜色阈值必须满足 0 < 红 < 绿 ≤ 1".to_string(),
            (Rule::BandOrder, Lang::En) => "Band thresholds must satisfy 0 < red < green ≤ 1".to_string(),
            (Rule::Cycle, Lang::Zh) => "组织不能成为自己的下级".to_string(),
            (Rule::Cycle, Lang::En) => "An org unit cannot sit below itself".to_string(),
            (Rule::AlignmentLoop, Lang::Zh) => "目标不能对齐到自己的下级目标".to_string(),
            (Rule::AlignmentLoop, Lang::En) => "An objective cannot align to one aligned below it".to_string(),
            (Rule::OutsideParent, Lang::Zh) => "子周期必须落在父周期的日期范围内".to_string(),
            (Rule::OutsideParent, Lang::En) => "A nested cycle must lie within its parent's dates".to_string(),
            (Rule::BadTransition { from, to }, Lang::Zh) => {
                format!("周期状态不能从 {from} 变为 {to}")
            }
            (Rule::BadTransition { from, to }, Lang::En) => {
                format!("A cycle cannot move from {from} to {to}")
            }
            (Rule::Negative { unit }, Lang::Zh) => format!("“{f}”不能为负数：以“{unit}”计的时长、数量或金额不会小于 0"),
            (Rule::Negative { unit }, Lang::En) => {
                format!("“{f}” cannot be negative: a duration, count or amount in “{unit}” is never below 0")
            }
            (Rule::FuturePeriod, Lang::Zh) => format!("“{f}”还没有开始：只能填写已开始的期间"),
            (Rule::FuturePeriod, Lang::En) => {
                format!("“{f}” has not begun yet: values are recorded for periods under way or past")
            }
            (Rule::OutsideCycle, Lang::Zh) => {
                format!("“{f}”不在这个指标的周期内：周期结束后的期间属于下一周期，历史最多追溯一年")
            }
            (Rule::OutsideCycle, Lang::En) => {
                format!(
                    "“{f}” lies outside this KPI's cycle: periods after it belong to the next cycle, history reaches back a year"
                )
            }
            (Rule::AlreadyRecorded { value }, Lang::Zh) => {
                format!("这一期已记录为 {}：确认替换后再提交", crate::goal::display_number(*value))
            }
            (Rule::AlreadyRecorded { value }, Lang::En) => {
                format!(
                    "This period is already recorded as {}: confirm the replacement and submit again",
                    crate::goal::display_number(*value)
                )
            }
            (Rule::AmbiguousComma, Lang::Zh) => {
                format!("“{f}”中的逗号有歧义：小数请用点（如 3.5），千位分隔请写满三位（如 1,250）")
            }
            (Rule::AmbiguousComma, Lang::En) => {
                format!(
                    "The comma in “{f}” is ambiguous: write decimals with a point (3.5), thousands in full groups (1,250)"
                )
            }
            (Rule::ConfirmNewUnits { names }, Lang::Zh) => {
                format!("导入会新建这些部门：{names}。请确认没有写错，勾选“新建这些部门”后再导入")
            }
            (Rule::ConfirmNewUnits { names }, Lang::En) => {
                format!(
                    "The import would create these units: {names}. Check the spelling and tick “create these units” to import"
                )
            }
            (Rule::UnknownZone, Lang::Zh) => format!("“{f}”不是已知的时区（例如 Asia/Shanghai、Europe/Berlin）"),
            (Rule::UnknownZone, Lang::En) => {
                format!("“{f}” is not a known time zone (e.g. Asia/Shanghai, Europe/Berlin)")
            }
            (Rule::Duplicate, Lang::Zh) => format!("“{f}”已存在"),
            (Rule::Duplicate, Lang::En) => format!("“{f}” already exists"),
            (Rule::UnknownRef, Lang::Zh) => format!("“{f}”指向的对象不存在"),
            (Rule::UnknownRef, Lang::En) => {
                format!("“{f}” refers to something that does not exist")
            }
            (Rule::BadSchedule, Lang::Zh) => {
                format!(
                    "“{f}”不是有效的 cron 计划（分 时 日 月 周，例如 0 6 * * * 表示每天 06:00），且间隔不少于 1 分钟"
                )
            }
            (Rule::BadSchedule, Lang::En) => format!(
                "“{f}” is not a valid cron schedule (minute hour day month weekday, e.g. 0 6 * * * for 06:00 daily) of at most once a minute"
            ),
            (Rule::BadSource, Lang::Zh) => {
                format!("“{f}”须是 postgres://、mysql://、mariadb://、sqlite:// 连接串或 http(s):// 地址")
            }
            (Rule::BadSource, Lang::En) => {
                format!(
                    "“{f}” must be a postgres://, mysql://, mariadb:// or sqlite:// connection string, or an http(s):// URL"
                )
            }
            (Rule::SourceNotAllowed, Lang::Zh) => {
                format!("“{f}”不允许：不能读取 Tandem 自己的数据库，SQLite 文件须位于数据源目录内")
            }
            (Rule::SourceNotAllowed, Lang::En) => format!(
                "“{f}” is not allowed: Tandem's own database cannot be read, and SQLite files must lie in the sources folder"
            ),
            (Rule::NotPublic, Lang::Zh) => {
                format!("“{f}”指向本机、内网或保留地址，Tandem 不会连接（运维可用 TANDEM_OUTBOUND_ALLOW 放行）")
            }
            (Rule::NotPublic, Lang::En) => format!(
                "“{f}” points to a loopback, private or reserved address; Tandem will not connect to it (an operator may allow it with TANDEM_OUTBOUND_ALLOW)"
            ),
            (Rule::VendorHost(hosts), Lang::Zh) => format!("“{f}”须是该机器人平台的地址（{}）", hosts.join("、")),
            (Rule::VendorHost(hosts), Lang::En) => {
                format!("“{f}” must be the bot platform's own address ({})", hosts.join(", "))
            }
            (Rule::TooLarge, Lang::Zh) => format!("“{f}”数值过大（绝对值须小于 10^15），不像是真实数据"),
            (Rule::TooLarge, Lang::En) => {
                format!("“{f}” is too large to be a real value (its magnitude must be below 10^15)")
            }
            (Rule::TooDeep { max }, Lang::Zh) => format!("“{f}”嵌套层数过多（最多 {max} 层），未读取"),
            (Rule::TooDeep { max }, Lang::En) => {
                format!("“{f}” nests too deeply (at most {max} levels); nothing was read")
            }
            (Rule::TooMany { max }, Lang::Zh) => format!("“{f}”最多 {max} 项"),
            (Rule::TooMany { max }, Lang::En) => format!("“{f}” may hold at most {max} entries"),
            (Rule::NotText, Lang::Zh) => format!("“{f}”含有不可见的控制字符"),
            (Rule::NotText, Lang::En) => format!("“{f}” holds control characters"),
            (Rule::NoSecretKey, Lang::Zh) => "服务器未配置密钥（TANDEM_SECRET_KEY），无法加密保存凭据".to_string(),
            (Rule::NoSecretKey, Lang::En) => {
                "The server has no secret key (TANDEM_SECRET_KEY) to encrypt credentials with".to_string()
            }
        }
    }
}

impl fmt::Display for Invalid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message(Lang::En))
    }
}

impl std::error::Error for Invalid {}
