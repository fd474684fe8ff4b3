//! The use cases' one error type. The web edge turns each into a status, a stable code and a
//! message in the caller's language; causes are logged there, never sent.

use serde::Serialize;
use tandem_domain::{Invalid, Lang};

/// One refused row of an import: where (1-based line, column) and why.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RowError {
    pub row: usize,
    pub column: String,
    pub reason: String,
}

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("invalid input: {0}")]
    Invalid(#[from] Invalid),
    #[error("not found")]
    NotFound,
    #[error("forbidden")]
    Forbidden,
    /// Not allowed, for a reason worth naming (a stable code, a message per language).
    #[error("refused: {0}")]
    Refused(&'static str),
    /// An ingestion token used for anything but metric data.
    #[error("token scope")]
    TokenScope,
    #[error("not signed in")]
    Unauthenticated,
    #[error("wrong email or password")]
    BadCredentials,
    #[error("too many attempts")]
    RateLimited { retry_after_s: u64 },
    /// The email and password are right in several tenants: the caller chooses one.
    #[error("choose a tenant")]
    ChooseTenant(Vec<TenantChoice>),
    #[error("conflict: {0}")]
    Conflict(&'static str),
    #[error("import rejected: {} rows", .0.len())]
    ImportRejected(Vec<RowError>),
    #[error("internal: {0}")]
    Internal(String),
}

impl From<tandem_store::StoreError> for AppError {
    fn from(e: tandem_store::StoreError) -> Self {
        match e {
            tandem_store::StoreError::Conflict => AppError::Conflict("duplicate"),
            other => AppError::Internal(other.to_string()),
        }
    }
}

impl AppError {
    pub fn code(&self) -> &'static str {
        match self {
            AppError::Invalid(i) => i.code(),
            AppError::NotFound => "not_found",
            AppError::Forbidden => "forbidden",
            AppError::Refused(c) => c,
            AppError::TokenScope => "token_scope",
            AppError::Unauthenticated => "unauthenticated",
            AppError::BadCredentials => "bad_credentials",
            AppError::RateLimited { .. } => "rate_limited",
            AppError::ChooseTenant(_) => "ambiguous_account",
            AppError::Conflict(c) => c,
            AppError::ImportRejected(_) => "import_rejected",
            AppError::Internal(_) => "internal",
        }
    }

    pub fn message(&self, lang: Lang) -> String {
        match self {
            AppError::Invalid(i) => i.message(lang),
            AppError::NotFound => lang.pick("未找到该资源，或你无权查看", "Not found, or not visible to you").into(),
            AppError::Forbidden => lang.pick("你没有执行此操作的权限", "You are not allowed to do this").into(),
            AppError::Refused(what) => match (*what, lang) {
                ("metric_private", Lang::Zh) => "该指标的数据属于你无权查看的 KPI，不能读取或绑定".into(),
                ("metric_private", Lang::En) => {
                    "This metric's data belongs to a KPI you may not see; you cannot read or bind it".into()
                }
                (_, Lang::Zh) => "你没有执行此操作的权限".into(),
                (_, Lang::En) => "You are not allowed to do this".into(),
            },
            AppError::TokenScope => {
                lang.pick("这个令牌只能用于推送和读取指标数据", "This token may only push and read metric data").into()
            }
            AppError::Unauthenticated => lang.pick("请先登录", "Please sign in first").into(),
            AppError::BadCredentials => lang.pick("邮箱或密码不正确", "Wrong email or password").into(),
            AppError::RateLimited { retry_after_s: s } if *s < 60 => match lang {
                Lang::Zh => format!("尝试次数过多，请在 {s} 秒后重试"),
                Lang::En => format!("Too many attempts; try again in {s} seconds"),
            },
            AppError::RateLimited { retry_after_s } => match lang {
                Lang::Zh => format!("尝试次数过多，请在 {} 分钟后重试", retry_after_s.div_ceil(60)),
                Lang::En => format!("Too many attempts; try again in {} minutes", retry_after_s.div_ceil(60)),
            },
            AppError::ChooseTenant(_) => lang
                .pick(
                    "这个邮箱和密码在多家公司都有账号，请选择要登录的公司",
                    "This email and password have accounts in several companies; choose one",
                )
                .into(),
            AppError::Conflict(what) => match (*what, lang) {
                ("email_taken", Lang::Zh) => "该邮箱已被使用".into(),
                ("email_taken", Lang::En) => "This email is already in use".into(),
                ("slug_taken", Lang::Zh) => "该租户标识已被使用".into(),
                ("slug_taken", Lang::En) => "This tenant name is already taken".into(),
                ("wrong_password", Lang::Zh) => "当前密码不正确".into(),
                ("wrong_password", Lang::En) => "The current password is wrong".into(),
                ("last_admin", Lang::Zh) => "不能移除自己的管理员角色，请先让另一位管理员操作".into(),
                ("last_admin", Lang::En) => "You cannot remove your own admin role; ask another admin".into(),
                ("self_deactivate", Lang::Zh) => "不能停用自己的账号".into(),
                ("self_deactivate", Lang::En) => "You cannot deactivate your own account".into(),
                ("idempotency_key_reused", Lang::Zh) => "这个 Idempotency-Key 已用于另一批不同的数据点，未写入".into(),
                ("idempotency_key_reused", Lang::En) => {
                    "This Idempotency-Key was used for a different batch of points; nothing was written".into()
                }
                ("already_decided", Lang::Zh) => "该申请已被处理".into(),
                ("already_decided", Lang::En) => "This request has already been decided".into(),
                ("kpi_locked", Lang::Zh) => "周期已开始，KPI 已锁定：请提交变更申请，由 HR 审批".into(),
                ("kpi_locked", Lang::En) => {
                    "The cycle is running and the KPI is locked: file a change request for HR to approve".into()
                }
                ("not_running", Lang::Zh) => "只有进行中周期里的目标才能打卡更新".into(),
                ("not_running", Lang::En) => "Check-ins are for objectives of a running cycle".into(),
                ("check_in_locked", Lang::Zh) => "打卡记录只能由本人在提交后 30 分钟内、且在没有新打卡之前修改".into(),
                ("check_in_locked", Lang::En) => {
                    "A check-in can be corrected by its author for 30 minutes, until the next one is made".into()
                }
                ("not_reviewing", Lang::Zh) => "只有在周期评估阶段才能调整最终得分".into(),
                ("not_reviewing", Lang::En) => "Final scores are set while the cycle is in review".into(),
                ("cycle_closed", Lang::Zh) => "该周期已关闭，只读".into(),
                ("cycle_closed", Lang::En) => "This cycle is closed and read-only".into(),
                ("connector_busy", Lang::Zh) => "该连接器正在运行，请稍后再试".into(),
                ("connector_busy", Lang::En) => "This connector is running; try again shortly".into(),
                (_, Lang::Zh) => "与现有数据冲突".into(),
                (_, Lang::En) => "This conflicts with existing data".into(),
            },
            AppError::ImportRejected(rows) => match lang {
                Lang::Zh => format!("导入被拒绝：{} 处错误，未写入任何数据", rows.len()),
                Lang::En => format!("Import rejected: {} problems, nothing was written", rows.len()),
            },
            AppError::Internal(_) => lang.pick("服务器内部错误，请稍后重试", "Internal error; please try again").into(),
        }
    }
}

pub type Result<T, E = AppError> = std::result::Result<T, E>;

/// A company to choose at sign-in: the email and password are right in several.
#[derive(Debug, Clone, PartialEq)]
pub struct TenantChoice {
    pub slug: String,
    pub name: String,
}
