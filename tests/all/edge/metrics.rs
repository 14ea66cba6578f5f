//! Request metrics of the real server keep a bounded set of series: made-up
//! methods and paths fall into one bucket each, and API methods are labelled
//! by their name, whatever the answer was.

use reqwest::Method;

use crate::cqrs::{Backend, start};

/// The `rampart_http_requests_total` series `/debug/metrics` shows, sorted
/// (the exporter's order is not stable).
async fn series(client: &reqwest::Client, url: &str) -> Vec<String> {
    let text = client
        .get(format!("{url}/debug/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let mut series: Vec<String> = text
        .lines()
        .filter(|l| l.starts_with("rampart_http_requests_total{"))
        .map(|l| {
            l.rsplit_once(' ')
                .map_or(l, |(labels, _)| labels)
                .to_owned()
        })
        .collect();
    series.sort();
    series
}

#[tokio::test]
async fn made_up_methods_and_paths_add_no_series() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path(), &Backend::Sqlite, &[]).await;
    let client = reqwest::Client::new();
    let flood = |i: usize| {
        let method = Method::from_bytes(format!("M{i}").as_bytes()).unwrap();
        client
            .request(method, format!("{}/made-up/{i}", server.url))
            .send()
    };
    for i in 0..20 {
        flood(i).await.unwrap();
    }
    // Reading the metrics is a request too: its own series, from now on.
    series(&client, &server.url).await;
    let before = series(&client, &server.url).await;
    for i in 20..220 {
        flood(i).await.unwrap();
    }
    let after = series(&client, &server.url).await;
    assert_eq!(before, after, "200 more made-up requests, no new series");
    let joined = after.join("\n");
    assert!(
        !joined.contains("M25") && !joined.contains("made-up"),
        "{joined}"
    );
    assert!(
        joined.contains(r#"method="OTHER""#) && joined.contains(r#"route="unmatched""#),
        "{joined}"
    );

    // An API method, refused (no token), is labelled by the method's name.
    client
        .post(format!(
            "{}/rampart.user.v1.UserService/GetUser",
            server.url
        ))
        .header("content-type", "application/json")
        .body("{}")
        .send()
        .await
        .unwrap();
    let joined = series(&client, &server.url).await.join("\n");
    assert!(
        joined.contains(r#"route="/rampart.user.v1.UserService/GetUser""#),
        "{joined}"
    );
}
