//! Goal-quality checks on a draft document (YAML or JSON), for the CLI and the import path.

use crate::error::Result;
use tandem_domain::lint::{Draft, Finding, lint};
use tandem_domain::{Invalid, Lang, Rule};

/// Parses a draft in the lint shape (`objectives: [{title, kind, key_results: [{title}]}]`,
/// YAML or JSON) and checks it.
pub fn lint_document(text: &str, lang: Lang) -> Result<Vec<Finding>> {
    let draft: Draft = serde_yaml_ng::from_str(text).map_err(|e| {
        tracing::debug!(error = %e, "unreadable draft");
        Invalid::new(format!("document ({e})"), Rule::Required)
    })?;
    Ok(lint(&draft, lang))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yaml_and_json_drafts() {
        let yaml = "objectives:\n  - title: 提升公司在华东市场的品牌影响力\n    kind: aspirational\n    key_results:\n      - title: 市场调研中品牌认知度提升30%\n      - title: 在华东地区举办3场行业峰会\n";
        let f = lint_document(yaml, Lang::Zh).unwrap();
        assert_eq!(
            f.iter().map(|f| (f.target.as_str(), f.rule)).collect::<Vec<_>>(),
            vec![("objectives[0].key_results[1]", "kr_is_activity")]
        );
        let json = r#"{"objectives": [{"title": "Complete the Q3 tasks", "key_results": [{"title": "Host 5 webinars"}, {"title": "Grow MRR to $60k"}]}]}"#;
        let f = lint_document(json, Lang::En).unwrap();
        assert_eq!(f.iter().map(|f| f.rule).collect::<Vec<_>>(), vec!["objective_is_task", "kr_is_activity"]);
        assert!(lint_document("objectives: [", Lang::En).is_err());
    }
}
