//! Change over time: uploads, edits, deletions and view bumps, by hand or by deterministic churn.

use std::time::{SystemTime, UNIX_EPOCH};

use crate::config::SimError;
use crate::listing::{NsfwFilter, Visible};
use crate::mix::{hash4, tag};
use crate::state::{Counters, Shared};

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// Uploads `n` videos to instance `i`; returns their indices (newest last).
pub(crate) fn upload(shared: &Shared, i: usize, n: u64) -> Vec<u64> {
    let instance = shared.instance(i);
    let generator = shared.generator(i);
    let spec = &instance.spec;
    let mut overlay = instance.overlay();
    let mut last = match overlay.uploads.last() {
        Some(&ms) => ms,
        None if spec.base_videos > 0 => {
            let k = spec.base_videos - 1;
            generator.published_ms(k, &overlay.state(spec, k))
        }
        None => 0,
    };
    let mut added = Vec::new();
    for _ in 0..n {
        last = now_ms().max(last + 1);
        overlay.uploads.push(last);
        added.push(overlay.index_count(spec) - 1);
    }
    overlay.version += 1;
    added
}

fn check(shared: &Shared, i: usize, k: u64) -> Result<(), SimError> {
    let instance = shared
        .instances
        .get(i)
        .ok_or(SimError::UnknownInstance(i))?;
    if instance.overlay().exists(&instance.spec, k) {
        Ok(())
    } else {
        Err(SimError::UnknownVideo {
            instance: i,
            index: k,
        })
    }
}

/// Gives video `k` a new name, description and tags, and bumps its `updatedAt`.
pub(crate) fn edit(shared: &Shared, i: usize, k: u64) -> Result<(), SimError> {
    check(shared, i, k)?;
    let instance = shared.instance(i);
    let generator = shared.generator(i);
    let mut overlay = instance.overlay();
    let state = overlay.state(&instance.spec, k);
    let previous = generator.updated_ms(k, &state);
    let edited = now_ms().max(previous + 1);
    overlay.edits.insert(k, (state.revision + 1, edited));
    overlay.version += 1;
    Ok(())
}

/// Deletes video `k`: it leaves lists, and its details answer 404.
pub(crate) fn delete(shared: &Shared, i: usize, k: u64) -> Result<(), SimError> {
    check(shared, i, k)?;
    let mut overlay = shared.instance(i).overlay();
    overlay.deleted.insert(k);
    overlay.version += 1;
    Ok(())
}

/// Adds views to video `k`; returns its new view count.
pub(crate) fn bump_views(shared: &Shared, i: usize, k: u64, by: u64) -> Result<u64, SimError> {
    check(shared, i, k)?;
    let instance = shared.instance(i);
    let generator = shared.generator(i);
    let mut overlay = instance.overlay();
    *overlay.views.entry(k).or_insert(0) += by;
    overlay.version += 1;
    let state = overlay.state(&instance.spec, k);
    Ok(generator.stats(k, &state).0)
}

/// Counts a `GET /api/v1/videos` and applies the instance's churn settings.
pub(crate) fn churn_tick(shared: &Shared, i: usize) {
    let instance = shared.instance(i);
    let n = Counters::add(&instance.counters.list_requests, 1) + 1;
    let churn = instance.churn();
    if churn.is_off() {
        return;
    }
    let every = |period: u64| period > 0 && n.is_multiple_of(period);
    if every(churn.upload_every_n_list_requests) {
        upload(shared, i, 1);
    }
    for (period, is_edit) in [
        (churn.edit_every_n_list_requests, true),
        (churn.delete_every_n_list_requests, false),
    ] {
        if !every(period) {
            continue;
        }
        let target = {
            let overlay = instance.overlay();
            let visible = Visible::new(&instance.spec, &overlay, NsfwFilter::Both);
            let total = visible.total();
            if total == 0 {
                continue;
            }
            let rank = hash4(shared.seed, i as u64, n ^ u64::from(is_edit), tag::CHURN) % total;
            visible.page_by_index(rank, 1, true).first().copied()
        };
        if let Some(k) = target {
            // The video was just seen alive; an error would only mean a concurrent deletion.
            let _ = if is_edit {
                edit(shared, i, k)
            } else {
                delete(shared, i, k)
            };
        }
    }
}
