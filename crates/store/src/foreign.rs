//! Read-only queries against a business database, for connectors: PostgreSQL, MySQL / MariaDB
//! or SQLite. The query is the user's; it must return a `time` and a `value` column. It runs
//! wrapped in a read-only session with a statement timeout (and the whole call under a
//! deadline), so a connector can neither write to the source nor hang a server. Values come
//! back as text (time) and double (value) whatever the source's types were (NUMERIC, DECIMAL,
//! DATE, TIMESTAMP…), because the wrapper casts them in the source's own SQL.

use sqlx::any::install_default_drivers;
use sqlx::{Connection, Executor, Row};
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SourceEngine {
    Postgres,
    Mysql,
    Sqlite,
}

impl SourceEngine {
    /// The engine a connection string names, by its scheme.
    pub fn of(url: &str) -> Option<SourceEngine> {
        let scheme = url.split_once("://").map(|(s, _)| s.to_ascii_lowercase())?;
        match scheme.as_str() {
            "postgres" | "postgresql" => Some(SourceEngine::Postgres),
            "mysql" | "mariadb" => Some(SourceEngine::Mysql),
            "sqlite" => Some(SourceEngine::Sqlite),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            SourceEngine::Postgres => "postgres",
            SourceEngine::Mysql => "mysql",
            SourceEngine::Sqlite => "sqlite",
        }
    }
}

/// One row as the source gave it: the time as text, the value as a double (or nothing when
/// the source's value was NULL).
#[derive(Debug, Clone, PartialEq)]
pub struct SourceRow {
    pub time: Option<String>,
    pub value: Option<f64>,
}

/// Why a source could not be read, in words for the admin (the source's own message included).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SourceError {
    #[error("unsupported connection string: use postgres://, mysql://, mariadb:// or sqlite://")]
    Scheme,
    #[error("the query must be one SELECT (or WITH … SELECT) statement")]
    NotASelect,
    #[error("cannot connect: {0}")]
    Connect(String),
    #[error("the query failed: {0}")]
    Query(String),
    #[error("no answer within {0} s")]
    Timeout(u64),
    #[error("the query returned more than {0} rows")]
    TooMany(usize),
}

/// The user's query without trailing semicolons, if it is one SELECT / WITH statement.
pub fn clean_query(query: &str) -> Result<&str, SourceError> {
    let q = query.trim().trim_end_matches(|c: char| c == ';' || c.is_whitespace());
    let first: String = q.chars().take_while(|c| c.is_ascii_alphabetic()).collect::<String>().to_ascii_lowercase();
    if !(first == "select" || first == "with") || q.contains(';') {
        return Err(SourceError::NotASelect);
    }
    Ok(q)
}

/// Runs `query` read-only against `url` and returns at most `max_rows` rows, all within
/// `timeout`.
pub async fn read_rows(
    url: &str,
    query: &str,
    timeout: Duration,
    max_rows: usize,
) -> Result<Vec<SourceRow>, SourceError> {
    let engine = SourceEngine::of(url).ok_or(SourceError::Scheme)?;
    let q = clean_query(query)?;
    let secs = timeout.as_secs().max(1);
    match tokio::time::timeout(timeout, read(engine, url, q, secs, max_rows)).await {
        Ok(r) => r,
        Err(_) => Err(SourceError::Timeout(secs)),
    }
}

async fn read(
    engine: SourceEngine,
    url: &str,
    q: &str,
    secs: u64,
    max_rows: usize,
) -> Result<Vec<SourceRow>, SourceError> {
    install_default_drivers();
    let url = match engine {
        SourceEngine::Mysql => url.replacen("mariadb://", "mysql://", 1),
        // Opened read-only: the file is never created or written.
        SourceEngine::Sqlite => {
            let path = url.split_once("://").map(|(_, p)| p).unwrap_or("");
            let path = path.split('?').next().unwrap_or("");
            format!("sqlite://{path}?mode=ro")
        }
        SourceEngine::Postgres => url.to_string(),
    };
    let mut conn = sqlx::AnyConnection::connect(&url).await.map_err(|e| SourceError::Connect(short(&e)))?;
    let (setup, text, double): (&[String], &str, &str) = match engine {
        SourceEngine::Postgres => (
            &[
                "SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY".into(),
                format!("SET statement_timeout = {}", secs * 1000),
            ],
            "TEXT",
            "DOUBLE PRECISION",
        ),
        SourceEngine::Mysql => (&["SET SESSION TRANSACTION READ ONLY".into()], "CHAR", "DOUBLE"),
        SourceEngine::Sqlite => (&["PRAGMA query_only = ON".into()], "TEXT", "REAL"),
    };
    for s in setup {
        conn.execute(s.as_str()).await.map_err(|e| SourceError::Connect(short(&e)))?;
    }
    if engine == SourceEngine::Mysql {
        // MariaDB and MySQL name their statement timeouts differently; one of them applies.
        let _ = conn.execute(format!("SET SESSION max_statement_time = {secs}").as_str()).await;
        let _ = conn.execute(format!("SET SESSION max_execution_time = {}", secs * 1000).as_str()).await;
    }
    let sql = format!(
        "SELECT CAST(tandem_q.time AS {text}) AS t, CAST(tandem_q.value AS {double}) AS v FROM ({q}) tandem_q LIMIT {}",
        max_rows + 1
    );
    let rows = sqlx::query(&sql).fetch_all(&mut conn).await.map_err(|e| SourceError::Query(short(&e)))?;
    let _ = conn.close().await;
    if rows.len() > max_rows {
        return Err(SourceError::TooMany(max_rows));
    }
    rows.iter()
        .map(|r| {
            Ok(SourceRow {
                time: r.try_get::<Option<String>, _>(0).map_err(|e| SourceError::Query(short(&e)))?,
                value: r.try_get::<Option<f64>, _>(1).map_err(|e| SourceError::Query(short(&e)))?,
            })
        })
        .collect()
}

/// Makes a SQLite file holding what `script` creates (the demo's "sales" database). An existing
/// file is left as it is.
pub async fn create_sqlite_source(path: &std::path::Path, script: &str) -> Result<(), SourceError> {
    if path.exists() {
        return Ok(());
    }
    install_default_drivers();
    let url = format!("sqlite://{}?mode=rwc", path.display());
    let mut conn = sqlx::AnyConnection::connect(&url).await.map_err(|e| SourceError::Connect(short(&e)))?;
    conn.execute(script).await.map_err(|e| SourceError::Query(short(&e)))?;
    let _ = conn.close().await;
    Ok(())
}

/// The source's message without sqlx's wrapping, cut to a length a page can show.
fn short(e: &sqlx::Error) -> String {
    let s = match e {
        sqlx::Error::Database(d) => d.message().to_string(),
        other => other.to_string(),
    };
    s.chars().take(500).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn engines_by_scheme() {
        assert_eq!(SourceEngine::of("postgres://u@h/db"), Some(SourceEngine::Postgres));
        assert_eq!(SourceEngine::of("postgresql://h/db"), Some(SourceEngine::Postgres));
        assert_eq!(SourceEngine::of("MariaDB://root@h/db"), Some(SourceEngine::Mysql));
        assert_eq!(SourceEngine::of("mysql://root@h/db"), Some(SourceEngine::Mysql));
        assert_eq!(SourceEngine::of("sqlite:///tmp/x.db"), Some(SourceEngine::Sqlite));
        assert_eq!(SourceEngine::of("http://h"), None);
        assert_eq!(SourceEngine::of("nonsense"), None);
    }

    #[test]
    fn only_one_select() {
        assert_eq!(clean_query(" SELECT 1 AS time, 2 AS value ;; "), Ok("SELECT 1 AS time, 2 AS value"));
        assert!(clean_query("with x as (select 1) select * from x").is_ok());
        assert_eq!(clean_query("DELETE FROM t"), Err(SourceError::NotASelect));
        assert_eq!(clean_query("select 1; drop table t"), Err(SourceError::NotASelect));
        assert_eq!(clean_query(""), Err(SourceError::NotASelect));
    }

    #[tokio::test]
    async fn reads_sqlite_read_only() {
        let dir = std::env::temp_dir().join(format!("tandem-foreign-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("sales.db");
        let _ = std::fs::remove_file(&path);
        let url = format!("sqlite://{}?mode=rwc", path.display());
        {
            let mut c = sqlx::sqlite::SqliteConnection::connect(&url).await.unwrap();
            c.execute("CREATE TABLE sales (day TEXT, amount NUMERIC); INSERT INTO sales VALUES ('2026-11-01', 10.5), ('2026-11-02', 3)")
                .await
                .unwrap();
        }
        let src = format!("sqlite://{}", path.display());
        let rows =
            read_rows(&src, "SELECT day AS time, amount AS value FROM sales ORDER BY day", Duration::from_secs(5), 10)
                .await
                .unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0], SourceRow { time: Some("2026-11-01".into()), value: Some(10.5) });
        assert_eq!(rows[1].value, Some(3.0));
        // More rows than allowed: refused, not cut.
        let too_many =
            read_rows(&src, "SELECT day AS time, amount AS value FROM sales", Duration::from_secs(5), 1).await;
        assert_eq!(too_many, Err(SourceError::TooMany(1)));
        // A missing file is an error, and is not created.
        let missing = dir.join("missing.db");
        let r = read_rows(
            &format!("sqlite://{}", missing.display()),
            "SELECT 1 AS time, 1 AS value",
            Duration::from_secs(5),
            10,
        )
        .await;
        assert!(matches!(r, Err(SourceError::Connect(_))), "{r:?}");
        assert!(!missing.exists());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
