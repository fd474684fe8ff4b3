//! Fresh, isolated databases for tests: a temporary SQLite file, or a PostgreSQL schema of its
//! own in the test database. Used by this crate's conformance suite and by the other crates'
//! tests; compiled only with the `testing` feature or in tests.

use crate::{Db, Engine};

/// The PostgreSQL the tests use: `TANDEM_TEST_DATABASE_URL`, else the local `test` database.
pub fn pg_url() -> String {
    std::env::var("TANDEM_TEST_DATABASE_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

/// Whether the PostgreSQL half of the suite was switched off (only for machines without one;
/// CI never sets this).
pub fn pg_disabled() -> bool {
    std::env::var("TANDEM_TEST_NO_POSTGRES").is_ok_and(|v| v == "1")
}

pub struct TestDb {
    pub db: Db,
    cleanup: Cleanup,
}

enum Cleanup {
    File(std::path::PathBuf),
    Schema(String),
}

fn unique_name(prefix: &str) -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
    format!("{prefix}_{}_{}_{}", std::process::id(), nanos % 1_000_000_000_000, N.fetch_add(1, Ordering::Relaxed))
}

impl TestDb {
    /// A migrated, empty database on `engine`.
    pub async fn new(engine: Engine) -> TestDb {
        match engine {
            Engine::Sqlite => {
                let path = std::env::temp_dir().join(format!("{}.db", unique_name("tandem_test")));
                let db = Db::connect(&format!("sqlite://{}?mode=rwc", path.display()))
                    .await
                    .unwrap_or_else(|e| panic!("cannot open SQLite at {}: {e}", path.display()));
                db.migrate().await.unwrap_or_else(|e| panic!("SQLite migration failed: {e}"));
                TestDb { db, cleanup: Cleanup::File(path) }
            }
            Engine::Postgres => {
                let url = pg_url();
                let schema = unique_name("t");
                let admin = Db::connect(&url).await.unwrap_or_else(|e| {
                    panic!("PostgreSQL is required for this test at {url} ({e}); start it, or set TANDEM_TEST_NO_POSTGRES=1 on a machine without one")
                });
                sqlx::query(&format!("CREATE SCHEMA \"{schema}\""))
                    .execute(admin.pool())
                    .await
                    .unwrap_or_else(|e| panic!("cannot create schema: {e}"));
                admin.close().await;
                let db = Db::connect_in_schema(&url, Some(schema.clone()))
                    .await
                    .unwrap_or_else(|e| panic!("cannot open PostgreSQL: {e}"));
                db.migrate().await.unwrap_or_else(|e| panic!("PostgreSQL migration failed: {e}"));
                TestDb { db, cleanup: Cleanup::Schema(schema) }
            }
        }
    }

    /// A second handle on the same database, as a second app server would have.
    pub async fn second_handle(&self) -> Db {
        match &self.cleanup {
            Cleanup::File(p) => Db::connect(&format!("sqlite://{}?mode=rwc", p.display())).await,
            Cleanup::Schema(s) => Db::connect_in_schema(&pg_url(), Some(s.clone())).await,
        }
        .unwrap_or_else(|e| panic!("second handle: {e}"))
    }

    /// Drops what the test made.
    pub async fn finish(self) {
        self.db.close().await;
        match self.cleanup {
            Cleanup::File(p) => {
                for suffix in ["", "-wal", "-shm"] {
                    let _ = std::fs::remove_file(format!("{}{suffix}", p.display()));
                }
            }
            Cleanup::Schema(s) => {
                if let Ok(admin) = Db::connect(&pg_url()).await {
                    let _ = sqlx::query(&format!("DROP SCHEMA \"{s}\" CASCADE")).execute(admin.pool()).await;
                    admin.close().await;
                }
            }
        }
    }
}

/// Runs a test body once per engine; PostgreSQL is skipped only where explicitly switched off.
#[macro_export]
macro_rules! on_both_engines {
    ($($name:ident => $body:ident;)*) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let t = $crate::testing::TestDb::new($crate::Engine::Sqlite).await;
                super::$body(&t).await;
                t.finish().await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                if $crate::testing::pg_disabled() {
                    eprintln!("PostgreSQL switched off by TANDEM_TEST_NO_POSTGRES=1");
                    return;
                }
                let t = $crate::testing::TestDb::new($crate::Engine::Postgres).await;
                super::$body(&t).await;
                t.finish().await;
            }
        }
    )*};
}
