//! Given a projection serving its tables, when a new version of its plugin
//! is loaded, then the host rebuilds it from position 0 into new tables
//! while the old ones serve, switches once caught up, and the rebuilt rows
//! equal the old ones.

use serde_json::json;

use super::spooling::Node;
use crate::plugins::test_plugin;
use rampart::readmodel::GenerationStatus;

#[tokio::test]
async fn a_new_projection_version_is_rebuilt_in_new_tables_then_switched() {
    let node = Node::start(false, &["echo-projection"]).await;
    let mut last = None;
    for n in 0..50 {
        last = Some(
            node.push(&format!("a{}", n % 7), "test.created", json!({ "n": n }))
                .await,
        );
    }
    let first = node
        .spoolers
        .wait_for("echo-projection", last.unwrap())
        .await
        .unwrap();
    assert_eq!(first.number, 1);
    let before = node.readstore.dump(&first, "echo_events").await.unwrap();
    assert_eq!(before.len(), 50);

    let dir = node.registry.config().dir.clone();
    std::fs::copy(
        test_plugin("echo-projection-v2"),
        dir.join("echo-projection.wasm"),
    )
    .unwrap();
    let report = node.registry.reload();
    assert_eq!(report.replaced, ["echo-projection@2.0.0"], "{report:?}");

    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let second = loop {
        let serving = node.readstore.serving("echo-projection").await.unwrap();
        if let Some(generation) = serving.filter(|g| g.number == 2) {
            break generation;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no switch to the rebuilt tables"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    };
    assert_eq!(second.version, "2.0.0");
    assert_eq!(second.status, GenerationStatus::Serving);
    let live = node.readstore.generations("echo-projection").await.unwrap();
    assert!(
        live.iter().all(|g| g.number == 2),
        "the old generation is retired: {live:?}"
    );

    while node.spoolers.serving("echo-projection").map(|g| g.number) != Some(2) {
        assert!(
            std::time::Instant::now() < deadline,
            "the node did not pick up the switch"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let after_switch = node.push("z", "test.created", json!({ "n": 50 })).await;
    let serving = node
        .spoolers
        .wait_for("echo-projection", after_switch)
        .await
        .unwrap();
    assert_eq!(serving.number, 2);
    let rebuilt = node.readstore.dump(&serving, "echo_events").await.unwrap();
    assert_eq!(rebuilt.len(), 51);
    assert_eq!(
        &rebuilt
            .iter()
            .filter(|r| r["id"] != "z:1")
            .cloned()
            .collect::<Vec<_>>(),
        &before
    );
    node.spoolers.stop().await;
}
