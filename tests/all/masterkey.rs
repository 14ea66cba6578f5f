//! The store's masterkey record on both backends: a record of a version
//! before key derivation is replaced by one of the current format with the
//! same key, and another key still does not pass; a rotation re-seals the
//! secrets sealed with the old key.

use aes_gcm::aead::{Aead, AeadCore, KeyInit, OsRng};
use aes_gcm::{Aes256Gcm, Key};
use rampart::eventstore::{AggregateRef, EventQuery, ExpectedSequence, NewEvent, Push};
use rampart::masterkey::{self, MasterKey, MasterKeyError};

use crate::support::{OTHER_MASTERKEY, StoreFixture, TEST_MASTERKEY, postgres_store, sqlite_store};

/// What versions before key derivation recorded: the raw key's AES-GCM of
/// a known text, without associated data.
fn legacy_check(key: &str) -> String {
    let cipher = Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(key.as_bytes()));
    let nonce = Aes256Gcm::generate_nonce(&mut OsRng);
    let mut data = nonce.to_vec();
    data.extend(
        cipher
            .encrypt(&nonce, &b"rampart masterkey check v1"[..])
            .unwrap(),
    );
    hex::encode(data)
}

async fn an_older_record_is_upgraded_with_the_same_key(fixture: StoreFixture) {
    let store = fixture.store.as_ref();
    let aggregate = AggregateRef::new("system", "system", "masterkey");
    let legacy = NewEvent::new(
        "system.masterkey.set",
        serde_json::json!({ "check": legacy_check(TEST_MASTERKEY) }),
        "system",
    );
    store
        .push(Push::new(
            aggregate.clone(),
            ExpectedSequence::Exact(0),
            vec![legacy],
        ))
        .await
        .unwrap();
    let key = MasterKey::from_text(TEST_MASTERKEY, "test").unwrap();
    let other = MasterKey::from_text(OTHER_MASTERKEY, "test").unwrap();

    assert!(matches!(
        masterkey::verify(store, &other, &[]).await,
        Err(MasterKeyError::Mismatch)
    ));
    let ring = masterkey::verify(store, &key, &[]).await.unwrap();
    let events = store
        .query(&EventQuery::aggregate(&aggregate))
        .await
        .unwrap();
    assert_eq!(events.len(), 2, "the record was replaced");
    let record = &events[1].payload;
    assert_eq!(events[1].event_type, "system.masterkey.rotated");
    assert_eq!(record["format"], 1, "{record}");
    assert_eq!(record["keyId"], ring.current_id(), "{record}");

    // The upgraded record passes with the key, and not with another.
    let again = masterkey::verify(store, &key, &[]).await.unwrap();
    assert_eq!(again.current_id(), ring.current_id());
    assert!(matches!(
        masterkey::verify(store, &other, &[]).await,
        Err(MasterKeyError::Mismatch)
    ));
    let events = store
        .query(&EventQuery::aggregate(&aggregate))
        .await
        .unwrap();
    assert_eq!(events.len(), 2, "nothing more recorded");
    fixture.close().await;
}

#[tokio::test]
async fn sqlite_an_older_record_is_upgraded_with_the_same_key() {
    an_older_record_is_upgraded_with_the_same_key(sqlite_store().await).await;
}

#[tokio::test]
async fn postgres_an_older_record_is_upgraded_with_the_same_key() {
    an_older_record_is_upgraded_with_the_same_key(postgres_store().await).await;
}

/// An instance's SMTP password sealed with the old key is re-sealed by the
/// rotation: afterwards the new key alone opens it, to the same password.
async fn a_rotation_reseals_smtp_passwords(fixture: StoreFixture) {
    use rampart::notifier::SMTP_PASSWORD;
    let store = fixture.store.as_ref();
    let old = MasterKey::from_text(TEST_MASTERKEY, "test").unwrap();
    let new = MasterKey::from_text(OTHER_MASTERKEY, "test").unwrap();
    let old_ring = masterkey::verify(store, &old, &[]).await.unwrap();
    let instance = AggregateRef::new("inst-1", "instance", "inst-1");
    let smtp = serde_json::json!({
        "host": "smtp.example.com", "port": 587, "tls": "startTls",
        "username": "mailer", "fromAddress": "noreply@example.com",
        "password": old_ring.seal(SMTP_PASSWORD, "inst-1", b"relay-secret"),
    });
    let changed = NewEvent::new("instance.smtp.changed", smtp, "admin");
    store
        .push(Push::new(
            instance.clone(),
            ExpectedSequence::Exact(0),
            vec![changed],
        ))
        .await
        .unwrap();

    let rotation = masterkey::rotate(store, &new, std::slice::from_ref(&old))
        .await
        .unwrap();

    assert_eq!(rotation.resealed, 2, "the key check and one SMTP password");
    let events = store
        .query(&EventQuery::aggregate(&instance))
        .await
        .unwrap();
    assert_eq!(events.len(), 2);
    let sealed = events[1].payload["password"].as_str().unwrap();
    let new_ring = masterkey::verify(store, &new, &[]).await.unwrap();
    assert_eq!(
        new_ring.open(SMTP_PASSWORD, "inst-1", sealed).unwrap(),
        b"relay-secret"
    );
    assert_eq!(events[1].payload["host"], "smtp.example.com");
    let again = masterkey::rotate(store, &new, &[]).await.unwrap();
    assert_eq!(again.resealed, 0, "idempotent");
    fixture.close().await;
}

#[tokio::test]
async fn sqlite_a_rotation_reseals_smtp_passwords() {
    a_rotation_reseals_smtp_passwords(sqlite_store().await).await;
}

#[tokio::test]
async fn postgres_a_rotation_reseals_smtp_passwords() {
    a_rotation_reseals_smtp_passwords(postgres_store().await).await;
}
