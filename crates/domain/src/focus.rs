//! Limits that keep focus (warnings, not errors): at most five objectives per owner per cycle,
//! two to four key results per objective.

use serde::Serialize;

pub const MAX_OBJECTIVES: usize = 5;
pub const MIN_KRS: usize = 2;
pub const MAX_KRS: usize = 4;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "rule", rename_all = "snake_case")]
pub enum FocusWarning {
    TooManyObjectives { count: usize },
    KrCount { count: usize },
}

pub fn objectives_per_owner(count: usize) -> Option<FocusWarning> {
    (count > MAX_OBJECTIVES).then_some(FocusWarning::TooManyObjectives { count })
}

pub fn krs_per_objective(count: usize) -> Option<FocusWarning> {
    (!(MIN_KRS..=MAX_KRS).contains(&count)).then_some(FocusWarning::KrCount { count })
}

impl FocusWarning {
    pub fn rule(self) -> &'static str {
        match self {
            FocusWarning::TooManyObjectives { .. } => "too_many_objectives",
            FocusWarning::KrCount { .. } => "kr_count",
        }
    }

    pub fn message(self, lang: crate::Lang) -> String {
        match (self, lang) {
            (FocusWarning::TooManyObjectives { count }, crate::Lang::Zh) => {
                format!("本周期有 {count} 个目标，超过 {MAX_OBJECTIVES} 个会分散精力")
            }
            (FocusWarning::TooManyObjectives { count }, crate::Lang::En) => {
                format!("{count} objectives in one cycle; more than {MAX_OBJECTIVES} dilutes focus")
            }
            (FocusWarning::KrCount { count }, crate::Lang::Zh) => {
                format!("该目标有 {count} 个关键结果，建议 {MIN_KRS}–{MAX_KRS} 个")
            }
            (FocusWarning::KrCount { count }, crate::Lang::En) => {
                format!("This objective has {count} key results; {MIN_KRS}–{MAX_KRS} is the usual range")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits() {
        assert_eq!(objectives_per_owner(5), None);
        assert_eq!(objectives_per_owner(6), Some(FocusWarning::TooManyObjectives { count: 6 }));
        assert_eq!(krs_per_objective(1).map(FocusWarning::rule), Some("kr_count"));
        assert_eq!(krs_per_objective(2), None);
        assert_eq!(krs_per_objective(4), None);
        assert!(krs_per_objective(5).is_some());
    }
}
