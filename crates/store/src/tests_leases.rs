//! Crawl leases on both backends: exclusive claims, expiry and takeover, renewal, release.

use std::collections::HashSet;

use chrono::{TimeDelta, Utc};

use crate::*;

const MINUTE: TimeDelta = TimeDelta::seconds(60);

async fn approved(store: &Store, count: usize) -> Vec<Instance> {
    let mut instances = Vec::new();
    for n in 0..count {
        let new = NewInstance {
            address: InstanceAddress::parse(&format!("video{n}.example"), "https").unwrap(),
            status: InstanceStatus::Approved,
            origin: InstanceOrigin::Cli,
            discovered_from: None,
        };
        instances.push(store.add_instance(&new).await.unwrap().0);
    }
    instances
}

async fn two_claimers_never_get_the_same_instance(store: Store) {
    let instances = approved(&store, 24).await;
    let claimers = (0..6).map(|n| {
        let store = store.clone();
        tokio::spawn(async move {
            let worker = format!("worker-{n}");
            let mut mine = Vec::new();
            loop {
                let claimed = store
                    .claim_due_instances(&worker, Utc::now(), MINUTE, 2)
                    .await
                    .unwrap();
                if claimed.is_empty() {
                    return (worker, mine);
                }
                mine.extend(claimed.into_iter().map(|instance| instance.id));
                tokio::task::yield_now().await;
            }
        })
    });
    let mut seen = HashSet::new();
    for claimer in claimers.collect::<Vec<_>>() {
        let (worker, mine) = claimer.await.unwrap();
        for id in mine {
            assert!(seen.insert(id), "instance {id} claimed twice");
            let lease = store.lease(id).await.unwrap().unwrap();
            assert_eq!(lease.owner, worker);
        }
    }
    assert_eq!(seen.len(), instances.len(), "every due instance is claimed");
}

async fn only_due_approved_unleased_instances_are_claimed(store: Store) {
    let instances = approved(&store, 3).await;
    store
        .set_instance_status(instances[0].id, InstanceStatus::Paused)
        .await
        .unwrap();
    let later = CrawlOutcome {
        error: None,
        health_score: 100,
        consecutive_failures: 0,
        next_crawl_at: Utc::now() + MINUTE,
        status: None,
    };
    let end = CrawlEnd {
        run_id: None,
        status: CrawlRunStatus::Succeeded,
        counters: &CrawlRunCounters::default(),
        error: None,
        outcome: Some(&later),
    };
    store.end_crawl(instances[1].id, "a", &end).await.unwrap();
    let claimed = store
        .claim_due_instances("a", Utc::now(), MINUTE, 10)
        .await
        .unwrap();
    let ids: Vec<i64> = claimed.iter().map(|instance| instance.id).collect();
    assert_eq!(ids, [instances[2].id]);
    let again = store
        .claim_due_instances("b", Utc::now(), MINUTE, 10)
        .await
        .unwrap();
    assert!(again.is_empty(), "a live lease is not claimed again");
}

async fn an_expired_lease_is_taken_over_and_the_old_holder_is_fenced(store: Store) {
    let instance = approved(&store, 1).await.remove(0);
    let start = Utc::now();
    let held = store
        .claim_due_instances("a", start, MINUTE, 1)
        .await
        .unwrap();
    assert_eq!(held.len(), 1);
    store
        .save_crawl_state(instance.id, "a", &serde_json::json!({"step": 1}))
        .await
        .unwrap();
    let early = store
        .claim_due_instances("b", start + MINUTE / 2, MINUTE, 1)
        .await
        .unwrap();
    assert!(early.is_empty(), "a live lease is not taken over");

    let taken = store
        .claim_due_instances("b", start + MINUTE * 2, MINUTE, 1)
        .await
        .unwrap();
    assert_eq!(taken.len(), 1, "an expired lease is taken over");
    assert_eq!(store.lease(instance.id).await.unwrap().unwrap().owner, "b");
    assert!(!store.renew_lease(instance.id, "a", MINUTE).await.unwrap());
    assert!(!store.release_lease(instance.id, "a").await.unwrap());
    let fenced = store
        .save_crawl_state(instance.id, "a", &serde_json::json!({"step": 0}))
        .await;
    assert!(matches!(fenced, Err(StoreError::LeaseLost)), "{fenced:?}");
    let state: serde_json::Value = store.crawl_state(instance.id).await.unwrap();
    assert_eq!(state["step"], 1, "the old holder cannot move the cursor");

    assert!(store.renew_lease(instance.id, "b", MINUTE).await.unwrap());
    let lease = store.lease(instance.id).await.unwrap().unwrap();
    assert!(lease.expires_at > Utc::now() + MINUTE / 2);
    assert!(store.release_lease(instance.id, "b").await.unwrap());
    assert_eq!(store.lease(instance.id).await.unwrap(), None);
}

async fn a_single_claim_skips_instances_held_by_another_worker(store: Store) {
    let instance = approved(&store, 1).await.remove(0);
    let mine = store
        .claim_instance(instance.id, "a", MINUTE)
        .await
        .unwrap();
    assert_eq!(mine.map(|found| found.id), Some(instance.id));
    assert_eq!(
        store
            .claim_instance(instance.id, "b", MINUTE)
            .await
            .unwrap(),
        None
    );
    assert!(
        store
            .claim_instance(instance.id, "a", MINUTE)
            .await
            .unwrap()
            .is_some(),
        "a worker may claim again what it holds"
    );
    assert_eq!(store.release_worker_leases("a").await.unwrap(), 1);
    assert!(
        store
            .claim_instance(instance.id, "b", -MINUTE)
            .await
            .unwrap()
            .is_some()
    );
    // b's lease (already expired) lets anyone in.
    assert!(
        store
            .claim_instance(instance.id, "c", MINUTE)
            .await
            .unwrap()
            .is_some()
    );
}

async fn the_taker_marks_the_lost_workers_run_interrupted(store: Store) {
    let instance = approved(&store, 1).await.remove(0);
    let lost = store
        .start_crawl_run(instance.id, CrawlRunKind::Sweep, "a")
        .await
        .unwrap();
    let taker = store
        .start_crawl_run(instance.id, CrawlRunKind::Sweep, "b")
        .await
        .unwrap();
    let runs = store.crawl_runs(instance.id).await.unwrap();
    assert_eq!(
        runs.iter().map(|run| run.id).collect::<Vec<_>>(),
        [lost, taker]
    );
    assert_eq!(runs[0].status, CrawlRunStatus::Interrupted);
    assert_eq!(runs[0].worker.as_deref(), Some("a"));
    assert!(runs[0].finished_at.is_some());
    assert!(runs[0].error.as_deref().unwrap().contains('b'));
    assert_eq!(runs[1].status, CrawlRunStatus::Running);
    assert_eq!(runs[1].kind, CrawlRunKind::Sweep);
}

async fn a_crawl_ends_in_one_step_and_a_sweep_is_saved_with_its_completion(store: Store) {
    let [failing, succeeding, interrupted] =
        <[Instance; 3]>::try_from(approved(&store, 3).await).unwrap();
    for instance in [&failing, &succeeding, &interrupted] {
        store
            .claim_instance(instance.id, "a", MINUTE)
            .await
            .unwrap()
            .unwrap();
    }
    let counters = CrawlRunCounters {
        pages: 3,
        ..CrawlRunCounters::default()
    };
    let at = Utc::now();
    let outcome = |error: Option<&str>| CrawlOutcome {
        error: error.map(str::to_owned),
        health_score: 40,
        consecutive_failures: i64::from(error.is_some()),
        next_crawl_at: at + MINUTE,
        status: None,
    };

    // A failure is recorded with its run; then a success clears it.
    let run = store
        .start_crawl_run(failing.id, CrawlRunKind::Sweep, "a")
        .await
        .unwrap();
    let failed = outcome(Some("HTTP 500"));
    let end = CrawlEnd {
        run_id: Some(run),
        status: CrawlRunStatus::Failed,
        counters: &counters,
        error: Some("HTTP 500"),
        outcome: Some(&failed),
    };
    store.end_crawl(failing.id, "a", &end).await.unwrap();
    let after = store.instance(failing.id).await.unwrap().unwrap();
    assert_eq!(after.last_error.as_deref(), Some("HTTP 500"));
    assert_eq!(after.consecutive_failures, 1);
    assert_eq!(store.lease(failing.id).await.unwrap(), None, "released");
    let runs = store.crawl_runs(failing.id).await.unwrap();
    assert_eq!((runs[0].status, runs[0].pages), (CrawlRunStatus::Failed, 3));

    // A sweep saved with its completion, then the end of the crawl.
    store
        .save_swept_crawl_state(succeeding.id, "a", &serde_json::json!({"sweep": null}), at)
        .await
        .unwrap();
    let swept = store.instance(succeeding.id).await.unwrap().unwrap();
    assert!(
        swept.last_full_sweep_at.is_some(),
        "the sweep is recorded with the state"
    );
    assert!(
        swept.next_crawl_at.is_none(),
        "still due until the crawl ends"
    );
    let fenced = store
        .save_swept_crawl_state(succeeding.id, "b", &serde_json::json!({}), at)
        .await;
    assert!(matches!(fenced, Err(StoreError::LeaseLost)), "{fenced:?}");
    let succeeded = outcome(None);
    let end = CrawlEnd {
        run_id: None,
        status: CrawlRunStatus::Succeeded,
        counters: &counters,
        error: None,
        outcome: Some(&succeeded),
    };
    store.end_crawl(succeeding.id, "a", &end).await.unwrap();
    let after = store.instance(succeeding.id).await.unwrap().unwrap();
    assert_eq!(after.next_crawl_at.map(|next| next > at), Some(true));
    assert!(after.last_success_at.is_some());
    assert_eq!(store.lease(succeeding.id).await.unwrap(), None, "released");

    // An interruption changes nothing but the run and the lease: still due.
    let run = store
        .start_crawl_run(interrupted.id, CrawlRunKind::Sweep, "a")
        .await
        .unwrap();
    let end = CrawlEnd {
        run_id: Some(run),
        status: CrawlRunStatus::Interrupted,
        counters: &counters,
        error: Some("interrupted"),
        outcome: None,
    };
    store.end_crawl(interrupted.id, "a", &end).await.unwrap();
    let due = store
        .claim_due_instances("b", Utc::now(), MINUTE, 10)
        .await
        .unwrap();
    assert_eq!(
        due.iter().map(|instance| instance.id).collect::<Vec<_>>(),
        [interrupted.id]
    );
    // Ending a crawl whose lease another worker took leaves that lease alone.
    store.end_crawl(interrupted.id, "a", &end).await.unwrap();
    assert_eq!(
        store.lease(interrupted.id).await.unwrap().unwrap().owner,
        "b"
    );
}

crate::backend_tests!(
    a_crawl_ends_in_one_step_and_a_sweep_is_saved_with_its_completion,
    two_claimers_never_get_the_same_instance,
    only_due_approved_unleased_instances_are_claimed,
    an_expired_lease_is_taken_over_and_the_old_holder_is_fenced,
    a_single_claim_skips_instances_held_by_another_worker,
    the_taker_marks_the_lost_workers_run_interrupted,
);
