//! The database handle: engine choice, connection settings, migrations, ids and the write path.

use crate::error::{Result, StoreError};
use crate::events::EventRecord;
use sqlx::any::{AnyPoolOptions, install_default_drivers};
use sqlx::{Any, AnyPool, Executor, Transaction};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{Mutex, OwnedMutexGuard};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    Postgres,
}

/// Ids are handed out from blocks reserved in the database, so every app server sharing one
/// PostgreSQL gets unique ids without a round trip (or a lock) per insert.
#[derive(Debug)]
struct IdBlock {
    next: i64,
    end: i64,
}

const ID_BLOCK: i64 = 1000;

#[derive(Clone)]
pub struct Db {
    pool: AnyPool,
    engine: Engine,
    /// SQLite allows one writer at a time; taking turns here avoids busy errors and lock upgrades.
    writer: Option<Arc<Mutex<()>>>,
    ids: Arc<Mutex<IdBlock>>,
    /// PostgreSQL: a connection or two of their own for taking id blocks, so a write that needs
    /// ids never waits for a connection that other writes (waiting for ids) hold.
    id_pool: Option<AnyPool>,
}

impl std::fmt::Debug for Db {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Db").field("engine", &self.engine).finish()
    }
}

impl Db {
    /// Opens `sqlite://PATH` or `postgres://…`.
    pub async fn connect(url: &str) -> Result<Db> {
        Self::connect_in_schema(url, None).await
    }

    /// Opens a PostgreSQL database with every connection working in `schema` (tests use one
    /// schema each, so they can run side by side in one database).
    pub async fn connect_in_schema(url: &str, schema: Option<String>) -> Result<Db> {
        install_default_drivers();
        let engine = if url.starts_with("sqlite:") {
            Engine::Sqlite
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Engine::Postgres
        } else {
            return Err(StoreError::Config(format!("expected sqlite:// or postgres://, got {url}")));
        };
        let opts = AnyPoolOptions::new().acquire_timeout(Duration::from_secs(30));
        let (pool, id_pool) = match engine {
            Engine::Sqlite => {
                let pool = opts
                    .max_connections(8)
                    .after_connect(|conn, _| {
                        Box::pin(async move {
                            conn.execute(
                                "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; \
                                 PRAGMA busy_timeout = 10000; PRAGMA foreign_keys = ON;",
                            )
                            .await?;
                            Ok(())
                        })
                    })
                    .connect(url)
                    .await?;
                (pool, None)
            }
            Engine::Postgres => {
                let schema = schema.map(|s| s.replace('"', ""));
                let pg_pool = |opts: AnyPoolOptions, max: u32| {
                    let schema = schema.clone();
                    opts.max_connections(max).after_connect(move |conn, _| {
                        let schema = schema.clone();
                        Box::pin(async move {
                            if let Some(s) = schema {
                                conn.execute(format!("SET search_path TO \"{s}\"").as_str()).await?;
                            }
                            Ok(())
                        })
                    })
                };
                let pool = pg_pool(opts.clone(), 16).connect(url).await?;
                let ids = pg_pool(opts, 2).min_connections(0).connect(url).await?;
                (pool, Some(ids))
            }
        };
        Ok(Db {
            pool,
            engine,
            writer: (engine == Engine::Sqlite).then(|| Arc::new(Mutex::new(()))),
            ids: Arc::new(Mutex::new(IdBlock { next: 0, end: 0 })),
            id_pool,
        })
    }

    pub fn engine(&self) -> Engine {
        self.engine
    }

    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    pub async fn migrate(&self) -> Result<()> {
        match self.engine {
            Engine::Sqlite => sqlx::migrate!("./migrations/sqlite").run(&self.pool).await?,
            Engine::Postgres => sqlx::migrate!("./migrations/postgres").run(&self.pool).await?,
        }
        Ok(())
    }

    pub async fn close(&self) {
        self.pool.close().await;
        if let Some(p) = &self.id_pool {
            p.close().await;
        }
    }

    /// A fresh id, unique across the whole database.
    pub async fn next_id(&self) -> Result<i64> {
        let mut block = self.ids.lock().await;
        if block.next >= block.end {
            let end = refill(self.id_pool.as_ref().unwrap_or(&self.pool), block.end).await?;
            *block = IdBlock { next: end - ID_BLOCK, end };
        }
        block.next += 1;
        Ok(block.next - 1)
    }

    /// Starts the one kind of write there is: a transaction that commits its events with it.
    pub async fn begin(&self) -> Result<Tx> {
        let guard = match &self.writer {
            Some(m) => Some(m.clone().lock_owned().await),
            None => None,
        };
        let tx = self.pool.begin().await?;
        Ok(Tx {
            db: self.clone(),
            tx,
            _turn: guard,
            events: 0,
            refilled: Refilled { ids: self.ids.clone(), end: None },
        })
    }
}

/// Takes the next block of ids: past `floor` (the end of the last block this process took) as
/// well as past what the database says, so a block taken in a write that was rolled back is
/// never handed out twice.
async fn refill<'c>(e: impl sqlx::Executor<'c, Database = Any>, floor: i64) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "UPDATE id_blocks SET next_id = (CASE WHEN next_id > $2 THEN next_id ELSE $2 END) + $1 \
         WHERE name = 'global' RETURNING next_id",
    )
    .bind(ID_BLOCK)
    .bind(floor)
    .fetch_one(e)
    .await?)
}

/// A block of ids taken inside a write (SQLite): if the write is rolled back, so is the block's
/// record in the database, and the block must not be used on.
struct Refilled {
    ids: Arc<Mutex<IdBlock>>,
    end: Option<i64>,
}

impl Drop for Refilled {
    fn drop(&mut self) {
        if let Some(end) = self.end
            && let Ok(mut b) = self.ids.try_lock()
            && b.end == end
        {
            b.next = b.end;
        }
    }
}

/// A write in progress. Dropping it without [`Tx::commit`] rolls everything back.
pub struct Tx {
    db: Db,
    tx: Transaction<'static, Any>,
    _turn: Option<OwnedMutexGuard<()>>,
    events: usize,
    refilled: Refilled,
}

impl Tx {
    pub fn engine(&self) -> Engine {
        self.db.engine
    }

    pub fn conn(&mut self) -> &mut sqlx::AnyConnection {
        &mut self.tx
    }

    /// A fresh id. On SQLite a new block is taken inside this write: this write already holds
    /// the database's one write lock, so taking it on another connection would wait for this
    /// write to end, which waits for the id. On PostgreSQL it is taken apart from this write, so
    /// writers of every server never queue on the block row.
    pub async fn next_id(&mut self) -> Result<i64> {
        if self.db.engine != Engine::Sqlite {
            return self.db.next_id().await;
        }
        let mut block = self.db.ids.lock().await;
        if block.next >= block.end {
            let end = refill(&mut *self.tx, block.end).await?;
            *block = IdBlock { next: end - ID_BLOCK, end };
            self.refilled.end = Some(end);
        }
        block.next += 1;
        Ok(block.next - 1)
    }

    /// Appends to the event log inside this transaction.
    pub async fn record(&mut self, e: EventRecord) -> Result<i64> {
        let seq = self.next_id().await?;
        crate::events::insert(&mut self.tx, seq, &e).await?;
        self.events += 1;
        Ok(seq)
    }

    /// How many events this write has recorded so far.
    pub fn event_count(&self) -> usize {
        self.events
    }

    pub async fn commit(mut self) -> Result<()> {
        let done = self.tx.commit().await;
        if done.is_ok() {
            // The block's record is durable now: keep using it.
            self.refilled.end = None;
        }
        Ok(done?)
    }
}

/// A statement being built on the `Any` driver.
pub type AnyQuery<'q> = sqlx::query::Query<'q, Any, sqlx::any::AnyArguments<'q>>;

/// Inserts `rows` with multi-row statements (bulk paths): `cols` names the `width` columns,
/// `bind` binds one row's values in that order, and `suffix` (e.g. `ON CONFLICT DO NOTHING`)
/// ends each statement. Statements stay under every engine's limit on bound parameters.
/// Answers how many rows the statements touched.
pub async fn bulk_insert<R>(
    tx: &mut Tx,
    table: &str,
    cols: &str,
    width: usize,
    suffix: &str,
    rows: &[R],
    bind: impl for<'q> Fn(AnyQuery<'q>, &R) -> AnyQuery<'q>,
) -> Result<u64> {
    let per = (6_000 / width.max(1)).max(1);
    let mut touched = 0;
    for chunk in rows.chunks(per) {
        let mut sql = multi_row_insert(tx.engine(), table, cols, chunk.len(), width);
        if !suffix.is_empty() {
            sql.push(' ');
            sql.push_str(suffix);
        }
        let mut q = sqlx::query(&sql);
        for r in chunk {
            q = bind(q, r);
        }
        touched += q.execute(tx.conn()).await?.rows_affected();
    }
    Ok(touched)
}

/// `INSERT INTO table (cols) VALUES ($1, …), ($k, …), …` for `rows` rows of `width` values each:
/// the start of a multi-row insert (bulk paths bind the values in row order). SQLite gets
/// anonymous `?` placeholders: it looks a numbered one up by name in a list, so binding
/// thousands of them costs time quadratic in their number (a 10,000-point batch spent 90% of
/// its time there).
pub fn multi_row_insert(engine: Engine, table: &str, cols: &str, rows: usize, width: usize) -> String {
    let mut sql = format!("INSERT INTO {table} ({cols}) VALUES ");
    for r in 0..rows {
        if r > 0 {
            sql.push_str(", ");
        }
        sql.push('(');
        for c in 1..=width {
            if c > 1 {
                sql.push_str(", ");
            }
            match engine {
                Engine::Sqlite => sql.push('?'),
                Engine::Postgres => {
                    sql.push('$');
                    sql.push_str(&(r * width + c).to_string());
                }
            }
        }
        sql.push(')');
    }
    sql
}

#[cfg(test)]
mod tests {
    #[test]
    fn multi_row_placeholders_count_on() {
        use crate::Engine::{Postgres, Sqlite};
        assert_eq!(
            super::multi_row_insert(Postgres, "t", "a, b", 2, 2),
            "INSERT INTO t (a, b) VALUES ($1, $2), ($3, $4)"
        );
        assert_eq!(super::multi_row_insert(Postgres, "t", "a", 1, 1), "INSERT INTO t (a) VALUES ($1)");
        assert_eq!(super::multi_row_insert(Sqlite, "t", "a, b", 2, 2), "INSERT INTO t (a, b) VALUES (?, ?), (?, ?)");
    }
}
