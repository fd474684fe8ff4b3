//! The live goal projection of each tenant: built once from the database, then kept current in
//! place by this server's check-ins (one key result changes and its ancestors are walked,
//! O(depth)), and rebuilt only when a write this server cannot apply happened (another server's,
//! or a structural change such as a new objective).
//!
//! Every goal write bumps the tenant's goals version inside its transaction, so versions are
//! handed out in commit order. A check-in hands its changes to the cache after it commits,
//! tagged with its version, and the cache applies them strictly in version order: a write that
//! arrives before an earlier one waits in `pending`. A reader that finds the database ahead of
//! the cache waits briefly while this server still has writes between commit and apply, and
//! otherwise rebuilds. The database stays the only truth; the cache is never ahead of it.

use crate::App;
use crate::error::{AppError, Result};
use crate::goals::snapshot::{GoalSnapshot, cycle_span_us};
use crate::org::chart::OrgSnapshot;
use parking_lot::{ArcRwLockReadGuard, RawRwLock, RwLock};
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use tandem_domain::score::BandThresholds;
use tandem_store::goals;

/// A tenant's goal projection, read-locked. Not `Send`: hold it only between awaits, never
/// across one (the compiler refuses a handler that does).
pub type GoalsRead = ArcRwLockReadGuard<RawRwLock, GoalSnapshot>;

/// How long a reader waits for this server's own committed writes to be applied before it
/// rebuilds instead. Waiting longer (as long as the last rebuild took) was tried: with two
/// servers the gap is mostly the other server's writes, so readers waited and then rebuilt
/// anyway (`bench scale-out` at 2,000, two servers: p50 280 ms, against 67 ms waiting 50 ms).
const WAIT_FOR_LOCAL: Duration = Duration::from_millis(50);

/// A committed change the projection applies in place.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Applied {
    Kr(KrWrite),
    /// A cycle created, or its state or dates changed (as a cycle's state goes into review or
    /// closes, the whole tenant need not be read again).
    Cycle {
        id: i64,
        state: String,
        start: String,
        end: String,
    },
}

/// One key result's committed change, as a check-in (or its correction) made it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct KrWrite {
    pub kr: i64,
    /// The KR's value and change time after the write.
    pub current: f64,
    pub at: i64,
    /// The check-in: its time, value and confidence (-1: none).
    pub check_in: (i64, f64, i64),
    /// What the KR held before (kept for a first check-in).
    pub previous: f64,
    /// A correction of the check-in at `check_in.0` rather than a new one.
    pub edited: bool,
}

impl GoalSnapshot {
    /// Applies this server's writes of `version`, and any waiting ones that now follow on.
    /// Answers how many versions were applied.
    fn offer(&mut self, version: i64, writes: Vec<Applied>) -> u64 {
        if version > self.version {
            self.pending.insert(version, writes);
        }
        self.drain()
    }

    fn drain(&mut self) -> u64 {
        let current = self.version;
        self.pending.retain(|&v, _| v > current);
        let mut applied = 0;
        while let Some(writes) = self.pending.remove(&(self.version + 1)) {
            self.version += 1;
            applied += 1;
            for w in writes {
                let known = match &w {
                    Applied::Kr(k) => self.apply(k),
                    Applied::Cycle { id, state, start, end } => {
                        self.cycle_states.insert(*id, state.clone());
                        match cycle_span_us(start, end) {
                            Some(span) => self.spans.insert(*id, span),
                            None => self.spans.remove(id),
                        };
                        // Key results not started count once their cycle ends (and no longer
                        // if it reopens).
                        let in_cycle: Vec<usize> = (0..self.key_results.len())
                            .filter(|&i| {
                                self.objective(self.key_results[i].objective_id).is_some_and(|o| o.cycle_id == *id)
                            })
                            .collect();
                        for i in in_cycle {
                            self.rescore(i);
                        }
                        true
                    }
                };
                if !known {
                    // Something this projection does not hold: no longer trusted, rebuilt on the next read.
                    self.version = i64::MIN;
                    self.pending.clear();
                    return applied;
                }
            }
        }
        applied
    }

    /// One key result's change, in place. A change the projection already holds (a rebuild may
    /// read rows newer than the version it read) is left alone, so applying is idempotent and a
    /// late change never overwrites a newer one. Answers false when the key result is unknown.
    fn apply(&mut self, w: &KrWrite) -> bool {
        let Some(&i) = self.kr_at.get(&w.kr) else { return false };
        let k = &mut self.key_results[i];
        if w.at <= k.updated_at {
            return true;
        }
        k.current = w.current;
        k.updated_at = w.at;
        let history = self.check_ins.entry(w.kr).or_default();
        if w.edited {
            if let Some(e) = history.iter_mut().rev().find(|e| e.0 == w.check_in.0) {
                *e = w.check_in;
            }
        } else {
            if history.is_empty() {
                self.before_first.insert(w.kr, w.previous);
            }
            history.push(w.check_in);
        }
        self.rescore(i);
        true
    }
}

/// The cache of live projections and the bookkeeping of writes between commit and apply.
#[derive(Default)]
pub(crate) struct Live {
    cells: std::sync::Mutex<HashMap<i64, Arc<RwLock<GoalSnapshot>>>>,
    /// One rebuild at a time per tenant.
    rebuilds: std::sync::Mutex<HashMap<i64, Arc<tokio::sync::Mutex<()>>>>,
    /// Writes of this server that have begun and not yet been handed to the cache.
    in_flight: AtomicUsize,
    applied: tokio::sync::Notify,
    /// The last frozen copy handed out per tenant (see [`App::goal_snapshot`]).
    frozen: std::sync::Mutex<HashMap<i64, Arc<GoalSnapshot>>>,
    rebuilt: std::sync::atomic::AtomicU64,
    applied_writes: std::sync::atomic::AtomicU64,
}

/// How the live projections have been kept current since the server started.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LiveStats {
    /// Projections read whole from the database.
    pub rebuilds: u64,
    /// Committed writes applied in place.
    pub applied: u64,
}

impl Live {
    fn cell(&self, tenant: i64) -> Result<Option<Arc<RwLock<GoalSnapshot>>>> {
        Ok(self.cells.lock().map_err(|_| AppError::Internal("cache poisoned".into()))?.get(&tenant).cloned())
    }
}

/// A goal write in progress on this server. Readers that find the database ahead of the cache
/// wait for it (briefly) instead of rebuilding. Dropped without `apply` (the write failed), it
/// simply stops being waited for.
pub(crate) struct GoalWrite {
    live: Arc<Live>,
}

impl GoalWrite {
    /// Hands the committed writes of `version` to the tenant's projection.
    pub(crate) fn apply(self, tenant: i64, version: i64, writes: Vec<KrWrite>) {
        self.apply_all(tenant, version, writes.into_iter().map(Applied::Kr).collect());
    }

    /// Hands any committed changes of `version` to the tenant's projection.
    pub(crate) fn apply_all(self, tenant: i64, version: i64, writes: Vec<Applied>) {
        if let Ok(Some(cell)) = self.live.cell(tenant) {
            let n = cell.write().offer(version, writes);
            self.live.applied_writes.fetch_add(n, Ordering::Relaxed);
        }
    }
}

impl Drop for GoalWrite {
    fn drop(&mut self) {
        self.live.in_flight.fetch_sub(1, Ordering::SeqCst);
        self.live.applied.notify_waiters();
    }
}

/// What a page or an answer reads: the goals, the org chart and the band thresholds, each as
/// current as the database, from one read of the tenant row.
pub struct Views {
    pub org: Arc<OrgSnapshot>,
    pub bands: BandThresholds,
    pub goals: GoalsRead,
}

impl App {
    pub fn live_stats(&self) -> LiveStats {
        LiveStats {
            rebuilds: self.live.rebuilt.load(Ordering::Relaxed),
            applied: self.live.applied_writes.load(Ordering::Relaxed),
        }
    }

    /// Starts a goal write that will be applied in place after it commits.
    pub(crate) fn goal_write(&self) -> GoalWrite {
        self.live.in_flight.fetch_add(1, Ordering::SeqCst);
        GoalWrite { live: self.live.clone() }
    }

    /// The tenant's goals, org chart and bands, as current as the database.
    pub async fn views(&self, tenant: i64) -> Result<Views> {
        let st = tandem_store::tenants::state(&self.db, tenant).await?.ok_or(AppError::NotFound)?;
        let org = self.org_snapshot_at(tenant, st.org_version).await?;
        let goals = self.goals_at(tenant, st.goals_version).await?;
        Ok(Views { org, bands: BandThresholds::new(st.band_yellow, st.band_green).unwrap_or_default(), goals })
    }

    /// The tenant's live goal projection, as current as the database, read-locked: for answers
    /// computed between two awaits.
    pub async fn live_goals(&self, tenant: i64) -> Result<GoalsRead> {
        let version = goals::version(&self.db, tenant).await?;
        self.goals_at(tenant, version).await
    }

    /// A frozen copy of the tenant's goal projection, as current as the database, that may be
    /// held across awaits (by writes that check against it, then write). Copied once per
    /// version; hot reads use [`App::views`] or [`App::live_goals`] and copy nothing.
    pub async fn goal_snapshot(&self, tenant: i64) -> Result<Arc<GoalSnapshot>> {
        let live = self.live_goals(tenant).await?;
        let mut frozen = self.live.frozen.lock().map_err(|_| AppError::Internal("cache poisoned".into()))?;
        if let Some(f) = frozen.get(&tenant).filter(|f| f.version == live.version) {
            return Ok(f.clone());
        }
        let copy = Arc::new(live.clone());
        frozen.insert(tenant, copy.clone());
        Ok(copy)
    }

    /// The projection at `version` or newer.
    async fn goals_at(&self, tenant: i64, version: i64) -> Result<GoalsRead> {
        let fresh = |cell: &Arc<RwLock<GoalSnapshot>>| Some(cell.read_arc()).filter(|g| g.version >= version);
        if let Some(cell) = self.live.cell(tenant)? {
            let deadline = tokio::time::Instant::now() + WAIT_FOR_LOCAL;
            loop {
                let applied = self.live.applied.notified();
                if let Some(g) = fresh(&cell) {
                    return Ok(g);
                }
                // The gap may be this server's own writes, committed and about to be applied.
                if self.live.in_flight.load(Ordering::SeqCst) == 0
                    || tokio::time::timeout_at(deadline, applied).await.is_err()
                {
                    break;
                }
            }
        }
        // One rebuild at a time per tenant: those who wait take the one just built when it is
        // at least as new as what they asked for, instead of all reading the tenant at once.
        let turn = {
            let mut locks = self.live.rebuilds.lock().map_err(|_| AppError::Internal("cache poisoned".into()))?;
            locks.entry(tenant).or_default().clone()
        };
        let _turn = turn.lock().await;
        if let Some(g) = self.live.cell(tenant)?.and_then(|c| fresh(&c)) {
            return Ok(g);
        }
        let built = self.build_goals(tenant).await?;
        self.live.rebuilt.fetch_add(1, Ordering::Relaxed);
        let cell = {
            let mut cells = self.live.cells.lock().map_err(|_| AppError::Internal("cache poisoned".into()))?;
            match cells.get(&tenant) {
                Some(c) => c.clone(),
                None => {
                    let c = Arc::new(RwLock::new(built));
                    cells.insert(tenant, c.clone());
                    return Ok(c.read_arc());
                }
            }
        };
        {
            let mut g = cell.write();
            if built.version > g.version {
                let pending = std::mem::take(&mut g.pending);
                *g = built;
                g.pending = pending;
                let n = g.drain();
                self.live.applied_writes.fetch_add(n, Ordering::Relaxed);
            }
        }
        Ok(cell.read_arc())
    }

    /// Reads the tenant's goals from the database. The version is read first, so the rows hold
    /// at least every write up to it.
    async fn build_goals(&self, tenant: i64) -> Result<GoalSnapshot> {
        let version = goals::version(&self.db, tenant).await?;
        let (objectives, key_results, kr_owners, supports, checks, cycles) = tokio::try_join!(
            goals::objectives(&self.db, tenant),
            goals::key_results(&self.db, tenant),
            goals::kr_owners(&self.db, tenant),
            goals::supports(&self.db, tenant),
            tandem_store::checkins::history_for_tenant(&self.db, tenant),
            tandem_store::cycles::list(&self.db, tenant),
        )?;
        Ok(GoalSnapshot::build(version, objectives, key_results, kr_owners, supports, checks, cycles))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tandem_store::goals::{KeyResultRow, ObjectiveRow};

    fn objective(id: i64, parent: Option<i64>) -> ObjectiveRow {
        ObjectiveRow {
            tenant_id: 1,
            id,
            cycle_id: 9,
            title: format!("目标{id}"),
            description: String::new(),
            kind: "committed".into(),
            owner_type: "person".into(),
            owner_id: 5,
            parent_id: parent,
            status: "published".into(),
            author_id: 5,
            created_at: 0,
            updated_at: 0,
            published_at: Some(0),
        }
    }

    fn key_result(id: i64, objective: i64, current: f64, updated_at: i64) -> KeyResultRow {
        KeyResultRow {
            tenant_id: 1,
            id,
            objective_id: objective,
            title: format!("关键结果{id}"),
            measure: "increase".into(),
            baseline: 0.0,
            target: 100.0,
            current,
            unit: String::new(),
            weight: 1.0,
            position: 0,
            created_at: 0,
            updated_at,
            override_score: None,
            override_reason: None,
        }
    }

    /// A company objective with a team objective aligned to it; three key results.
    fn snapshot(version: i64, currents: [(f64, i64); 3]) -> GoalSnapshot {
        let objectives = vec![objective(10, None), objective(11, Some(10))];
        let krs = vec![
            key_result(20, 10, currents[0].0, currents[0].1),
            key_result(21, 11, currents[1].0, currents[1].1),
            key_result(22, 11, currents[2].0, currents[2].1),
        ];
        GoalSnapshot::build(version, objectives, krs, vec![], vec![], vec![], vec![])
    }

    fn krs(ws: Vec<KrWrite>) -> Vec<Applied> {
        ws.into_iter().map(Applied::Kr).collect()
    }

    fn check_in(kr: i64, value: f64, at: i64) -> KrWrite {
        KrWrite { kr, current: value, at, check_in: (at, value, 7), previous: 0.0, edited: false }
    }

    fn scores(s: &GoalSnapshot) -> Vec<(Option<f64>, Option<f64>)> {
        vec![s.scores(10), s.scores(11)]
    }

    #[test]
    fn writes_apply_in_version_order_whatever_order_they_arrive_in() {
        let mut live = snapshot(1, [(0.0, 0), (0.0, 0), (0.0, 0)]);
        // Version 3 arrives before version 2: it waits.
        assert_eq!(live.offer(3, krs(vec![check_in(22, 30.0, 300)])), 0);
        assert_eq!(live.version, 1);
        assert_eq!(live.key_result(22).map(|k| k.current), Some(0.0));
        assert_eq!(live.offer(2, krs(vec![check_in(21, 50.0, 200), check_in(20, 80.0, 200)])), 2);
        assert_eq!(live.version, 3);
        // The same as reading the rows afresh.
        let fresh = snapshot(3, [(80.0, 200), (50.0, 200), (30.0, 300)]);
        for (a, b) in scores(&live).into_iter().zip(scores(&fresh)) {
            assert!((a.0.unwrap_or(-1.0) - b.0.unwrap_or(-1.0)).abs() < 1e-12, "{a:?} {b:?}");
            assert!((a.1.unwrap_or(-1.0) - b.1.unwrap_or(-1.0)).abs() < 1e-12, "{a:?} {b:?}");
        }
        assert_eq!(live.check_ins.get(&21).map(Vec::len), Some(1));
        assert_eq!(live.before_first.get(&21), Some(&0.0));
    }

    #[test]
    fn a_write_the_projection_already_holds_changes_nothing() {
        // A rebuild read the row after the check-in at 500 (its version said 4).
        let mut live = snapshot(4, [(0.0, 0), (60.0, 500), (0.0, 0)]);
        let before = scores(&live);
        // The write of version 5 was that very check-in; an older one of version 6 arrives late.
        live.offer(5, krs(vec![check_in(21, 60.0, 500)]));
        live.offer(6, krs(vec![check_in(21, 40.0, 450)]));
        assert_eq!(live.version, 6);
        assert_eq!(live.key_result(21).map(|k| k.current), Some(60.0), "no step back");
        assert_eq!(scores(&live), before);
        assert!(!live.check_ins.contains_key(&21), "history not doubled");
    }

    #[test]
    fn a_correction_replaces_its_check_in() {
        let mut live = snapshot(1, [(0.0, 0), (0.0, 0), (0.0, 0)]);
        live.offer(2, krs(vec![check_in(20, 50.0, 100)]));
        let mut fix = check_in(20, 55.0, 160);
        fix.check_in = (100, 55.0, 8);
        fix.edited = true;
        live.offer(3, krs(vec![fix]));
        assert_eq!(live.check_ins.get(&20), Some(&vec![(100, 55.0, 8)]));
        assert_eq!(live.key_result(20).map(|k| k.current), Some(55.0));
    }

    #[test]
    fn a_write_to_something_unknown_leaves_the_projection_to_be_rebuilt() {
        let mut live = snapshot(1, [(0.0, 0), (0.0, 0), (0.0, 0)]);
        live.offer(2, krs(vec![check_in(99, 1.0, 100)]));
        assert_eq!(live.version, i64::MIN, "not trusted: any read rebuilds it");
        assert!(live.pending.is_empty());
    }

    #[test]
    fn a_cycle_change_is_applied_in_order_with_the_check_ins() {
        let mut live = snapshot(1, [(0.0, 0), (0.0, 0), (0.0, 0)]);
        let cycle =
            Applied::Cycle { id: 5, state: "reviewing".into(), start: "2026-10-01".into(), end: "2026-12-31".into() };
        assert_eq!(live.offer(3, vec![cycle]), 0, "waits for version 2");
        assert_eq!(live.offer(2, krs(vec![check_in(20, 50.0, 100)])), 2);
        assert_eq!(live.version, 3);
        assert_eq!(live.cycle_states.get(&5).map(String::as_str), Some("reviewing"));
        assert_eq!(live.spans.get(&5).copied(), cycle_span_us("2026-10-01", "2026-12-31"));
    }
}
